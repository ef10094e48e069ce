import {
  type ChannelUpdate,
  type ChannelView,
  encodeMessage,
  ProtocolError,
  type UpdateDraft,
} from "../../protocol";
import type { Effect, Event, Performer } from "../../protocol/conversation";
import { decodeReply, updateResultSchema } from "../../protocol/messaging";
import type { ChannelServiceDeps, ProposalCheck, ProposeHooks } from "./channelServiceDeps";
import { isNodeError, NodeError } from "./errors";
import type { ViewCache } from "./viewCache";

/** What one call on a channel brings along: its user, its lock, and its own draft or check. */
export interface CallScope {
  user: string;
  channelAddress: string;
  /** Confirms the channel lock is still ours (ChannelLocks): before every signature. */
  confirm(): Promise<void>;
  draft?(view: ChannelView): Promise<UpdateDraft | undefined> | UpdateDraft | undefined;
  check?: ProposalCheck;
  hooks?: ProposeHooks;
  /** What stored updates set off, run once the conversation ends (see ChannelService.converse). */
  committed: (() => void)[];
}

/**
 * How the node carries out the conversation's effects (src/protocol/conversation): chain
 * reads, signatures under a confirmed lock, writes in one transaction with their bookkeeping,
 * and requests to the user.
 */
export function nodePerformer(
  deps: ChannelServiceDeps,
  views: ViewCache,
  scope: CallScope,
): Performer {
  const now = () => deps.now();
  return async (effect: Effect): Promise<Event | undefined> => {
    switch (effect.kind) {
      case "draft": {
        if (!effect.view.state) {
          throw new ProtocolError("CHANNEL_NOT_SETUP", `no channel with ${scope.user}`);
        }
        const draft = await scope.draft?.(effect.view);
        return draft ? { type: "propose", draft, now: now() } : { type: "abandon" };
      }
      case "check":
        await scope.check?.(effect.view, effect.update);
        return { type: "checked" };
      case "readDeposits": {
        const totals = await deps.readDeposits(effect.channelAddress, effect.assetId);
        return { type: "chainFacts", thread: effect.thread, facts: { chainDeposits: totals } };
      }
      case "readDisputeOutcome": {
        const outcome = await deps.readDisputeOutcome(effect.view);
        return { type: "chainFacts", thread: effect.thread, facts: { chainDispute: outcome } };
      }
      case "sign":
        // Nothing is signed unless the channel is still surely ours (ChannelLocks).
        await scope.confirm();
        return {
          type: "signed",
          thread: effect.thread,
          signature: await deps.signer.signDigest(effect.digest),
        };
      case "persist":
        await persist(deps, views, scope, effect);
        return { type: "persisted", thread: effect.thread };
      case "send":
        return send(deps, scope, effect.message.update, encodeMessage(effect.message), now);
      default:
        return undefined;
    }
  };
}

async function persist(
  deps: ChannelServiceDeps,
  views: ViewCache,
  scope: CallScope,
  effect: Extract<Effect, { kind: "persist" }>,
): Promise<void> {
  const { applied, before } = effect;
  if (!applied) throw new NodeError("INTERNAL", "the node never restores a channel");
  await deps.store.saveApplied(applied, (tx) => deps.record(tx, applied, before));
  views.remember(applied.state.channelAddress, effect.view);
  const update = applied.state.latestUpdate;
  if (effect.cause === "caughtUp") {
    deps.logger.info(
      { channel: update.channelAddress, nonce: update.nonce, type: update.type },
      "caught up from a doubly-signed update",
    );
  }
  if (effect.resumedRound !== undefined) deps.resumed?.(update.channelAddress, effect.resumedRound);
  scope.committed.push(() => deps.committed(applied, before));
}

async function send(
  deps: ChannelServiceDeps,
  scope: CallScope,
  update: ChannelUpdate,
  payload: string,
  now: () => number,
): Promise<Event> {
  const timeoutMs = scope.hooks?.replyTimeoutMs;
  const raw = await deps
    .requestPeer(scope.user, "update", payload, timeoutMs !== undefined ? { timeoutMs } : {})
    .catch(async (error) => {
      // Still under the lock (confirmed: still ours): nobody can have signed anything on top.
      if (isNodeError(error) && error.context.delivered === false) {
        await scope.confirm();
        await scope.hooks?.undelivered?.(update);
      }
      throw error;
    });
  const reply = decodeReply<{ update: ChannelUpdate }>(raw, updateResultSchema);
  return {
    type: "reply",
    reply: reply.ok ? { ok: true, update: reply.result.update } : { ok: false, error: reply.error },
    now: now(),
  };
}
