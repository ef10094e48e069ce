import type { Logger } from "pino";
import { claimableOnchain, type FullTransferState, mirrorExpiryFor } from "../../protocol";
import { type DefinitionPlugins, pluginOf } from "../../protocol/definitions";
import type { ChannelStore } from "../store/channelStore";
import type { Payment, PaymentRepository } from "../store/payments";
import type { ChannelService } from "./channelService";
import { isNodeError } from "./errors";
import type { RoutingRules } from "./routingRules";

export interface RefundDeps {
  channels: ChannelService;
  /** The definitions the node carries: each says what cancels its transfers. */
  plugins: DefinitionPlugins;
  store: ChannelStore;
  payments: PaymentRepository;
  rules: RoutingRules;
  now(): number;
  /** Runs work in the background, where stopping the engine waits for it. */
  track(work: Promise<unknown>): void;
  logger: Logger;
}

/** Payers whose refunds the sweep works on at once (each payer's one after another). */
export const SWEEP_PARALLEL_PAYERS = 4;
/**
 * How long a cancel the sweep proposes waits for the payer's reply (less for a payer that let
 * the last ones time out): one the payer does not take is tried again by a later sweep, or
 * when it says hello.
 */
export const SWEEP_CANCEL_TIMEOUT_MS = 3_000;
/** Cancels decided but not taken by their payer, kept for the sweep to try again (at most). */
const MAX_OWED = 10_000;

type SweepStep = () => Promise<void>;

/**
 * When a routed payment's payer gets its money back (DESIGN §4.6): only once no mirror the node
 * signed can still be claimed, decided by one conditional statement so that a mirror signed
 * meanwhile stops it, then sent to the payer as a resolve with its definition's cancel (a hashlock's zero pre-image) (again when
 * the payer returns, if it was away).
 */
export class PaymentRefunds {
  private sweeping = false;
  /** Payers (lowercase) whose refunds are being worked on: a sweep leaves them out. */
  private readonly lanes = new Set<string>();
  private running = 0;
  private readonly waitingLanes: (() => void)[] = [];
  /** Refunds decided whose cancel the payer let time out, by payment id (oldest first). */
  private readonly owed = new Map<string, { payment: PayerSide; reason: string }>();

  constructor(private readonly deps: RefundDeps) {}

  /**
   * Refunds the payer if no mirror the node signed can still be claimed; otherwise the payment
   * stays pending until the mirror dies (the sweep comes back for it). True once the refund is
   * decided (the payer's cancel may still wait for the payer to come back).
   */
  async refund(paymentId: string, reason: string, replyTimeoutMs?: number): Promise<boolean> {
    const payment = await this.deps.payments.get(paymentId);
    if (!payment) return false;
    if (payment.status === "pending") {
      const decided = await this.decide(payment, reason);
      if (!decided) return false; // a mirror lives, or something moved: decided again next time
    } else if (payment.status !== "cancelled") {
      return false;
    }
    await this.cancelPayer(payment, payment.error ?? reason, replyTimeoutMs);
    return true;
  }

  /**
   * Decides the refund if no mirror can be claimed any more. Once a mirror was signed this
   * runs under the payee's channel lock (issue 11, item 7): a claim of the mirror being stored
   * at this moment is either in the store before we look, or waits until we have decided and
   * is then refused (PAYMENT_NOT_PENDING). With claims refused within the grace before expiry
   * (CLAIM_TOO_LATE) and mirrors dead only the grace after it, the two never meet.
   */
  private async decide(payment: Payment, reason: string): Promise<boolean> {
    const check = async () => {
      if (!(await this.mirrorDead(payment))) {
        this.deps.logger.info(
          { paymentId: payment.paymentId, reason },
          "not refunded yet: a signed mirror is live",
        );
        return false;
      }
      return this.deps.payments.decideRefund(
        payment.paymentId,
        { mirrorNonce: payment.mirrorNonce, recipientTransferId: payment.recipientTransferId },
        reason,
      );
    };
    const mirrorSigned = payment.mirrorNonce !== null || payment.recipientTransferId !== null;
    return mirrorSigned ? this.deps.channels.withChannel(payment.recipient, check) : check();
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
   * signed and too little time left to sign one the payee could claim on-chain; and sends
   * again the cancels payers let time out. One sweep at a time, and one payer cannot hold up
   * another's refund (issue 11): the sweep hands each payer's work to a lane of its own (that
   * payer's payments one after another, as its channel takes them anyway), at most
   * SWEEP_PARALLEL_PAYERS lanes run at once, each cancel waits SWEEP_CANCEL_TIMEOUT_MS at most,
   * and a payer that let the node's requests time out is left for a later sweep (its back-off,
   * NodeMessaging.deferred). The sweep returns once the lanes are started; a payer whose lane
   * still runs is left out of the next sweep.
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
      const byPayer = new Map<string, SweepStep[]>();
      const add = (payer: string, step: SweepStep) => {
        const key = payer.toLowerCase();
        const steps = byPayer.get(key);
        if (steps) steps.push(step);
        else byPayer.set(key, [step]);
      };
      for (const [paymentId, owed] of this.owed) {
        add(owed.payment.sender, () =>
          this.isolated(paymentId, async () => {
            this.owed.delete(paymentId);
            await this.cancelPayer(owed.payment, owed.reason, SWEEP_CANCEL_TIMEOUT_MS);
          }),
        );
      }
      for (const payment of candidates) {
        add(payment.sender, () =>
          this.isolated(payment.paymentId, async () => {
            if (payment.mirrorNonce === null && (await this.stillForwardable(payment))) return;
            await this.refund(payment.paymentId, "expired", SWEEP_CANCEL_TIMEOUT_MS);
          }),
        );
      }
      for (const [payer, steps] of byPayer) {
        if (this.lanes.has(payer) || this.deps.channels.deferred(payer)) continue;
        this.lanes.add(payer);
        this.deps.track(this.lane(payer, steps).finally(() => this.lanes.delete(payer)));
      }
    } finally {
      this.sweeping = false;
    }
  }

  /** One payer's sweep work, in order, once a lane is free; stops if the payer stops answering. */
  private async lane(payer: string, steps: SweepStep[]): Promise<void> {
    if (this.running >= SWEEP_PARALLEL_PAYERS) {
      // A lane that ends hands its place over: `running` stays as it was.
      await new Promise<void>((resolve) => this.waitingLanes.push(resolve));
    } else {
      this.running++;
    }
    try {
      for (const step of steps) {
        // The rest waits for a sweep after the payer's back-off.
        if (this.deps.channels.deferred(payer)) return;
        await step();
      }
    } finally {
      const next = this.waitingLanes.shift();
      if (next) next();
      else this.running--;
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

  /**
   * Sends the payer its refund: resolves its transfer with its definition's cancel. A payer that
   * lets it time out gets it again from a later sweep (or when it says hello).
   */
  async cancelPayer(payment: PayerSide, reason: string, replyTimeoutMs?: number): Promise<void> {
    try {
      await this.deps.channels.propose(
        payment.sender,
        (view) => {
          const transfer = view.transfers.get(payment.senderTransferId);
          const cancel = transfer && this.cancelOf(transfer);
          return cancel
            ? {
                type: "resolve",
                transferId: payment.senderTransferId,
                transferResolver: cancel,
                meta: { paymentId: payment.paymentId, reason: reason.slice(0, 200) },
              }
            : undefined;
        },
        replyTimeoutMs !== undefined ? { replyTimeoutMs } : {},
      );
    } catch (error) {
      // Delivered but not answered: the payer is there and may answer a later try. (Nobody
      // subscribed: it gets its refunds when it says hello.)
      if (isNodeError(error) && error.code === "PEER_UNAVAILABLE" && error.context.delivered) {
        this.owe(payment, reason);
      }
      throw error;
    }
    this.owed.delete(payment.paymentId);
    this.deps.logger.info({ paymentId: payment.paymentId, reason }, "payment cancelled");
  }

  /** Keeps a cancel the payer did not take for the sweep to send again (bounded). */
  private owe(payment: PayerSide, reason: string): void {
    const { paymentId, sender, senderTransferId } = payment;
    this.owed.delete(paymentId);
    this.owed.set(paymentId, { payment: { paymentId, sender, senderTransferId }, reason });
    while (this.owed.size > MAX_OWED) this.owed.delete(this.owed.keys().next().value as string);
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

  /** The resolver that cancels the transfer: its definition's (a hashlock's zero pre-image). */
  private cancelOf(transfer: FullTransferState): string | undefined {
    return pluginOf(this.deps.plugins, transfer.transferDefinition)?.rules.encodedCancel;
  }

  private isCancel(transfer: FullTransferState): boolean {
    if (!transfer.transferResolver) return false;
    const routing = pluginOf(this.deps.plugins, transfer.transferDefinition)?.routing;
    return routing?.isCancel(transfer.transferResolver) ?? false;
  }
}

/** What refunding a payer's transfer needs. */
export type PayerSide = Pick<Payment, "paymentId" | "sender" | "senderTransferId">;
