import type { RestoreMessage } from "../schemas";
import { applyDoublySigned, validateRestore } from "../sync";
import type { ChannelUpdate } from "../types";
import { ignored, result } from "./result";
import type { Conversation, PendingWrite, StepContext, StepResult } from "./types";
import { adoptWrite, nonceOf, persistEffect, refusalOf, sameParty, writeOf } from "./writes";

/**
 * Catching up outside a proposal: the counterparty's latest doubly-signed update (a user's
 * hello to the node, the node's answer to a sync) is adopted when it is our next one; when it
 * is further ahead, a party that may restore asks for the counterparty's latest state, and
 * adopts it only once both signatures and the merkle root check out.
 */

export function onPeerLatest(
  conversation: Conversation,
  update: ChannelUpdate,
  now: number,
  context: StepContext,
): StepResult {
  if (conversation.sync) return ignored(conversation);
  if (!sameParty(update.channelAddress, conversation.channelAddress)) {
    const refusal = {
      code: "WRONG_CHANNEL",
      message: `expected channel ${conversation.channelAddress}, got ${update.channelAddress}`,
    };
    return result(conversation, [{ kind: "synced", refusal }], "nothing");
  }
  const nonce = nonceOf(conversation.view);
  if (update.nonce === nonce + 1) {
    try {
      const applied = applyDoublySigned(conversation.view, update, { ...context, now });
      return persist(conversation, writeOf(conversation.view, applied), update.nonce, "caughtUp");
    } catch (error) {
      return result(conversation, [{ kind: "synced", refusal: refusalOf(error) }], "nothing");
    }
  }
  return restoreIfBehind(conversation, update.nonce);
}

export function onSyncRestore(
  conversation: Conversation,
  message: RestoreMessage | undefined,
  now: number,
  context: StepContext,
): StepResult {
  const sync = conversation.sync;
  if (sync && sync.stage !== "restore") return ignored(conversation);
  const { sync: _, ...rest } = conversation;
  if (!message) return result(rest, [{ kind: "synced" }], "nothing");
  try {
    const view = validateRestore(
      message,
      { identity: conversation.me, state: conversation.view.state },
      { ...context, now },
    );
    return persist(rest, { view, before: conversation.view }, 0, "restored");
  } catch (error) {
    return result(rest, [{ kind: "synced", refusal: refusalOf(error) }], "nothing");
  }
}

export function onSyncPersisted(conversation: Conversation): StepResult {
  const sync = conversation.sync;
  if (sync?.stage !== "persist") return ignored(conversation);
  const { sync: _, ...stored } = adoptWrite(conversation, sync.write);
  return restoreIfBehind(stored, sync.theirNonce);
}

function restoreIfBehind(conversation: Conversation, theirNonce: number): StepResult {
  if (theirNonce > nonceOf(conversation.view) && conversation.canRestore) {
    return result(
      { ...conversation, sync: { stage: "restore" } },
      [{ kind: "restore", thread: "sync" }],
      "restore",
    );
  }
  return result(conversation, [{ kind: "synced" }], "nothing");
}

function persist(
  conversation: Conversation,
  write: PendingWrite,
  theirNonce: number,
  cause: "caughtUp" | "restored",
): StepResult {
  return result(
    { ...conversation, sync: { stage: "persist", write, theirNonce } },
    [persistEffect(conversation, "sync", write, cause)],
    "persisted",
  );
}
