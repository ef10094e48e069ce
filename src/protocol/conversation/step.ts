import {
  onAbandon,
  onOurFacts,
  onOurPersisted,
  onOurRestore,
  onOurSignature,
  onPropose,
  onReply,
  onReplyTimedOut,
} from "./ours";
import { ignored } from "./result";
import { onPeerLatest, onSyncPersisted, onSyncRestore } from "./sync";
import { onChecked, onMessage, onTheirFacts, onTheirPersisted, onTheirSignature } from "./theirs";
import type { Conversation, Event, StepContext, StepResult } from "./types";

type Handlers = {
  [K in Event["type"]]: (
    conversation: Conversation,
    event: Extract<Event, { type: K }>,
    context: StepContext,
  ) => StepResult;
};

/** One handler per event: the only place that dispatches on an event's type. */
const HANDLERS: Handlers = {
  propose: (c, e, context) => onPropose(c, e.draft, e.now, context, e.draftedOn),
  abandon: (c) => onAbandon(c),
  message: (c, e, context) => onMessage(c, e.message, e.now, context),
  checked: (c, _e, context) => onChecked(c, context),
  chainFacts: (c, e, context) =>
    e.thread === "ours" ? onOurFacts(c, e.facts, context) : onTheirFacts(c, e.facts, context),
  signed: (c, e) =>
    e.thread === "ours" ? onOurSignature(c, e.signature) : onTheirSignature(c, e.signature),
  persisted: (c, e) => PERSISTED[e.thread](c),
  reply: (c, e, context) => onReply(c, e.reply, e.now, context),
  replyTimedOut: (c) => onReplyTimedOut(c),
  peerLatest: (c, e, context) => onPeerLatest(c, e.update, e.now, context),
  restored: (c, e, context) =>
    e.thread === "ours"
      ? onOurRestore(c, e.message, e.now, context)
      : onSyncRestore(c, e.message, e.now, context),
  abort: (c, e) => abort(c, e.thread),
  disputeStarted: (c) => ({
    channel: { ...c, disputed: true },
    effects: [],
    waitingFor: "nothing",
  }),
  disputeEnded: (c) => ({ channel: { ...c, disputed: false }, effects: [], waitingFor: "nothing" }),
};

const PERSISTED = { ours: onOurPersisted, theirs: onTheirPersisted, sync: onSyncPersisted };

/**
 * One step of the channel conversation (DESIGN §4.4): the conversation and an event in, the
 * next conversation, the effects for the shell to carry out in order, and what the thread
 * the event touched waits for. Pure: no clock (times come in events), no I/O (chain facts,
 * signatures and writes are asked for as effects and come back as events), no throw for
 * anything the counterparty sends (refusals are effects).
 *
 * @example
 * let { channel, effects } = step(conversation, { type: "propose", draft, now }, context);
 * // effects: [{ kind: "sign", thread: "ours", digest }] → sign it, then
 * ({ channel, effects } = step(channel, { type: "signed", thread: "ours", signature }, context));
 * // effects: [{ kind: "send", message }] → send it, feed the reply as a "reply" event
 */
export function step(conversation: Conversation, event: Event, context: StepContext): StepResult {
  const handler = HANDLERS[event.type] as (
    conversation: Conversation,
    event: Event,
    context: StepContext,
  ) => StepResult;
  return handler(conversation, event, context);
}

/** A shell-side step failed: the thread ends where it stood, nothing adopted. */
function abort(conversation: Conversation, thread: "ours" | "theirs" | "sync"): StepResult {
  if (!conversation[thread]) return ignored(conversation);
  const { [thread]: _, ...rest } = conversation;
  return { channel: rest, effects: [], waitingFor: "nothing" };
}
