import type { Conversation, Effect, StepResult, WaitingFor } from "./types";

export function result(
  channel: Conversation,
  effects: Effect[],
  waitingFor: WaitingFor,
): StepResult {
  return { channel, effects, waitingFor };
}

/** An event the thread is not waiting for: nothing changes (a late or duplicate message). */
export function ignored(channel: Conversation): StepResult {
  return { channel, effects: [], waitingFor: "nothing" };
}
