import { isProtocolError } from "../errors";
import type { ChannelUpdate } from "../types";
import type { AppliedUpdate, ChannelView } from "../updates/context";
import { adoptApplied } from "../updates/pipeline";
import type { Conversation, Effect, PendingWrite, Refusal, Thread } from "./types";

/** How many applied updates a conversation remembers (a late reply finds its update here). */
export const RECENT_KEPT = 16;

/** The write that stores `applied` on top of `before`. */
export function writeOf(before: ChannelView, applied: AppliedUpdate): PendingWrite {
  return { view: adoptApplied(before, applied), applied, before };
}

/** The effect that stores `write`; the thread goes on at `persisted`. */
export function persistEffect(
  conversation: Conversation,
  thread: Thread,
  write: PendingWrite,
  cause: "proposed" | "answered" | "caughtUp" | "restored",
): Effect {
  const update = write.applied?.state.latestUpdate;
  return {
    kind: "persist",
    thread,
    view: write.view,
    ...(write.applied ? { applied: write.applied } : {}),
    before: write.before,
    cause,
    proposedByUs: update !== undefined && sameParty(update.fromIdentifier, conversation.me),
    ...resumedRound(update),
  };
}

/**
 * The conversation once `write` is stored: its view adopted, the update remembered, and our
 * proposals the channel moved past no longer live.
 */
export function adoptWrite(conversation: Conversation, write: PendingWrite): Conversation {
  const nonce = write.view.state?.nonce ?? 0;
  const recent = write.applied
    ? [...conversation.recent, write.applied].slice(-RECENT_KEPT)
    : conversation.recent;
  return {
    ...conversation,
    view: write.view,
    recent,
    live: conversation.live.filter((proposal) => proposal.nonce > nonce),
  };
}

/** A thrown protocol error as a refusal; anything else is a bug and is thrown on. */
export function refusalOf(error: unknown): Refusal {
  if (!isProtocolError(error)) throw error;
  const latest = error.context.latestUpdate as ChannelUpdate | undefined;
  return {
    code: error.code,
    message: error.message,
    ...(latest ? { latestUpdate: latest } : {}),
  };
}

export function nonceOf(view: ChannelView): number {
  return view.state?.nonce ?? 0;
}

export function sameParty(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function resumedRound(update: ChannelUpdate | undefined): { resumedRound?: number } {
  if (update?.type !== "resume") return {};
  return { resumedRound: (update as ChannelUpdate<"resume">).details.round };
}
