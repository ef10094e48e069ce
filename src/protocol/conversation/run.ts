import { step } from "./step";
import type { Conversation, Effect, Event, StepContext } from "./types";

/** Where a shell keeps a conversation: `run` reads and replaces it around every step. */
export interface ConversationHolder {
  conversation: Conversation;
}

/**
 * Carries out one effect; returns the event it answers with (a signature, a stored write,
 * chain facts, a reply), or undefined for an effect that ends a thread.
 */
export type Performer = (effect: Effect) => Promise<Event | undefined>;

/**
 * The shells' loop: feeds `event`, carries out the effects in order with `perform`, and feeds
 * back what they answer until the thread waits on nobody. Returns the effects that ended it
 * (`done`, `reply`, `synced`). Does no I/O of its own; a throw from `perform` ends the thread
 * (the shell then reports the error) after the thread is aborted, nothing adopted.
 */
export async function runConversation(
  holder: ConversationHolder,
  event: Event,
  context: StepContext,
  perform: Performer,
): Promise<Effect[]> {
  const ended: Effect[] = [];
  let next: Event | undefined = event;
  while (next) {
    const thread = threadOf(next);
    const { channel, effects } = step(holder.conversation, next, context);
    holder.conversation = channel;
    next = undefined;
    for (const effect of effects) {
      if (ENDS.has(effect.kind)) ended.push(effect);
      try {
        next = (await perform(effect)) ?? next;
      } catch (error) {
        if (thread)
          holder.conversation = step(
            holder.conversation,
            { type: "abort", thread },
            context,
          ).channel;
        throw error;
      }
    }
  }
  return ended;
}

const ENDS = new Set<Effect["kind"]>(["done", "reply", "synced"]);

/** The thread an event belongs to, for aborting it. */
export function threadOf(event: Event): "ours" | "theirs" | "sync" | undefined {
  if ("thread" in event) return event.thread;
  return THREADS[event.type];
}

const THREADS: Partial<Record<Event["type"], "ours" | "theirs" | "sync">> = {
  propose: "ours",
  abandon: "ours",
  reply: "ours",
  replyTimedOut: "ours",
  message: "theirs",
  checked: "theirs",
  peerLatest: "sync",
};
