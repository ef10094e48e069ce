import type { Logger } from "pino";
import { claimableOnchain, hashlock, mirrorExpiryFor } from "../../protocol";
import type { ChannelStore } from "../store/channelStore";
import type { Payment, PaymentRepository } from "../store/payments";
import type { ChannelService } from "./channelService";
import type { RoutingRules } from "./routingRules";

export interface RefundDeps {
  channels: ChannelService;
  store: ChannelStore;
  payments: PaymentRepository;
  rules: RoutingRules;
  now(): number;
  logger: Logger;
}

const ZERO_PRE_IMAGE = `0x${"0".repeat(64)}`;

/**
 * When a routed payment's payer gets its money back (DESIGN §4.6): only once no mirror the node
 * signed can still be claimed, decided by one conditional statement so that a mirror signed
 * meanwhile stops it, then sent to the payer as a resolve with the zero pre-image (again when
 * the payer returns, if it was away).
 */
export class PaymentRefunds {
  private sweeping = false;

  constructor(private readonly deps: RefundDeps) {}

  /**
   * Refunds the payer if no mirror the node signed can still be claimed; otherwise the payment
   * stays pending until the mirror dies (the sweep comes back for it). True once the refund is
   * decided (the payer's cancel may still wait for the payer to come back).
   */
  async refund(paymentId: string, reason: string): Promise<boolean> {
    const payment = await this.deps.payments.get(paymentId);
    if (!payment) return false;
    if (payment.status === "pending") {
      if (!(await this.mirrorDead(payment))) {
        this.deps.logger.info({ paymentId, reason }, "not refunded yet: a signed mirror is live");
        return false;
      }
      const decided = await this.deps.payments.decideRefund(
        paymentId,
        { mirrorNonce: payment.mirrorNonce, recipientTransferId: payment.recipientTransferId },
        reason,
      );
      if (!decided) return false; // something moved meanwhile: decided again next time
    } else if (payment.status !== "cancelled") {
      return false;
    }
    await this.cancelPayer(payment, payment.error ?? reason);
    return true;
  }

  /**
   * Whether no mirror of the payment can be claimed any more: never signed; resolved with the
   * zero pre-image; expired (with grace for the chain's clock); or, never adopted, with the
   * payee's channel past every nonce the node signed one at.
   */
  private async mirrorDead(payment: Payment): Promise<boolean> {
    const now = this.deps.now();
    const expired =
      payment.mirrorExpiry !== null &&
      now >= payment.mirrorExpiry + this.deps.rules.expiryGraceSeconds;
    if (payment.recipientTransferId) {
      const mirror = await this.deps.store.getTransfer(payment.recipientTransferId);
      // Settled on-chain in a dispute: what the chain paid decides (the router reads it).
      if (!mirror || mirror.disputed) return false;
      if (!mirror.active) return this.isCancel(mirror.transfer);
      return expired;
    }
    if (payment.mirrorNonce === null || expired) return true;
    const latest = await this.deps.store.latestNonce(
      this.deps.channels.channelFor(payment.recipient),
    );
    return latest > payment.mirrorNonce;
  }

  /**
   * Refunds pending payments the payee can no longer claim: a signed mirror expired, or none
   * signed and too little time left to sign one the payee could claim on-chain. One sweep at
   * a time; each payment on its own.
   */
  async sweepExpired(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      const { expiryGraceSeconds, claimBufferSeconds, maxExpirySeconds } = this.deps.rules;
      const now = this.deps.now();
      // Unforwarded payments within the longest any route needs are checked one by one below.
      const candidates = await this.deps.payments.refundCandidates(
        now - expiryGraceSeconds,
        now + maxExpirySeconds + claimBufferSeconds,
      );
      for (const payment of candidates) {
        await this.isolated(payment.paymentId, async () => {
          if (payment.mirrorNonce === null && (await this.stillForwardable(payment))) return;
          await this.refund(payment.paymentId, "expired");
        });
      }
    } finally {
      this.sweeping = false;
    }
  }

  /** Whether a mirror signed now would still leave the payee room to claim it on-chain. */
  private async stillForwardable(payment: Payment): Promise<boolean> {
    const [payer, payee] = await Promise.all([
      this.deps.channels.currentView(payment.sender),
      this.deps.channels.currentView(payment.recipient),
    ]);
    if (!payer?.state || !payee?.state) return false;
    const { claimBufferSeconds: buffer } = this.deps.rules;
    const expiry = mirrorExpiryFor(BigInt(payment.expiry), payer.state.timeout, buffer);
    return claimableOnchain(expiry, this.deps.now(), payee.state.timeout, buffer);
  }

  /** Sends the payer its refund: resolves its transfer with the zero pre-image. */
  async cancelPayer(payment: PayerSide, reason: string): Promise<void> {
    await this.deps.channels.propose(payment.sender, (view) =>
      view.transfers.has(payment.senderTransferId)
        ? {
            type: "resolve",
            transferId: payment.senderTransferId,
            transferResolver: hashlock.encodeResolver({ preImage: ZERO_PRE_IMAGE }),
            meta: { paymentId: payment.paymentId, reason: reason.slice(0, 200) },
          }
        : undefined,
    );
    this.deps.logger.info({ paymentId: payment.paymentId, reason }, "payment cancelled");
  }

  /** Runs one payment's work; a failure is logged and never stops the caller's loop. */
  private async isolated(paymentId: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.deps.logger.warn(
        { paymentId, err: error instanceof Error ? error.message : String(error) },
        "payment step failed",
      );
    }
  }

  private isCancel(transfer: { transferResolver?: string }): boolean {
    if (!transfer.transferResolver) return false;
    return hashlock.decodeResolver(transfer.transferResolver).preImage === ZERO_PRE_IMAGE;
  }
}

/** What refunding a payer's transfer needs. */
export type PayerSide = Pick<Payment, "paymentId" | "sender" | "senderTransferId">;
