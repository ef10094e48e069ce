import type { Logger } from "pino";
import type { TransferDefund } from "../../contracts-bindings";
import {
  type ChannelView,
  claimableOnchain,
  expiryNumber,
  type FullTransferState,
  type HexString,
  mirrorExpiryFor,
  type UpdateDraft,
} from "../../protocol";
import { type DefinitionPlugins, type PaymentRouting, pluginOf } from "../../protocol/definitions";
import { payeeRoutingSchema, payerRoutingSchema, readMeta } from "../../protocol/messaging";
import { KeyedSerialQueue } from "../chain/serialQueue";
import type { ChannelStore, Tx } from "../store/channelStore";
import type { Payment, PaymentRepository } from "../store/payments";
import type { ChannelService } from "./channelService";
import { isNodeError, NodeError } from "./errors";
import { type PayerSide, PaymentRefunds } from "./refunds";
import type { RoutingRules } from "./routingRules";
import { isTransientFailure } from "./transientFailure";

/** The first retry of failed payment work, in seconds; each failure after it doubles the wait. */
export const RETRY_FIRST_SECONDS = 5;
export const RETRY_MOST_SECONDS = 300;

export interface RouterDeps {
  node: string;
  /** The definitions the node carries: those with `routing` are routed as payments. */
  plugins: DefinitionPlugins;
  channels: ChannelService;
  store: ChannelStore;
  payments: PaymentRepository;
  rules: RoutingRules;
  now(): number;
  /** Makes sure the node's side of `user`'s channel holds `amount` of the asset. */
  ensureCollateral(user: string, assetId: string, amount: bigint): Promise<void>;
  /** How a transfer was paid out on-chain, if it was (its TransferDefunded event). */
  findTransferDefund(
    channelAddress: string,
    transferId: string,
  ): Promise<TransferDefund | undefined>;
  notify(
    user: string,
    event: { paymentId: string; status: Payment["status"]; reason?: string },
  ): void;
  /** Runs work in the background, where stopping the engine waits for it. */
  track(work: Promise<unknown>): void;
  logger: Logger;
  /**
   * Tests only: replaces the mirror the node proposes to the payee, so that a test can play a
   * node that forwards something else than it was paid (see `EngineOptions.replaceMirror`).
   */
  replaceMirror?: (draft: Extract<UpdateDraft, { type: "create" }>) => UpdateDraft;
}

/**
 * Routes payments (DESIGN §4.6) of every definition that says how (its `PaymentRouting`:
 * hashlock's, or a plug-in's): the payer's transfer to the node opens a payment,
 * the node mirrors it into the payee's channel, the payee's pre-image settles both, and what
 * cannot finish before its expiry is cancelled back to the payer.
 *
 * A mirror the node has signed stays live until the payee's channel holds a doubly-signed
 * update past it, or it expires: the payee may hold it countersigned and claim it later, so
 * until then the payer is never refunded. Every step can be retried: each re-reads the
 * payment, and every change of a payment's fate is one conditional statement, so none happens
 * twice.
 */
export class PaymentRouter {
  private readonly inFlight = new Set<string>();
  /** Payments being forwarded or awaiting the payee, so settling them needs no lookup. */
  private readonly routes = new Map<string, PaymentRoute>();
  private readonly payees = new KeyedSerialQueue();
  private readonly refunds: PaymentRefunds;

  constructor(private readonly deps: RouterDeps) {
    this.refunds = new PaymentRefunds(deps);
  }

  /**
   * Background payment work that failed for a reason other than a user's absence (the
   * database away, a restart of the messaging), or a payer's resolve that failed for any
   * reason, would otherwise wait for the user's next hello or the node's next start:
   * everything is resumed at the first sweep past `retryAt`, later each time it fails again
   * (RETRY_FIRST_SECONDS doubling up to RETRY_MOST_SECONDS).
   */
  private retryAt: number | undefined;
  private retries = 0;

  private failed(error: unknown, evenIfAway = false): void {
    const stopping = isNodeError(error) && error.code === "SHUTTING_DOWN";
    const away = isNodeError(error) && error.code === "PEER_UNAVAILABLE" && !evenIfAway;
    if (stopping || away || this.retryAt !== undefined) return;
    const delay = Math.min(RETRY_FIRST_SECONDS * 2 ** this.retries, RETRY_MOST_SECONDS);
    this.retries++;
    this.retryAt = this.deps.now() + delay;
  }

  /** The sweep's part: resumes every payment's work once a failure's retry is due. */
  async retryFailed(): Promise<void> {
    if (this.retryAt === undefined || this.deps.now() < this.retryAt) return;
    this.retryAt = undefined;
    try {
      await this.resume();
    } catch (error) {
      this.deps.logger.warn({ err: errorText(error) }, "resuming payments failed");
      this.failed(error);
    }
    if (this.retryAt === undefined) this.retries = 0;
  }

  /** Refunds what the payee can no longer claim (see `PaymentRefunds.sweepExpired`). */
  sweepExpired(): Promise<void> {
    return this.refunds.sweepExpired();
  }

  // What a stored routed transfer sets off: the definitions' intents (`routedPaymentNode`),
  // carried out through the node's one dispatch map (`definitionEffects.ts`).

  /** In the transaction that stores it: a payer's transfer to the node opens its payment. */
  async openPayment(tx: Tx, transfer: FullTransferState, payerChannelTimeout: number) {
    const route = this.routeOf(transfer, payerChannelTimeout);
    if (!route) return;
    await this.deps.payments.open(tx, {
      paymentId: route.paymentId,
      senderTransferId: route.senderTransferId,
      sender: route.sender,
      recipient: route.recipient,
      assetId: route.assetId,
      amount: route.amount,
      lockHash: route.lockHash,
      expiry: route.expiry,
    });
  }

  /** In the transaction that stores it: the payer cancelled its transfer, so its payment. */
  async cancelPayment(tx: Tx, transfer: FullTransferState): Promise<void> {
    const payment = await this.deps.payments.bySenderTransfer(transfer.transferId, tx);
    if (payment) await this.deps.payments.settle(tx, payment.paymentId, "cancelled");
  }

  /**
   * In the transaction of a resume: a payer's transfer settled on-chain while its payment was
   * pending went back to the payer. The node used no pre-image, and refunds only once no
   * mirror can be claimed.
   */
  refundedOnchain(tx: Tx, transfer: FullTransferState): Promise<void> {
    return this.deps.payments.refundedOnchain(tx, transfer.transferId);
  }

  /**
   * The payee's claim of our mirror, in the transaction that stores it. A payment whose refund
   * was decided already is not paid a second time: the claim is refused and nothing is stored
   * (the grace rules keep honest claims far from this; DESIGN §4.6).
   */
  async completeMirror(tx: Tx, mirror: FullTransferState): Promise<void> {
    const was = await this.deps.payments.completeByRecipientTransfer(tx, mirror.transferId);
    if (was === "cancelled" || was === "failed") {
      throw new NodeError(
        "PAYMENT_NOT_PENDING",
        `the payment of mirror ${mirror.transferId} was refunded to its payer: the claim is refused`,
      );
    }
  }

  /** A payer's transfer to the node was stored: forward its payment. */
  forwardStored(transfer: FullTransferState, payerChannelTimeout: number): void {
    const route = this.routeOf(transfer, payerChannelTimeout);
    if (route) this.spawn(`forward ${route.paymentId}`, () => this.forward(route.paymentId, route));
  }

  /** The payee resolved our mirror: the payer's transfer is resolved the same way. */
  mirrorResolved(mirror: FullTransferState): void {
    this.spawn(`settle payer of ${mirror.transferId}`, () => this.settlePayer(mirror));
  }

  /** The payer's transfer was resolved: a completion it sees itself, a refund gets an event. */
  payerResolved(payer: string, paymentId: string, cancelled: boolean): void {
    if (cancelled) this.deps.notify(payer, { paymentId, status: "cancelled" });
    this.routes.delete(paymentId);
  }

  /** Our mirror left the payee's channel at a resume: settle the payment from the chain. */
  mirrorDropped(mirror: FullTransferState): void {
    this.spawn(`settle dropped mirror ${mirror.transferId}`, () =>
      this.settleDroppedMirror(mirror),
    );
  }

  /** Mirrors a pending payment into the payee's channel; leaves it pending if the payee is away. */
  async forward(paymentId: string, fresh?: PaymentRoute): Promise<void> {
    if (this.inFlight.has(paymentId)) return;
    this.inFlight.add(paymentId);
    try {
      // Just stored (the payer's create): the transfer says it all. Otherwise, from the database.
      const route = fresh ?? (await this.loadRoute(paymentId));
      if (!route) return;
      const { claimBufferSeconds: buffer } = this.deps.rules;
      const expiry = mirrorExpiryFor(BigInt(route.expiry), route.payerChannelTimeout, buffer);
      const payee = await this.deps.channels.currentView(route.recipient);
      const payeeTimeout = payee?.state?.timeout;
      if (!payeeTimeout || !claimableOnchain(expiry, this.deps.now(), payeeTimeout, buffer)) {
        await this.refunds.refund(paymentId, "too close to expiry to pay the payee safely");
        return;
      }
      this.routes.set(paymentId, route);
      // One payee's payments are collateralised and mirrored one at a time, or two of them
      // could each count the same top-up as theirs.
      await this.payees.run(route.recipient.toLowerCase(), () => this.mirror(route, expiry));
      this.deps.logger.info({ paymentId, recipient: route.recipient }, "payment forwarded");
    } catch (error) {
      await this.forwardFailed(paymentId, error);
    } finally {
      this.inFlight.delete(paymentId);
    }
  }

  /** Tops the payee's side up and proposes the mirror, reserved before it is signed. */
  private async mirror(route: PaymentRoute, expiry: bigint): Promise<void> {
    const { paymentId } = route;
    await this.deps.ensureCollateral(route.recipient, route.assetId, route.amount);
    let previousNonce: number | null = null;
    const draft = async (view: ChannelView): Promise<UpdateDraft | undefined> => {
      const state = view.state;
      const { claimBufferSeconds: buffer } = this.deps.rules;
      if (!state || !claimableOnchain(expiry, this.deps.now(), state.timeout, buffer)) {
        return undefined; // the sweep refunds it
      }
      if (nodeBalance(view, route.assetId) < route.amount) {
        throw new NodeError("COLLATERAL_FAILED", `short of collateral to pay ${route.recipient}`);
      }
      // Stored before anything is signed: from here a mirror at this nonce may exist.
      const reserved = await this.deps.payments.reserveMirror(
        paymentId,
        state.nonce + 1,
        expiryNumber(expiry),
      );
      if (!reserved) return undefined; // forwarded or decided meanwhile
      previousNonce = reserved.previous;
      const mirror = mirrorDraft(route, expiry);
      return this.deps.replaceMirror ? this.deps.replaceMirror(mirror) : mirror;
    };
    await this.deps.channels.propose(route.recipient, draft, {
      // Sent to nobody (the payee has no subscription): no mirror can be out there.
      undelivered: (update) =>
        this.deps.payments.releaseMirror(paymentId, update.nonce, previousNonce),
    });
  }

  /** The payee is away (the payment waits), or refused: refund unless a signed mirror lives. */
  private async forwardFailed(paymentId: string, error: unknown): Promise<void> {
    const payment = await this.deps.payments.get(paymentId);
    if (isNodeError(error) && error.code === "PEER_UNAVAILABLE") {
      this.deps.logger.info({ paymentId }, "payee offline: the payment waits for it");
      if (payment) this.deps.notify(payment.sender, { paymentId, status: "pending" });
      return;
    }
    // Stopping: the payment is resumed from the database at the next start.
    if (isNodeError(error) && error.code === "SHUTTING_DOWN") return;
    // The chain's RPC or the database away (a top-up that could not be sent, say): the payment
    // waits and is forwarded again at the next retry; the expiry sweep refunds it if that
    // comes too late.
    if (isTransientFailure(error)) {
      this.deps.logger.warn({ paymentId, err: errorText(error) }, "forwarding waits: retried");
      this.failed(error);
      return;
    }
    this.deps.logger.warn({ paymentId, err: errorText(error) }, "forwarding failed");
    const refunded = await this.refunds.refund(paymentId, errorText(error)).catch((refundError) => {
      this.deps.logger.warn({ paymentId, err: errorText(refundError) }, "refunding failed");
      this.failed(refundError);
      return true;
    });
    if (!refunded && payment) {
      this.deps.notify(payment.sender, {
        paymentId,
        status: "pending",
        reason: "the payee has not taken the payment; it is refunded once it no longer can",
      });
    }
  }

  /**
   * A mirror the payee claimed on-chain (its TransferDefunded event): the payment is done, and
   * the payer's transfer is claimed with the pre-image read from that transaction.
   */
  async mirrorDefunded(defund: TransferDefund): Promise<void> {
    const found = await this.deps.store.getTransfer(defund.transferId);
    if (!found) {
      await this.unstoredMirrorDefunded(defund);
      return;
    }
    const mirror = found?.transfer;
    const routing = mirror && this.routingOf(mirror);
    if (!mirror || !routing || !this.isNode(mirror.initiator)) return;
    if (defund.amounts[1] === 0n) return; // back to the node: the payment is refunded as usual
    // The payer's resolver (for a hashlock: the pre-image) is kept with the payment.
    const preImage =
      defund.resolver && !routing.isCancel(defund.resolver)
        ? routing.payerResolver(defund.resolver)
        : undefined;
    if (!preImage) {
      this.deps.logger.error(
        { transferId: mirror.transferId },
        "the payee claimed a mirror on-chain, but not through a call whose pre-image can be read",
      );
      return;
    }
    const payment = await this.deps.payments.claimedOnchain(mirror.transferId, preImage);
    if (!payment) return;
    this.deps.logger.info({ paymentId: payment.paymentId }, "mirror claimed on-chain");
    await this.resolvePayer(payment, preImage);
  }

  /**
   * A mirror that left the payee's channel at a resume: settled on-chain. Paid to the payee,
   * the payer's side is claimed; back to the node, the payer is refunded.
   */
  private async settleDroppedMirror(mirror: FullTransferState): Promise<void> {
    const payment = await this.deps.payments.byRecipientTransfer(mirror.transferId);
    if (payment?.status !== "pending") return;
    const defund = await this.deps.findTransferDefund(mirror.channelAddress, mirror.transferId);
    if (defund && defund.amounts[1] > 0n) {
      await this.mirrorDefunded(defund);
      return;
    }
    if (!defund) return; // not read yet: tried again when the payer says hello
    const refunded = await this.deps.payments.decideRefund(
      payment.paymentId,
      { mirrorNonce: payment.mirrorNonce, recipientTransferId: payment.recipientTransferId },
      "the mirror went back to the node on-chain",
    );
    if (refunded) await this.refunds.cancelPayer(payment, "the payee did not claim on-chain");
  }

  /** The payee resolved our mirror: resolve the payer's transfer the same way. */
  private async settlePayer(mirror: FullTransferState): Promise<void> {
    const routing = readMeta(mirror.meta, "routing", payeeRoutingSchema);
    const payment =
      (routing && this.routes.get(routing.paymentId)) ??
      (await this.deps.payments.byRecipientTransfer(mirror.transferId));
    if (!payment) return;
    if (this.isCancel(mirror)) {
      await this.refunds.refund(payment.paymentId, "the payee cancelled");
      return;
    }
    const codec = this.routingOf(mirror);
    if (!codec) return;
    await this.resolvePayer(payment, codec.payerResolver(mirror.transferResolver as string));
  }

  /**
   * A transfer the node does not hold was paid to the payee on-chain with a resolver (a
   * hashlock's pre-image, a thread's voucher): it may be a mirror the node signed but never
   * stored (its reply never came, and the payee put a state holding it on-chain). Unless the
   * node claims the payer's side with that resolver, the payer would be refunded once the
   * mirror expired, on top of the payee's claim. Found by the lock of the transfer's state,
   * read from the defund's input, which the contract checked against the channel's state
   * (SECURITY.md, rule 22).
   */
  private async unstoredMirrorDefunded(defund: TransferDefund): Promise<void> {
    if (!defund.resolver || defund.amounts[1] === 0n) return;
    if (!defund.definition || !defund.initialState) return;
    const routing = pluginOf(this.deps.plugins, defund.definition)?.routing;
    if (!routing || routing.isCancel(defund.resolver)) return;
    let lockHash: string;
    let payerResolver: string;
    try {
      lockHash = routing.terms(defund.initialState).lockHash;
      payerResolver = routing.payerResolver(defund.resolver);
    } catch {
      return; // not a state or resolver of its definition: nothing to claim with
    }
    const claimed = await this.deps.payments.claimedOnchainByLock(lockHash, payerResolver);
    for (const payment of claimed) {
      this.deps.logger.warn(
        { paymentId: payment.paymentId, transferId: defund.transferId },
        "a mirror the node signed but never stored was claimed on-chain: claiming the payer's side",
      );
      await this.resolvePayer(payment, payerResolver);
    }
  }

  /** Resolves the payer's transfer with `resolver`: what the payee revealed. */
  private async resolvePayer(payment: PayerSide, resolver: string): Promise<void> {
    try {
      await this.deps.channels.propose(payment.sender, (view) =>
        view.transfers.has(payment.senderTransferId)
          ? {
              type: "resolve",
              transferId: payment.senderTransferId,
              transferResolver: resolver,
              meta: { paymentId: payment.paymentId },
            }
          : undefined,
      );
      this.deps.logger.info({ paymentId: payment.paymentId }, "payment completed");
    } catch (error) {
      // The payee is paid and we hold the pre-image: the payer's side is tried again at its
      // return and at the next retry, even if it seemed away: the payer may not have left at
      // all (the node's own messaging server went away mid-request), and would say no hello.
      this.deps.logger.info(
        { paymentId: payment.paymentId, err: errorText(error) },
        "payer not resolved yet: retried",
      );
      this.failed(error, true);
    }
  }

  /**
   * Everything owed to or by `user` that waited for it: payments to forward to it, payer
   * transfers to settle or refund. Runs when the user says hello and at start-up; one
   * payment's failure never stops the others.
   */
  async resume(user?: string): Promise<void> {
    for (const payment of await this.deps.payments.awaitingForward(user)) {
      await this.isolated(payment.paymentId, () => this.forward(payment.paymentId));
    }
    for (const payment of await this.deps.payments.withActivePayerTransfer(user)) {
      await this.isolated(payment.paymentId, () => this.settleOrRefund(payment));
    }
  }

  /** A payer transfer still active: settle it (payee paid), refund it, or let it wait. */
  private async settleOrRefund(payment: Payment): Promise<void> {
    if (payment.status === "completed" && payment.preImage) {
      // The payee claimed on-chain (`mirrorDefunded`): the payer's resolver was stored then,
      // and the payer, away at the time, is claimed now, before its transfer expires.
      await this.resolvePayer(payment, payment.preImage);
    } else if (payment.status === "completed" && payment.recipientTransferId) {
      const mirror = await this.deps.store.getTransfer(payment.recipientTransferId);
      if (mirror && !mirror.active) await this.settlePayer(mirror.transfer);
    } else if (payment.status === "cancelled") {
      await this.refunds.cancelPayer(payment, payment.error ?? "cancelled");
    } else if (payment.status === "pending" && payment.recipientTransferId) {
      const mirror = await this.deps.store.getTransfer(payment.recipientTransferId);
      if (mirror?.disputed) {
        await this.settleDroppedMirror(mirror.transfer);
      } else if (mirror && !mirror.active && this.isCancel(mirror.transfer)) {
        await this.refunds.refund(payment.paymentId, "the payee cancelled");
      }
    }
  }

  /**
   * Links a mirror to its payment, in the transaction that stores it. A mirror for a payment
   * that is no longer pending is refused (adopting it could pay the payee of a refunded
   * payment), unless it has expired: then nobody can claim it and refusing would only leave
   * the channel stuck.
   */
  async linkMirror(tx: Tx, paymentId: string, mirror: FullTransferState): Promise<void> {
    if (await this.deps.payments.forwarded(tx, paymentId, mirror.transferId)) return;
    const routing = this.routingOf(mirror);
    if (!routing) return;
    const { expiry } = routing.terms(mirror.transferState);
    const dead = BigInt(this.deps.now() - this.deps.rules.expiryGraceSeconds) >= expiry;
    if (dead) {
      this.deps.logger.warn({ paymentId, transferId: mirror.transferId }, "expired mirror adopted");
      return;
    }
    throw new NodeError(
      "PAYMENT_NOT_PENDING",
      `payment ${paymentId} is no longer pending: its mirror ${mirror.transferId} is refused`,
    );
  }

  /** A pending, not yet forwarded payment with its payer's transfer still active. */
  private async loadRoute(paymentId: string): Promise<PaymentRoute | undefined> {
    const payment = await this.deps.payments.get(paymentId);
    if (payment?.status !== "pending" || payment.recipientTransferId) return undefined;
    const sender = await this.deps.store.getTransfer(payment.senderTransferId);
    if (!sender?.active) return undefined;
    const payer = await this.deps.channels.currentView(payment.sender);
    if (!payer?.state) return undefined;
    return this.routeOf(sender.transfer, payer.state.timeout);
  }

  /** Runs one payment's work; a failure is logged and never stops the caller's loop. */
  private async isolated(paymentId: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.deps.logger.warn({ paymentId, err: errorText(error) }, "payment step failed");
      this.failed(error);
    }
  }

  private spawn(what: string, work: () => Promise<void>): void {
    this.deps.track(
      work().catch((error) => {
        this.deps.logger.warn({ err: errorText(error) }, `${what} failed`);
        this.failed(error);
      }),
    );
  }

  /** How a transfer's definition routes payments; undefined for one that is not routed. */
  private routingOf(transfer: FullTransferState): PaymentRouting | undefined {
    return pluginOf(this.deps.plugins, transfer.transferDefinition)?.routing;
  }

  /** The route of a payer's transfer to the node, from its meta and state. */
  private routeOf(
    transfer: FullTransferState,
    payerChannelTimeout: number,
  ): PaymentRoute | undefined {
    const routing = this.routingOf(transfer);
    return routing && routeOf(transfer, routing, payerChannelTimeout);
  }

  private isNode(address: string): boolean {
    return address.toLowerCase() === this.deps.node.toLowerCase();
  }

  private isCancel(transfer: FullTransferState): boolean {
    if (!transfer.transferResolver) return false;
    return this.routingOf(transfer)?.isCancel(transfer.transferResolver) ?? false;
  }
}

/** What forwarding a payment needs, all of it in the payer's transfer and channel. */
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
  /** The payer's transfer's definition: the mirror's too. */
  definition: string;
  /** The payer's transfer's encoded state, which the mirror's is built from. */
  payerState: HexString;
  routing: PaymentRouting;
  /** The payer's channel dispute timeout: the node's own claim window on the payer's side. */
  payerChannelTimeout: number;
  /** The payer's signed terms, encrypted to the payee: copied into the mirror unread. */
  encryptedTerms?: string;
  encryptedPreImage?: string;
  /** The application's meta (`meta.app`), copied into the mirror: the terms bind its hash. */
  app?: unknown;
}

/** The route of a payer's transfer to the node, from its meta and state. */
function routeOf(
  transfer: FullTransferState,
  codec: PaymentRouting,
  payerChannelTimeout: number,
): PaymentRoute | undefined {
  const routing = readMeta(transfer.meta, "routing", payerRoutingSchema);
  if (!routing) return undefined;
  const state = codec.terms(transfer.transferState);
  return {
    paymentId: routing.paymentId,
    senderTransferId: transfer.transferId,
    sender: transfer.initiator,
    recipient: routing.recipient,
    assetId: transfer.assetId,
    amount: transfer.balance.amount[0],
    lockHash: state.lockHash,
    // The node accepted the transfer only with an expiry within its bounds, so this is safe.
    expiry: expiryNumber(state.expiry),
    transferTimeout: transfer.transferTimeout,
    definition: transfer.transferDefinition,
    payerState: transfer.transferState,
    routing: codec,
    payerChannelTimeout,
    ...(routing.encryptedTerms ? { encryptedTerms: routing.encryptedTerms } : {}),
    ...(routing.encryptedPreImage ? { encryptedPreImage: routing.encryptedPreImage } : {}),
    ...(transfer.meta?.app !== undefined ? { app: transfer.meta.app } : {}),
  };
}

/** The node's mirror of a payment into the payee's channel. */
function mirrorDraft(
  route: PaymentRoute,
  expiry: bigint,
): Extract<UpdateDraft, { type: "create" }> {
  return {
    type: "create",
    assetId: route.assetId,
    amount: route.amount,
    transferDefinition: route.definition,
    transferInitialState: route.routing.mirrorState(route.payerState, expiry),
    // The payer's: it already outlasts the payer's expiry, so the mirror's too, and it keeps a
    // re-sent mirror identical to the first.
    transferTimeout: route.transferTimeout,
    meta: {
      routing: {
        paymentId: route.paymentId,
        sender: route.sender,
        ...(route.encryptedTerms ? { encryptedTerms: route.encryptedTerms } : {}),
        ...(route.encryptedPreImage ? { encryptedPreImage: route.encryptedPreImage } : {}),
      },
      ...(route.app !== undefined ? { app: route.app } : {}),
    },
  };
}

/** The node's (alice's) balance of an asset in a channel view. */
function nodeBalance(view: ChannelView, assetId: string): bigint {
  const state = view.state;
  const index = state?.assetIds.findIndex((a) => a.toLowerCase() === assetId.toLowerCase()) ?? -1;
  return index === -1 ? 0n : (state?.balances[index]?.amount[0] ?? 0n);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
