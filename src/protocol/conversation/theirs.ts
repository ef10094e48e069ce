import type { UpdateMessage } from "../schemas";
import { applyDoublySigned } from "../sync";
import type { ChannelUpdate } from "../types";
import { applied, prepareResponse, withSignature } from "../updates/pipeline";
import { factsRequest } from "./facts";
import { frozen } from "./ours";
import { ignored, result } from "./result";
import type { ChainFacts, Conversation, Effect, Refusal, StepContext, StepResult } from "./types";
import { adoptWrite, nonceOf, persistEffect, refusalOf, sameParty, writeOf } from "./writes";

/**
 * Answering the counterparty's proposal: catch up from the previous update it carries, refuse
 * a stale one (with our latest, to catch up from), let the shell check it and read the chain
 * facts it needs, countersign, store, and only then reply. One at a time: a proposal that
 * arrives while another is being answered is ignored (shells answer them in turn).
 *
 * Alice wins a same-nonce race: while our own proposal at nonce n is in flight, theirs at n is
 * answered like any other (the node, alice, answers a user's only after its own is settled,
 * and then refuses it as stale); ours is then drafted again on top.
 */

export function onMessage(
  conversation: Conversation,
  message: UpdateMessage,
  now: number,
  context: StepContext,
): StepResult {
  if (conversation.theirs) return ignored(conversation);
  const update = message.update;
  if (!sameParty(update.fromIdentifier, conversation.peer)) {
    return refuse(conversation, {
      code: "WRONG_PARTICIPANTS",
      message: `the update is from ${update.fromIdentifier}, the counterparty is ${conversation.peer}`,
    });
  }
  if (!sameParty(update.channelAddress, conversation.channelAddress)) {
    return refuse(conversation, {
      code: "WRONG_CHANNEL",
      message: `expected channel ${conversation.channelAddress}, got ${update.channelAddress}`,
    });
  }
  const previous = message.previousUpdate;
  if (!previous || previous.nonce !== nonceOf(conversation.view) + 1) {
    return afterCatchUp(conversation, update, now);
  }
  try {
    const write = writeOf(
      conversation.view,
      applyDoublySigned(conversation.view, previous, { ...context, now }),
    );
    return result(
      { ...conversation, theirs: { stage: "catchUp", message, now, write } },
      [persistEffect(conversation, "theirs", write, "caughtUp")],
      "persisted",
    );
  } catch (error) {
    return refuse(conversation, refusalOf(error));
  }
}

export function onChecked(conversation: Conversation, context: StepContext): StepResult {
  const theirs = conversation.theirs;
  if (theirs?.stage !== "check") return ignored(conversation);
  let read: Effect | undefined;
  try {
    read = factsRequest(conversation.view, theirs.update, "theirs");
  } catch (error) {
    return refuse(conversation, refusalOf(error));
  }
  if (!read) return prepare(conversation, theirs.update, theirs.now, {}, context);
  return result(
    { ...conversation, theirs: { stage: "chain", update: theirs.update, now: theirs.now } },
    [read],
    "chainFacts",
  );
}

export function onTheirFacts(
  conversation: Conversation,
  facts: ChainFacts,
  context: StepContext,
): StepResult {
  const theirs = conversation.theirs;
  if (theirs?.stage !== "chain") return ignored(conversation);
  return prepare(conversation, theirs.update, theirs.now, facts, context);
}

export function onTheirSignature(conversation: Conversation, signature: string): StepResult {
  const theirs = conversation.theirs;
  if (theirs?.stage !== "sign") return ignored(conversation);
  const countersigned = withSignature(theirs.update, theirs.role, signature);
  const write = writeOf(theirs.basis, applied(theirs.basis, countersigned, theirs.transition));
  return result(
    { ...conversation, theirs: { stage: "persist", write, update: countersigned } },
    [persistEffect(conversation, "theirs", write, "answered")],
    "persisted",
  );
}

export function onTheirPersisted(conversation: Conversation): StepResult {
  const theirs = conversation.theirs;
  if (theirs?.stage === "catchUp") {
    const stored = adoptWrite(conversation, theirs.write);
    const { theirs: _, ...rest } = stored;
    return afterCatchUp(rest, theirs.message.update, theirs.now);
  }
  if (theirs?.stage !== "persist") return ignored(conversation);
  // Stored: now, and only now, the countersigned update may leave.
  const { theirs: _, ...rest } = adoptWrite(conversation, theirs.write);
  return result(rest, [{ kind: "reply", reply: { ok: true, update: theirs.update } }], "nothing");
}

function afterCatchUp(conversation: Conversation, update: ChannelUpdate, now: number): StepResult {
  const nonce = nonceOf(conversation.view);
  if (update.nonce <= nonce) {
    const latest = conversation.view.state?.latestUpdate;
    return refuse(conversation, {
      code: "STALE_NONCE",
      message: `expected nonce ${nonce + 1}, got ${update.nonce}`,
      ...(latest ? { latestUpdate: latest } : {}),
    });
  }
  const live = liveAt(conversation, update.nonce);
  if (live !== undefined) {
    return refuse(conversation, {
      code: "STALE_NONCE",
      message: `our proposal at nonce ${live} is still live: the counterparty may hold it countersigned`,
    });
  }
  if (conversation.disputed && update.type !== "resume") {
    return refuse(conversation, frozen(update.type));
  }
  return result(
    { ...conversation, theirs: { stage: "check", update, now } },
    [{ kind: "check", view: conversation.view, update, ...resumesRound(update) }],
    "check",
  );
}

/**
 * Alice wins a same-nonce race, so alice never countersigns at a nonce where a proposal of
 * hers is still live (SECURITY rule 1): bob may have countersigned and stored it, its reply
 * lost or late, and a second doubly-signed state at one nonce would let either side dispute
 * with the one it prefers. Bob answers alice's proposal even while his own is live: alice,
 * by this rule, never countersigns his. The refusal is STALE_NONCE, so a bob that holds her
 * proposal drafts again on top of it (retry.ts) and she catches up from it.
 */
function liveAt(conversation: Conversation, nonce: number): number | undefined {
  if (!sameParty(conversation.view.state?.alice ?? "", conversation.me)) return undefined;
  return conversation.live.find((proposal) => proposal.nonce >= nonce)?.nonce;
}

function prepare(
  conversation: Conversation,
  update: ChannelUpdate,
  now: number,
  facts: ChainFacts,
  context: StepContext,
): StepResult {
  try {
    const basis = conversation.view;
    const prepared = prepareResponse(basis, update, conversation.me, { ...context, now, ...facts });
    const next = {
      stage: "sign" as const,
      update,
      transition: prepared.transition,
      role: prepared.role,
      basis,
    };
    return result(
      { ...conversation, theirs: next },
      [{ kind: "sign", thread: "theirs", digest: prepared.digest }],
      "signature",
    );
  } catch (error) {
    return refuse(conversation, refusalOf(error));
  }
}

/** The dispute round a resume ends, for the shell's own checks before it countersigns. */
function resumesRound(update: ChannelUpdate): { resumesRound?: number } {
  if (update.type !== "resume") return {};
  return { resumesRound: (update as ChannelUpdate<"resume">).details.round };
}

function refuse(conversation: Conversation, error: Refusal): StepResult {
  const { theirs: _, ...rest } = conversation;
  return result(rest, [{ kind: "reply", reply: { ok: false, error } }], "nothing");
}
