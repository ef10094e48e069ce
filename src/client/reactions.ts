import type { Wallet } from "ethers";
import { type AppliedUpdate, type FullTransferState, hashlock, withdraw } from "../protocol";
import { bytesToHex } from "../protocol/bytes";
import {
  decodeRequest,
  type NodeEvent,
  nodeEventSchema,
  payeeRoutingSchema,
  payerRoutingSchema,
  readMeta,
} from "../protocol/messaging";
import type { PaymentStatus } from "./client";
import type { ClientChannel } from "./clientChannel";
import { decryptWithPrivateKey, lockHashOf } from "./crypto";
import { ClientError } from "./errors";
import type { ClientEvents } from "./events";
import { hashlockExpired } from "./nodeEffects";
import type { Waiters } from "./waiters";

export const ZERO_PRE_IMAGE = `0x${"0".repeat(64)}`;

export interface ReactionDeps {
  wallet: Wallet;
  hashlockAddress: string;
  channel: ClientChannel;
  events: ClientEvents;
  payments: Waiters<{ status: PaymentStatus; reason?: string }>;
  withdrawals: Waiters<Extract<NodeEvent, { event: "withdraw" }>>;
  track(work: Promise<unknown>): void;
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
}

/**
 * What the client does on its own when the channel moves or the node tells it something:
 * claims payments to it with their decrypted pre-image, cancels expired ones, countersigns the
 * node's collateral withdrawals, settles waiting calls and emits the application's events.
 */
export class NodeReactions {
  constructor(private readonly deps: ReactionDeps) {}

  /** What an update sets off here, whoever proposed it. */
  applied(applied: AppliedUpdate, ours: boolean): void {
    const update = applied.state.latestUpdate;
    const transfer = applied.transfer;
    if (update.type === "deposit") {
      this.deps.events.emit("deposit.confirmed", {
        assetId: update.assetId,
        balance: this.deps.getBalance(update.assetId),
      });
      return;
    }
    if (!transfer) return;
    const isHashlock =
      transfer.transferDefinition.toLowerCase() === this.deps.hashlockAddress.toLowerCase();
    if (update.type === "create" && !ours) {
      if (isHashlock) this.onPaymentReceived(transfer);
      else this.deps.track(this.countersignNodeWithdrawal(transfer));
      return;
    }
    if (update.type === "resolve" && isHashlock) {
      const cancelled =
        transfer.transferResolver !== undefined &&
        hashlock.decodeResolver(transfer.transferResolver).preImage === ZERO_PRE_IMAGE;
      const mine = transfer.initiator.toLowerCase() === this.deps.wallet.address.toLowerCase();
      const payer = mine ? readMeta(transfer.meta, "routing", payerRoutingSchema) : undefined;
      const payee = mine ? undefined : readMeta(transfer.meta, "routing", payeeRoutingSchema);
      const paymentId = payer?.paymentId ?? payee?.paymentId;
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
      });
    }
  }

  private onPaymentReceived(transfer: FullTransferState): void {
    const routing = readMeta(transfer.meta, "routing", payeeRoutingSchema);
    if (!routing) return;
    this.deps.events.emit("transfer.received", {
      transferId: transfer.transferId,
      paymentId: routing.paymentId,
      sender: routing.sender,
      assetId: transfer.assetId,
      amount: transfer.balance.amount[0],
      ...(transfer.meta?.app ? { meta: transfer.meta.app as Record<string, unknown> } : {}),
    });
    if (routing.encryptedPreImage) this.deps.track(this.claim(transfer, routing.encryptedPreImage));
  }

  /** Decrypts the pre-image of a payment to us and resolves it. */
  private async claim(transfer: FullTransferState, encrypted: string): Promise<void> {
    let preImage: string;
    try {
      preImage = bytesToHex(decryptWithPrivateKey(this.deps.wallet.privateKey, encrypted));
    } catch {
      this.deps.events.emit(
        "error",
        new ClientError("DECRYPTION_FAILED", `payment ${transfer.transferId} cannot be decrypted`),
      );
      return;
    }
    const { lockHash } = hashlock.decodeState(transfer.transferState);
    if (lockHashOf(preImage) !== lockHash.toLowerCase()) return;
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
      if (transfer.transferDefinition.toLowerCase() !== this.deps.hashlockAddress.toLowerCase()) {
        this.deps.track(this.countersignNodeWithdrawal(transfer));
        continue;
      }
      if (hashlockExpired(transfer.transferState, now)) {
        this.deps.track(this.cancelUnlessRevealed(transfer));
        continue;
      }
      const routing = readMeta(transfer.meta, "routing", payeeRoutingSchema);
      if (routing?.encryptedPreImage)
        this.deps.track(this.claim(transfer, routing.encryptedPreImage));
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
      if (event.status !== "completed") {
        this.deps.payments.settle(event.paymentId, {
          status: event.status,
          ...(event.reason ? { reason: event.reason } : {}),
        });
      }
    } else if (event.event === "withdraw") {
      this.deps.withdrawals.settle(event.transferId, event);
      if (event.status === "confirmed" && event.transactionHash) {
        this.deps.events.emit("withdraw.confirmed", {
          transferId: event.transferId,
          transactionHash: event.transactionHash,
        });
      }
    }
  }
}
