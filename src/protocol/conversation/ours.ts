import { PROTOCOL_VERSION, type RestoreMessage, type UpdateMessage } from "../schemas";
import { applyDoublySigned, validateRestore } from "../sync";
import type { ChannelUpdate } from "../types";
import type { AppliedUpdate, UpdateContext } from "../updates/context";
import { acceptCountersigned, withSignature } from "../updates/pipeline";
import { prepareProposal, type UpdateDraft } from "../updates/propose";
import { factsRequest } from "./facts";
import { ignored, result } from "./result";
import { afterCatchUp, afterRefusal } from "./retry";
import type {
  ChainFacts,
  Conversation,
  Effect,
  OursThread,
  Refusal,
  StepContext,
  StepResult,
} from "./types";
import { adoptWrite, nonceOf, persistEffect, refusalOf, writeOf } from "./writes";

/**
 * Our own proposal: read the chain facts it needs, sign, send, and on the reply store the
 * countersigned update; on a stale refusal catch up and draft again (retry.ts).
 */

export function onPropose(
  conversation: Conversation,
  draft: UpdateDraft,
  now: number,
  context: StepContext,
  draftedOn?: number,
): StepResult {
  const ours = conversation.ours;
  if (ours && ours.stage !== "draft") return ignored(conversation);
  const attempt = ours?.attempt ?? 0;
  // Drafted on a channel that moved on since: what it asks may be done or moot by now.
  if (draftedOn !== undefined && draftedOn !== nonceOf(conversation.view)) {
    return redraft(conversation, attempt);
  }
  if (conversation.disputed && draft.type !== "resume") {
    return refused(conversation, frozen(draft.type), "us");
  }
  let read: Effect | undefined;
  try {
    read = factsRequest(conversation.view, draft, "ours");
  } catch (error) {
    return refused(conversation, refusalOf(error), "us");
  }
  if (!read) return build(conversation, attempt, draft, { ...context, now });
  const next: OursThread = { stage: "chain", attempt, draft, now };
  return result({ ...conversation, ours: next }, [read], "chainFacts");
}

export function onOurFacts(
  conversation: Conversation,
  facts: ChainFacts,
  context: StepContext,
): StepResult {
  const ours = conversation.ours;
  if (ours?.stage !== "chain") return ignored(conversation);
  return build(conversation, ours.attempt, ours.draft, { ...context, now: ours.now, ...facts });
}

export function onOurSignature(conversation: Conversation, signature: string): StepResult {
  const ours = conversation.ours;
  if (ours?.stage !== "sign") return ignored(conversation);
  const proposal = withSignature(ours.unsigned, ours.role, signature);
  const previous = ours.basis.state?.latestUpdate;
  const message: UpdateMessage = {
    protocolVersion: PROTOCOL_VERSION,
    update: proposal,
    ...(previous ? { previousUpdate: previous } : {}),
  };
  const next: OursThread = {
    stage: "reply",
    attempt: ours.attempt,
    basis: ours.basis,
    proposal,
    context: ours.context,
  };
  // Signed: live from now until the channel moves past its nonce, whatever the request does.
  const live = [...conversation.live, proposal];
  return result({ ...conversation, ours: next, live }, [{ kind: "send", message }], "reply");
}

export function onReply(
  conversation: Conversation,
  reply: { ok: true; update: ChannelUpdate } | { ok: false; error: Refusal },
  now: number,
  context: StepContext,
): StepResult {
  const ours = conversation.ours;
  if (ours?.stage !== "reply") return ignored(conversation);
  if (!reply.ok) {
    // A refusal as stale that carries our own proposal, countersigned: the counterparty
    // answered it already (a duplicate of the request was refused, and that answer came
    // first). It is the reply; drafting again would apply the same intent twice.
    const own = ownProposal(ours.proposal, reply.error.latestUpdate);
    if (!own) return afterRefused(conversation, ours, reply.error, now, context);
    return onReply(conversation, { ok: true, update: own }, now, context);
  }
  // Applied already, as the previous update of the counterparty's next proposal?
  if (nonceOf(conversation.view) >= ours.proposal.nonce) {
    return appliedEarlier(conversation, ours.proposal.nonce, reply.update);
  }
  try {
    const applied = acceptCountersigned(ours.basis, ours.proposal, reply.update, ours.context);
    const write = writeOf(ours.basis, applied);
    const next: OursThread = { stage: "persist", attempt: ours.attempt, write };
    return result(
      { ...conversation, ours: next },
      [persistEffect(conversation, "ours", write, "proposed")],
      "persisted",
    );
  } catch (error) {
    return refused(conversation, refusalOf(error), "us");
  }
}

/** The request failed or timed out: no outcome, and the proposal stays live. */
export function onReplyTimedOut(conversation: Conversation): StepResult {
  if (conversation.ours?.stage !== "reply") return ignored(conversation);
  const refusal = { code: "PEER_UNAVAILABLE", message: "no reply to the proposal" };
  return refused(conversation, refusal, "peer");
}

export function onOurPersisted(conversation: Conversation): StepResult {
  const ours = conversation.ours;
  if (ours?.stage === "persist") {
    const stored = adoptWrite(conversation, ours.write);
    const applied = ours.write.applied;
    if (!applied) return ignored(conversation);
    const { ours: _, ...rest } = stored;
    return result(rest, [{ kind: "done", outcome: { ok: true, applied } }], "nothing");
  }
  if (ours?.stage === "catchUp" && ours.write) {
    const stored = adoptWrite(conversation, ours.write);
    return retryOrGiveUp(stored, ours.attempt, ours.proposal, ours.refusal);
  }
  return ignored(conversation);
}

export function onOurRestore(
  conversation: Conversation,
  message: RestoreMessage | undefined,
  now: number,
  context: StepContext,
): StepResult {
  const ours = conversation.ours;
  if (ours?.stage !== "catchUp" || ours.write) return ignored(conversation);
  if (!message) return retryOrGiveUp(conversation, ours.attempt, ours.proposal, ours.refusal);
  try {
    const view = validateRestore(
      message,
      { identity: conversation.me, state: conversation.view.state },
      { ...context, now },
    );
    const write = { view, before: conversation.view };
    return result(
      { ...conversation, ours: { ...ours, write } },
      [persistEffect(conversation, "ours", write, "restored")],
      "persisted",
    );
  } catch (error) {
    return refused(conversation, refusalOf(error), "us");
  }
}

export function onAbandon(conversation: Conversation): StepResult {
  if (conversation.ours?.stage !== "draft") return ignored(conversation);
  const { ours: _, ...rest } = conversation;
  return result(rest, [{ kind: "done", outcome: { ok: false, abandoned: true } }], "nothing");
}

function build(
  conversation: Conversation,
  attempt: number,
  draft: UpdateDraft,
  context: UpdateContext,
): StepResult {
  try {
    const basis = conversation.view;
    const { update, prepared } = prepareProposal(basis, draft, conversation.me, context);
    const next: OursThread = {
      stage: "sign",
      attempt,
      basis,
      unsigned: update,
      transition: prepared.transition,
      context,
      role: prepared.role,
    };
    return result(
      { ...conversation, ours: next },
      [{ kind: "sign", thread: "ours", digest: prepared.digest }],
      "signature",
    );
  } catch (error) {
    return refused(conversation, refusalOf(error), "us");
  }
}

/** `latest` when it is `proposal` (same nonce, our own signature on it), else undefined. */
function ownProposal(
  proposal: ChannelUpdate,
  latest: ChannelUpdate | undefined,
): ChannelUpdate | undefined {
  if (!latest || latest.nonce !== proposal.nonce) return undefined;
  const role = proposal.aliceSignature !== undefined ? "aliceSignature" : "bobSignature";
  return latest[role] === proposal[role] ? latest : undefined;
}

function afterRefused(
  conversation: Conversation,
  ours: Extract<OursThread, { stage: "reply" }>,
  refusal: Refusal,
  now: number,
  context: StepContext,
): StepResult {
  const proposalNonce = ours.proposal.nonce;
  const settled = ownApplied(conversation, ours.proposal);
  if (settled) return doneWith(conversation, settled);
  const decision = afterRefusal(
    refusal,
    ours.attempt,
    nonceOf(conversation.view),
    proposalNonce,
    conversation.canRestore,
  );
  const base = {
    stage: "catchUp" as const,
    attempt: ours.attempt,
    proposalNonce,
    proposal: ours.proposal,
    refusal,
  };
  switch (decision.action) {
    case "giveUp":
      return refused(conversation, refusal, "peer", decision.exhausted);
    case "retry":
      return redraft(conversation, ours.attempt + 1);
    case "restore":
      return result(
        { ...conversation, ours: base },
        [{ kind: "restore", thread: "ours" }],
        "restore",
      );
    case "catchUp":
      try {
        const latest = refusal.latestUpdate as ChannelUpdate;
        const applied = applyDoublySigned(conversation.view, latest, { ...context, now });
        const write = writeOf(conversation.view, applied);
        return result(
          { ...conversation, ours: { ...base, write } },
          [persistEffect(conversation, "ours", write, "caughtUp")],
          "persisted",
        );
      } catch (error) {
        return refused(conversation, refusalOf(error), "us");
      }
  }
}

function retryOrGiveUp(
  conversation: Conversation,
  attempt: number,
  proposal: ChannelUpdate,
  refusal: Refusal,
): StepResult {
  const settled = ownApplied(conversation, proposal);
  if (settled) return doneWith(conversation, settled);
  const decision = afterCatchUp(nonceOf(conversation.view), proposal.nonce);
  if (decision.action === "retry") return redraft(conversation, attempt + 1);
  return refused(conversation, refusal, "peer");
}

/**
 * Our refused proposal itself, countersigned, when the channel holds it already: the
 * counterparty answered it (its reply lost or late) and a later update carried it to us. The
 * proposal is done; drafting again would apply the same intent twice.
 */
function ownApplied(
  conversation: Conversation,
  proposal: ChannelUpdate,
): AppliedUpdate | undefined {
  const role = proposal.aliceSignature !== undefined ? "aliceSignature" : "bobSignature";
  return conversation.recent.find(
    (each) =>
      each.state.nonce === proposal.nonce && each.state.latestUpdate[role] === proposal[role],
  );
}

function doneWith(conversation: Conversation, applied: AppliedUpdate): StepResult {
  const { ours: _, ...rest } = conversation;
  return result(rest, [{ kind: "done", outcome: { ok: true, applied } }], "nothing");
}

function redraft(conversation: Conversation, attempt: number): StepResult {
  return result(
    { ...conversation, ours: { stage: "draft", attempt } },
    [{ kind: "draft", view: conversation.view, attempt }],
    "draft",
  );
}

/**
 * Our update, countersigned, that reached us first through the counterparty's next
 * proposal. It must be the very update we hold at that nonce: anything else would be two
 * signed states with one nonce.
 */
function appliedEarlier(
  conversation: Conversation,
  nonce: number,
  countersigned: ChannelUpdate,
): StepResult {
  const applied = conversation.recent.find((each) => each.state.nonce === nonce);
  const held = applied?.state.latestUpdate;
  if (
    !applied ||
    held?.aliceSignature !== countersigned.aliceSignature ||
    held?.bobSignature !== countersigned.bobSignature
  ) {
    const refusal = {
      code: "UPDATE_MISMATCH",
      message: `the counterparty countersigned an update at nonce ${nonce} that is not the one we hold`,
    };
    return refused(conversation, refusal, "peer");
  }
  const { ours: _, ...rest } = conversation;
  return result(rest, [{ kind: "done", outcome: { ok: true, applied } }], "nothing");
}

function refused(
  conversation: Conversation,
  refusal: Refusal,
  by: "peer" | "us",
  exhausted = false,
): StepResult {
  const { ours: _, ...rest } = conversation;
  return result(
    rest,
    [{ kind: "done", outcome: { ok: false, refusal, by, exhausted } }],
    "nothing",
  );
}

/** The freeze of a channel in dispute (DESIGN §4.7): nothing but the resume that ends it. */
export function frozen(type: string): Refusal {
  return {
    code: "CHANNEL_IN_DISPUTE",
    message: `a dispute is on record for the channel: no ${type} until it has run its course and the channel resumed`,
  };
}
