import type { Logger } from "pino";
import { type AppliedUpdate, type FullTransferState, hashlock } from "../../protocol";
import { payeeRoutingSchema, payerRoutingSchema, readMeta } from "../../protocol/messaging";
import type { ChannelStore, Tx } from "../store/channelStore";
import type { Payment, PaymentRepository } from "../store/payments";
import type { ChannelService } from "./channelService";
import { isNodeError } from "./errors";
import { mirrorExpiry } from "./proposalPolicy";

export interface RouterDeps {
  node: string;
  hashlockAddress: string;
  channels: ChannelService;
  store: ChannelStore;
  payments: PaymentRepository;
  expiryMarginSeconds: number;
  now(): number;
  /** Makes sure the node's side of `user`'s channel holds `amount` of the asset. */
  ensureCollateral(user: string, assetId: string, amount: bigint): Promise<void>;
  notify(
    user: string,
    event: { paymentId: string; status: Payment["status"]; reason?: string },
  ): void;
  /** Runs work in the background, where stopping the engine waits for it. */
  track(work: Promise<unknown>): void;
  logger: Logger;
}

const ZERO_PRE_IMAGE = `0x${"0".repeat(64)}`;

/**
 * Routes hashlock payments (DESIGN §4.6): the payer's transfer to the node opens a payment,
 * the node mirrors it into the payee's channel, the payee's pre-image settles both, and what
 * cannot finish before its expiry is cancelled back to the payer. Every step can be retried:
 * each re-reads the payment under the channel's lock, so none happens twice.
 */
export class PaymentRouter {
  private readonly inFlight = new Set<string>();
  /** Payments being forwarded or awaiting the payee, so settling them needs no lookup. */
  private readonly routes = new Map<string, PaymentRoute>();

  constructor(private readonly deps: RouterDeps) {}

  /** Bookkeeping for an update, in the transaction that stores it. */
  async record(tx: Tx, applied: AppliedUpdate): Promise<void> {
    const update = applied.state.latestUpdate;
    const transfer = applied.transfer;
    if (!transfer || !this.isHashlock(transfer)) return;
    if (update.type === "create") {
      if (this.isNode(transfer.responder)) {
        const payer = readMeta(transfer.meta, "routing", payerRoutingSchema);
        if (!payer) return;
        const state = hashlock.decodeState(transfer.transferState);
        await this.deps.payments.open(tx, {
          paymentId: payer.paymentId,
          senderTransferId: transfer.transferId,
          sender: transfer.initiator,
          recipient: payer.recipient,
          assetId: transfer.assetId,
          amount: transfer.balance.amount[0],
          lockHash: state.lockHash,
          expiry: Number(state.expiry),
        });
        return;
      }
      const payee = readMeta(transfer.meta, "routing", payeeRoutingSchema);
      if (payee) await this.deps.payments.forwarded(tx, payee.paymentId, transfer.transferId);
      return;
    }
    if (update.type === "resolve") {
      const paid = !this.isCancel(transfer);
      if (this.isNode(transfer.initiator)) {
        // The payee settled our mirror: with the pre-image the payment is done.
        if (paid) await this.deps.payments.completeByRecipientTransfer(tx, transfer.transferId);
      } else if (!paid) {
        const payment = await this.deps.payments.bySenderTransfer(transfer.transferId, tx);
        if (payment) await this.deps.payments.settle(tx, payment.paymentId, "cancelled");
      }
    }
  }

  /** What a stored update sets off. */
  committed(applied: AppliedUpdate): void {
    const update = applied.state.latestUpdate;
    const transfer = applied.transfer;
    if (!transfer || !this.isHashlock(transfer)) return;
    if (update.type === "create" && this.isNode(transfer.responder)) {
      const route = routeOf(transfer);
      if (route)
        this.spawn(`forward ${route.paymentId}`, () => this.forward(route.paymentId, route));
    } else if (update.type === "resolve" && this.isNode(transfer.initiator)) {
      this.spawn(`settle payer of ${transfer.transferId}`, () => this.settlePayer(transfer));
    } else if (update.type === "resolve" && this.isNode(transfer.responder)) {
      // A completion the payer sees in the resolve itself; a refund gets an event with a reason.
      const routing = readMeta(transfer.meta, "routing", payerRoutingSchema);
      if (routing && this.isCancel(transfer)) {
        this.deps.notify(transfer.initiator, { paymentId: routing.paymentId, status: "cancelled" });
      }
      if (routing) this.routes.delete(routing.paymentId);
    }
  }

  /** Mirrors a pending payment into the payee's channel; leaves it pending if the payee is away. */
  async forward(paymentId: string, fresh?: PaymentRoute): Promise<void> {
    if (this.inFlight.has(paymentId)) return;
    this.inFlight.add(paymentId);
    try {
      // Just stored (the payer's create): the transfer says it all. Otherwise, from the database.
      const payment = fresh ?? (await this.loadRoute(paymentId));
      if (!payment) return;
      const expiry = mirrorExpiry(BigInt(payment.expiry), this.deps.expiryMarginSeconds);
      if (expiry <= BigInt(this.deps.now())) {
        await this.cancelPayer(payment, "expired before the payee could be paid");
        return;
      }
      this.routes.set(paymentId, payment);
      await this.deps.ensureCollateral(payment.recipient, payment.assetId, payment.amount);
      await this.deps.channels.propose(payment.recipient, async () => {
        // Under the payee's lock: forwarded meanwhile (another process, a retry)?
        const current = await this.deps.payments.get(paymentId);
        if (current?.status !== "pending" || current.recipientTransferId) return undefined;
        return {
          type: "create",
          assetId: payment.assetId,
          amount: payment.amount,
          transferDefinition: this.deps.hashlockAddress,
          transferInitialState: hashlock.encodeState({ lockHash: payment.lockHash, expiry }),
          transferTimeout: payment.transferTimeout,
          meta: {
            routing: {
              paymentId,
              sender: payment.sender,
              ...(payment.encryptedPreImage
                ? { encryptedPreImage: payment.encryptedPreImage }
                : {}),
            },
          },
        };
      });
      this.deps.logger.info({ paymentId, recipient: payment.recipient }, "payment forwarded");
    } catch (error) {
      if (isNodeError(error) && error.code === "PEER_UNAVAILABLE") {
        this.deps.logger.info({ paymentId }, "payee offline: the payment waits for it");
        const payment = await this.deps.payments.get(paymentId);
        if (payment) this.deps.notify(payment.sender, { paymentId, status: "pending" });
        return;
      }
      this.deps.logger.warn({ paymentId, err: error }, "forwarding failed");
      const payment = await this.deps.payments.get(paymentId);
      if (payment && !payment.recipientTransferId) {
        await this.cancelPayer(payment, errorText(error)).catch((cancelError) =>
          this.deps.logger.warn({ paymentId, err: cancelError }, "cancelling failed"),
        );
      }
    } finally {
      this.inFlight.delete(paymentId);
    }
  }

  /** The payee resolved our mirror: resolve the payer's transfer the same way. */
  private async settlePayer(mirror: FullTransferState): Promise<void> {
    const routing = readMeta(mirror.meta, "routing", payeeRoutingSchema);
    const payment =
      (routing && this.routes.get(routing.paymentId)) ??
      (await this.deps.payments.byRecipientTransfer(mirror.transferId));
    if (!payment) return;
    if (this.isCancel(mirror)) {
      await this.cancelPayer(payment, "the payee cancelled");
      return;
    }
    const { preImage } = hashlock.decodeResolver(mirror.transferResolver as string);
    await this.resolvePayer(payment, preImage);
  }

  private async resolvePayer(payment: PayerSide, preImage: string): Promise<void> {
    try {
      await this.deps.channels.propose(payment.sender, (view) =>
        view.transfers.has(payment.senderTransferId)
          ? {
              type: "resolve",
              transferId: payment.senderTransferId,
              transferResolver: hashlock.encodeResolver({ preImage }),
              meta: { paymentId: payment.paymentId },
            }
          : undefined,
      );
      this.deps.logger.info({ paymentId: payment.paymentId }, "payment completed");
    } catch (error) {
      // The payee is paid and we hold the pre-image: the payer's side waits for it to return.
      this.deps.logger.info(
        { paymentId: payment.paymentId, err: errorText(error) },
        "payer not resolved yet: retried when it returns",
      );
    }
  }

  /** Refunds the payer: resolves its transfer with the zero pre-image. */
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

  /**
   * Everything owed to or by `user` that waited for it: payments to forward to it, payer
   * transfers to settle or refund. Runs when the user says hello and at start-up.
   */
  async resume(user?: string): Promise<void> {
    for (const payment of await this.deps.payments.awaitingForward(user)) {
      await this.forward(payment.paymentId);
    }
    for (const payment of await this.deps.payments.withActivePayerTransfer(user)) {
      if (payment.status === "completed" && payment.recipientTransferId) {
        const mirror = await this.deps.store.getTransfer(payment.recipientTransferId);
        if (mirror && !mirror.active) await this.settlePayer(mirror.transfer);
      } else if (payment.recipientTransferId) {
        const mirror = await this.deps.store.getTransfer(payment.recipientTransferId);
        if (mirror && !mirror.active && this.isCancel(mirror.transfer)) {
          await this.cancelPayer(payment, "the payee cancelled").catch(() => {});
        }
      }
    }
  }

  /**
   * Cancels pending payments the payee can no longer claim: never forwarded and too close to
   * expiry, or forwarded but past the mirror's expiry.
   */
  async sweepExpired(): Promise<void> {
    const now = this.deps.now();
    const margin = this.deps.expiryMarginSeconds;
    for (const payment of await this.deps.payments.expiringBy(now + margin)) {
      const mirrorDead = BigInt(now) >= mirrorExpiry(BigInt(payment.expiry), margin);
      if (payment.recipientTransferId && !mirrorDead) continue;
      if (payment.recipientTransferId) {
        const mirror = await this.deps.store.getTransfer(payment.recipientTransferId);
        // Resolved with the pre-image: completed, not ours to cancel.
        if (mirror && !mirror.active && !this.isCancel(mirror.transfer)) continue;
      }
      await this.cancelPayer(payment, "expired").catch((error) =>
        this.deps.logger.info(
          { paymentId: payment.paymentId, err: errorText(error) },
          "expired payment not cancelled yet",
        ),
      );
    }
  }

  /** A pending, not yet forwarded payment with its payer's transfer still active. */
  private async loadRoute(paymentId: string): Promise<PaymentRoute | undefined> {
    const payment = await this.deps.payments.get(paymentId);
    if (payment?.status !== "pending" || payment.recipientTransferId) return undefined;
    const sender = await this.deps.store.getTransfer(payment.senderTransferId);
    if (!sender?.active) return undefined;
    const routing = readMeta(sender.transfer.meta, "routing", payerRoutingSchema);
    return {
      ...payment,
      transferTimeout: sender.transfer.transferTimeout,
      ...(routing?.encryptedPreImage ? { encryptedPreImage: routing.encryptedPreImage } : {}),
    };
  }

  private spawn(what: string, work: () => Promise<void>): void {
    this.deps.track(
      work().catch((error) => this.deps.logger.warn({ err: error }, `${what} failed`)),
    );
  }

  private isHashlock(transfer: FullTransferState): boolean {
    return transfer.transferDefinition.toLowerCase() === this.deps.hashlockAddress.toLowerCase();
  }

  private isNode(address: string): boolean {
    return address.toLowerCase() === this.deps.node.toLowerCase();
  }

  private isCancel(transfer: FullTransferState): boolean {
    if (!transfer.transferResolver) return false;
    return hashlock.decodeResolver(transfer.transferResolver).preImage === ZERO_PRE_IMAGE;
  }
}

/** What refunding or settling a payer's transfer needs. */
type PayerSide = Pick<Payment, "paymentId" | "sender" | "senderTransferId">;

/** What forwarding a payment needs, all of it in the payer's transfer. */
interface PaymentRoute
  extends Pick<
    Payment,
    | "paymentId"
    | "senderTransferId"
    | "sender"
    | "recipient"
    | "assetId"
    | "amount"
    | "lockHash"
    | "expiry"
  > {
  transferTimeout: number;
  encryptedPreImage?: string;
}

/** The route of a payer's hashlock transfer to the node, from its meta and state. */
function routeOf(transfer: FullTransferState): PaymentRoute | undefined {
  const routing = readMeta(transfer.meta, "routing", payerRoutingSchema);
  if (!routing) return undefined;
  const state = hashlock.decodeState(transfer.transferState);
  return {
    paymentId: routing.paymentId,
    senderTransferId: transfer.transferId,
    sender: transfer.initiator,
    recipient: routing.recipient,
    assetId: transfer.assetId,
    amount: transfer.balance.amount[0],
    lockHash: state.lockHash,
    expiry: Number(state.expiry),
    transferTimeout: transfer.transferTimeout,
    ...(routing.encryptedPreImage ? { encryptedPreImage: routing.encryptedPreImage } : {}),
  };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
