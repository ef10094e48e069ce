import {
  type AppliedUpdate,
  type ChannelUpdate,
  isProtocolError,
  ProtocolError,
  type ProtocolErrorCode,
} from "../protocol";
import type { Effect, Refusal } from "../protocol/conversation";
import { errorReply, okReply } from "../protocol/messaging";
import { ClientError, nodeRefusal } from "./errors";

/**
 * What a finished thread of the conversation means to the client's callers: the effects that
 * ended it (`done`, `reply`, `synced`) turned into a result, a wire reply or a thrown error
 * with the code callers match on.
 */

/**
 * Our proposal's outcome: the update applied, or undefined when the draft found nothing to
 * do. A refusal is thrown: ours (the rules, a dispute) as the ProtocolError it was, the
 * node's as its code (`nodeRefusal`).
 */
export function proposalOutcome(ended: Effect[], type: string): AppliedUpdate | undefined {
  const done = ended.find((effect) => effect.kind === "done");
  if (!done) throw new ClientError("CHANNEL_NOT_READY", `the ${type} was not proposed`);
  const { outcome } = done;
  if (outcome.ok) return outcome.applied;
  if (outcome.abandoned) return undefined;
  if (outcome.by === "us") throw protocolError(outcome.refusal);
  throw nodeRefusal(
    outcome.refusal.code,
    `the node refused the ${type}: ${outcome.refusal.message}`,
  );
}

/** Our answer to the node's proposal, on the wire. */
export function replyOf(ended: Effect[]): string {
  const answer = ended.find((effect) => effect.kind === "reply");
  if (!answer) throw new ClientError("CHANNEL_NOT_READY", "the proposal was not answered");
  return answer.reply.ok
    ? okReply({ update: answer.reply.update })
    : errorReply(answer.reply.error);
}

/** A sync or restore ended: throws when what the node sent did not check out. */
export function syncOutcome(ended: Effect[]): void {
  const synced = ended.find((effect) => effect.kind === "synced");
  if (synced?.refusal) throw protocolError(synced.refusal);
}

/** A thrown error as the reply the node gets: its code (and our latest, on STALE_NONCE). */
export function replyFor(error: unknown): string {
  if (isProtocolError(error)) {
    const latest = error.context.latestUpdate as ChannelUpdate | undefined;
    return errorReply({
      code: error.code,
      message: error.message,
      ...(latest ? { latestUpdate: latest } : {}),
    });
  }
  if (error instanceof ClientError) return errorReply({ code: error.code, message: error.message });
  return errorReply({ code: "INTERNAL", message: "the client could not answer" });
}

/** A refusal of ours as the ProtocolError the rules threw (the step keeps code and message). */
function protocolError(refusal: Refusal): ProtocolError {
  const { code, message, latestUpdate } = refusal;
  return new ProtocolError(
    code as ProtocolErrorCode,
    message,
    latestUpdate ? { latestUpdate } : {},
  );
}
