import type { Wallet } from "ethers";
import {
  type AppliedUpdate,
  type ChannelUpdate,
  type ChannelView,
  type FullTransferState,
  type UpdateType,
  withdraw,
} from "../protocol";
import {
  type ClientReaction,
  type DefinitionPlugins,
  pluginOf,
  transferMoments,
} from "../protocol/definitions";
import {
  decodeRequest,
  type NodeEvent,
  nodeEventSchema,
  payeeRoutingSchema,
  payerRoutingSchema,
  readMeta,
} from "../protocol/messaging";
import { appMetaOf } from "./appMeta";
import type { PaymentStatus } from "./client";
import type { ClientChannel } from "./clientChannel";
import { ConditionalPolicy } from "./conditionalPolicy";
import { depositEvents } from "./depositEvents";
import type { ClientEvents } from "./events";
import { type ReceivedTerms, refusalOf, type TermsVerdict } from "./receivedTerms";
import type { ClientThreads } from "./threads/threads";
import type { Waiters } from "./waiters";

export const ZERO_PRE_IMAGE = `0x${"0".repeat(64)}`;

export interface ReactionDeps {
  wallet: Wallet;
  /** The definitions we carry: each says what its transfers set off here. */
  plugins: DefinitionPlugins;
  channel: ClientChannel;
  events: ClientEvents;
  /** The payer's terms of each payment to us, checked against its mirror. */
  terms: ReceivedTerms;
  /** Which conditional payments to us are held; the others are cancelled at once. */
  conditional: ConditionalPolicy;
  payments: Waiters<{ status: PaymentStatus; reason?: string }>;
  /**
   * The node says it sent (or failed to send) our withdrawal: a hint to read the chain now.
   * Only the chain confirms a withdrawal (`src/client/withdrawals`), never this unsigned event.
   */
  nodeReportedWithdrawal(transferId: string): void;
  /** Our own withdrawal, resolved by the node (`src/client/withdrawals`). */
  withdrawalResolved(transfer: FullTransferState): void;
  track(work: Promise<unknown>): void;
  /** The node says something changed: look at the channel (a sync), never take its word. */
  hint(): void;
  getBalance(assetId: string): { user: bigint; node: bigint };
  resolveTransfer(args: { transferId: string; preImage: string }): Promise<unknown>;
  /** Whether the transfer's pre-image left us (then it is never cancelled). */
  revealed(transferId: string): Promise<boolean>;
  /** Whether revealing a pre-image now still leaves room to claim the transfer on-chain. */
  claimable(transfer: FullTransferState): boolean;
  /** Unix seconds. */
  now(): number;
  closed(): boolean;
  /** Whether a dispute is on record: nothing is signed but a resume. */
  inDispute(): boolean;
  /** Threads through the node (`src/client/threads`). */
  threads: Pick<ClientThreads, "opened" | "resolved" | "waiting">;
}

/**
 * What the client does on its own when the channel moves or the node tells it something:
 * claims payments to it with the pre-image of their payer's terms when the mirror pays exactly
 * those terms (and cancels those it does not: their pre-image never leaves us), cancels expired
 * ones, countersigns the node's collateral withdrawals, settles waiting calls and emits the
 * application's events.
 */
export class NodeReactions {
  constructor(private readonly deps: ReactionDeps) {}

  /** What an update sets off here, whoever proposed it; `before` is the channel it moved from. */
  applied(applied: AppliedUpdate, before: ChannelView, ours: boolean): void {
    this.afterStored[applied.state.latestUpdate.type]?.(applied, before);
    for (const moment of transferMoments(applied, this.deps.wallet.address, ours)) {
      const client = pluginOf(this.deps.plugins, moment.transfer.transferDefinition)?.client;
      for (const intent of client?.react(moment) ?? []) this.carryOut(intent);
    }
  }

  /** What an update of each type sets off here, whatever its transfers' definitions. */
  private readonly afterStored: Partial<
    Record<UpdateType, (applied: AppliedUpdate, before: ChannelView) => void>
  > = {
    deposit: (applied, before) => {
      const update = applied.state.latestUpdate as ChannelUpdate<"deposit">;
      const balance = this.deps.getBalance(update.assetId);
      for (const { event, payload } of depositEvents(before, update, balance)) {
        this.deps.events.emit(event, payload);
      }
    },
  };

  /** The one dispatch map of what a definition's transfers set off at the client. */
  private readonly reactions: {
    [Kind in ClientReaction["kind"]]: (intent: Extract<ClientReaction, { kind: Kind }>) => void;
  } = {
    receivePayment: ({ transfer }) => this.onPaymentReceived(transfer),
    claimReceived: ({ transfer }) => {
      const verdict = this.deps.terms.check(transfer);
      if (!this.refused(transfer, verdict)) this.claimIfVerified(transfer, verdict);
    },
    cancelUnlessRevealed: ({ transfer }) => this.deps.track(this.cancelUnlessRevealed(transfer)),
    countersignWithdrawal: ({ transfer }) =>
      this.deps.track(this.countersignNodeWithdrawal(transfer)),
    withdrawalResolved: ({ transfer }) => this.deps.withdrawalResolved(transfer),
    paymentResolved: ({ transfer, cancelled }) => this.paymentResolved(transfer, cancelled),
    announce: ({ transfer }) => this.announceRouted(transfer),
    resolve: ({ transfer, resolver }) => this.deps.track(this.resolveWith(transfer, resolver)),
    threadOpened: ({ transfer }) => this.deps.track(this.deps.threads.opened(transfer)),
    threadResolved: ({ transfer }) => this.deps.threads.resolved(transfer),
    threadWaiting: ({ transfer }) => this.deps.threads.waiting(transfer),
  };

  private carryOut(intent: ClientReaction): void {
    (this.reactions[intent.kind] as (intent: ClientReaction) => void)(intent);
  }

  /** A payment left the channel: the waiting call is settled, the application told. */
  private paymentResolved(transfer: FullTransferState, cancelled: boolean): void {
    const mine = transfer.initiator.toLowerCase() === this.deps.wallet.address.toLowerCase();
    const payer = mine ? readMeta(transfer.meta, "routing", payerRoutingSchema) : undefined;
    const payee = mine ? undefined : readMeta(transfer.meta, "routing", payeeRoutingSchema);
    const paymentId = payer?.paymentId ?? payee?.paymentId;
    const meta = appMetaOf(transfer);
    if (!mine) this.deps.terms.forget(transfer.transferId);
    if (payer)
      this.deps.payments.settle(payer.paymentId, {
        status: cancelled ? "cancelled" : "completed",
      });
    this.deps.events.emit("transfer.resolved", {
      transferId: transfer.transferId,
      ...(paymentId ? { paymentId } : {}),
      assetId: transfer.assetId,
      amount: transfer.balance.amount[0] + transfer.balance.amount[1],
      cancelled,
      ...(meta ? { meta } : {}),
    });
  }

  /**
   * A routed transfer to us of a definition without payer's terms: the application hears of
   * it with what the node says (`verified: false`).
   */
  private announceRouted(transfer: FullTransferState): void {
    const routing = readMeta(transfer.meta, "routing", payeeRoutingSchema);
    if (!routing) return;
    const meta = appMetaOf(transfer);
    this.deps.events.emit("transfer.received", {
      transferId: transfer.transferId,
      paymentId: routing.paymentId,
      sender: routing.sender,
      assetId: transfer.assetId,
      amount: transfer.balance.amount[0],
      ...(meta ? { meta } : {}),
      verified: false,
    });
  }

  /** Resolves a transfer in our channel with what its definition says. */
  private async resolveWith(transfer: FullTransferState, resolver: string): Promise<void> {
    await this.deps.channel.propose((view) =>
      view.transfers.has(transfer.transferId)
        ? { type: "resolve", transferId: transfer.transferId, transferResolver: resolver }
        : undefined,
    );
  }

  /**
   * A payment to us: the application hears of it with the sender and meta its payer's terms
   * vouch for, and we claim it with the terms' pre-image. One that is not what its payer
   * signed is reported and cancelled instead.
   */
  private onPaymentReceived(transfer: FullTransferState): void {
    const verdict = this.deps.terms.check(transfer);
    if (this.refused(transfer, verdict) || verdict.status === "mismatch") return;
    if (ConditionalPolicy.isConditional(verdict)) {
      this.deps.track(this.admitConditional(transfer, verdict));
      return;
    }
    this.announce(transfer, verdict);
    this.claimIfVerified(transfer, verdict);
  }

  /**
   * A conditional payment is held only if the policy takes it (the application's say, and a
   * bound on how many wait at once); otherwise it is cancelled now and its payer refunded.
   */
  private async admitConditional(
    transfer: FullTransferState,
    verdict: Exclude<TermsVerdict, { status: "mismatch" }>,
  ): Promise<void> {
    const reason = await this.deps.conditional.refusal(transfer, verdict);
    if (reason === undefined) {
      this.announce(transfer, verdict);
      return;
    }
    this.deps.events.emit("transfer.refused", {
      transferId: transfer.transferId,
      paymentId: verdict.paymentId,
      assetId: transfer.assetId,
      amount: transfer.balance.amount[0],
      reason,
    });
    await this.cancelUnlessRevealed(transfer);
  }

  private announce(
    transfer: FullTransferState,
    verdict: Exclude<TermsVerdict, { status: "mismatch" }>,
  ): void {
    this.deps.events.emit("transfer.received", {
      transferId: transfer.transferId,
      paymentId: verdict.paymentId,
      sender: verdict.sender,
      assetId: transfer.assetId,
      amount: transfer.balance.amount[0],
      ...(verdict.meta ? { meta: verdict.meta } : {}),
      verified: verdict.status === "verified",
    });
  }

  /**
   * A payment to us that must not be claimed (its mirror does not match its payer's terms, or
   * it carries a pre-image without terms): reported once, and cancelled, which is safe since
   * its pre-image never left us. Whether it was.
   */
  private refused(transfer: FullTransferState, verdict: TermsVerdict): boolean {
    const refusal = refusalOf(transfer, verdict);
    if (!refusal) return false;
    if (this.deps.terms.firstReport(transfer.transferId)) this.deps.events.emit("error", refusal);
    this.deps.track(this.cancelUnlessRevealed(transfer));
    return true;
  }

  /** Claims a payment whose mirror pays its payer's terms, with the terms' pre-image. */
  private claimIfVerified(transfer: FullTransferState, verdict: TermsVerdict): void {
    if (verdict.status !== "verified" || !verdict.terms.preImage) return;
    this.deps.track(this.claim(transfer, verdict.terms.preImage));
  }

  private async claim(transfer: FullTransferState, preImage: string): Promise<void> {
    // Too late to defend on-chain: let it expire and be refunded rather than hand the node a
    // pre-image it could use without paying us.
    if (!this.deps.claimable(transfer)) return;
    await this.deps.resolveTransfer({ transferId: transfer.transferId, preImage });
  }

  /** The node reclaims its collateral: we sign its commitment (the check matched it). */
  private async countersignNodeWithdrawal(transfer: FullTransferState): Promise<void> {
    const state = withdraw.decodeState(transfer.transferState);
    await this.deps.channel.propose((view) =>
      view.transfers.has(transfer.transferId)
        ? {
            type: "resolve",
            transferId: transfer.transferId,
            transferResolver: withdraw.encodeResolver({
              responderSignature: this.deps.wallet.signingKey.sign(state.data).serialized,
            }),
          }
        : undefined,
    );
  }

  /** Payments to us that arrived while away (claim them) or expired (cancel them). */
  settleReceived(): void {
    if (this.deps.closed() || this.deps.inDispute()) return;
    const now = this.deps.now();
    for (const transfer of this.deps.channel.view.transfers.values()) {
      if (transfer.responder.toLowerCase() !== this.deps.wallet.address.toLowerCase()) continue;
      const client = pluginOf(this.deps.plugins, transfer.transferDefinition)?.client;
      for (const intent of client?.waiting(transfer, now) ?? []) this.carryOut(intent);
    }
  }

  /**
   * Cancels an expired payment to us, unless we revealed its pre-image: the node may hold it
   * and have claimed the payer's side, so the payment is ours to claim on-chain, not to cancel.
   */
  private async cancelUnlessRevealed(transfer: FullTransferState): Promise<void> {
    if (await this.deps.revealed(transfer.transferId)) return;
    await this.deps.resolveTransfer({ transferId: transfer.transferId, preImage: ZERO_PRE_IMAGE });
  }

  event(data: Uint8Array): void {
    let event: NodeEvent;
    try {
      event = decodeRequest<NodeEvent>(data, nodeEventSchema);
    } catch {
      return;
    }
    if (event.event === "payment") {
      // Unsigned: a node could say "failed" while our transfer is still locked and complete
      // it later, and an application that retried would pay twice. A payment's outcome is
      // only ever read from the channel: the resolve of our transfer that we countersigned
      // (`applied` above). The event is a hint that one may be on its way.
      // "pending" claims nothing, so a payer waiting for the outcome hears it at once (the
      // payee is away); the outcome itself still comes only from the channel.
      if (event.status === "pending") {
        this.deps.payments.answerWaiting(event.paymentId, { status: "pending" });
      }
      if (event.status !== "completed") this.deps.hint();
    } else if (event.event === "withdraw") {
      this.deps.nodeReportedWithdrawal(event.transferId);
    }
  }
}
