import type { AppliedUpdate, ChannelUpdate, ChannelView, ProtocolErrorCode } from "../../protocol";
import { ProtocolError } from "../../protocol";
import {
  type Conversation,
  type Effect,
  type Refusal,
  type StepContext,
  startConversation,
} from "../../protocol/conversation";
import type { ChannelServiceDeps } from "./channelServiceDeps";
import { NodeError } from "./errors";

/** A refusal as the error the node's callers know: its own as a ProtocolError. */
export function protocolErrorOf(refusal: Refusal): ProtocolError {
  return new ProtocolError(
    refusal.code as ProtocolErrorCode,
    refusal.message,
    refusal.latestUpdate ? { latestUpdate: refusal.latestUpdate } : {},
  );
}

/** The node's conversation with `user`: it is alice, restores from no one, and keeps the freeze. */
export function nodeConversation(
  deps: ChannelServiceDeps,
  user: string,
  channelAddress: string,
  view: ChannelView,
): Conversation {
  return startConversation({
    me: deps.signer.address,
    peer: user,
    alice: deps.signer.address,
    network: deps.network,
    view,
    disputed: deps.inDispute(channelAddress),
    canRestore: false,
  });
}

export function stepContext(deps: ChannelServiceDeps): StepContext {
  return { network: deps.network, lookupDefinition: deps.lookupDefinition, policy: deps.policy };
}

/**
 * What our proposal came to: the applied update, undefined when the draft found nothing to
 * do; a refusal thrown, by our own rules as a ProtocolError, by the user as PEER_REJECTED.
 */
export function proposedOf(user: string, end: Effect | undefined): AppliedUpdate | undefined {
  if (end?.kind !== "done") return undefined;
  const outcome = end.outcome;
  if (outcome.ok) return outcome.applied;
  if (outcome.abandoned) return undefined;
  throw refusalError(user, outcome);
}

function refusalError(
  user: string,
  outcome: { refusal: Refusal; by: "peer" | "us"; exhausted: boolean },
): Error {
  if (outcome.by === "us") return protocolErrorOf(outcome.refusal);
  if (outcome.exhausted)
    return new NodeError("PEER_REJECTED", `${user} stayed ahead after catching up`);
  return new NodeError("PEER_REJECTED", `${user} refused: ${outcome.refusal.message}`, {
    peerCode: outcome.refusal.code,
  });
}

/** The countersigned update a finished answer replies with; its refusal thrown. */
export function answerOf(end: Effect | undefined): ChannelUpdate {
  if (end?.kind !== "reply") throw new NodeError("INTERNAL", "the answer ended without a reply");
  if (!end.reply.ok) throw protocolErrorOf(end.reply.error);
  return end.reply.update;
}
