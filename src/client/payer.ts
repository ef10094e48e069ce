import {
  type ChannelView,
  type FullTransferState,
  hashlock,
  isProtocolError,
  minimumHashlockTransferTimeout,
  minimumPayerExpiry,
} from "../protocol";
import { bytesToHex } from "../protocol/bytes";
import { thread } from "../protocol/definitions";
import { payerRoutingSchema, readMeta } from "../protocol/messaging";
import type { ClientChannel } from "./clientChannel";
import {
  lockHashOf,
  type PaymentTerms,
  paymentMetaHash,
  randomPreImage,
  sealPaymentTerms,
  type TermsSigner,
} from "./crypto";
import { ClientError, type ClientErrorCode, isClientError } from "./errors";
import type { NodeApi, NodeConfig } from "./nodeApi";
import { type Payee, PayeeDirectory } from "./payeeDirectory";
import type { Waiters } from "./waiters";

/**
 * A payment's outcome, read from the channel only (issue 11, item 9): `completed` once the
 * node resolved our transfer with the pre-image, `cancelled` once it resolved it with the zero
 * pre-image (the money is back), `pending` while the transfer is locked. The node's word alone
 * never settles a payment.
 */
export type PaymentStatus = "completed" | "pending" | "cancelled";

/** A payment whose pre-image travels encrypted to the recipient (`ConnextClient.transfer`). */
export interface TransferParams {
  recipient: string;
  assetId: string;
  amount: bigint;
  /** Retrying with the same id never pays twice. */
  paymentId?: string;
  /**
   * The application's own note, delivered to the recipient's `transfer.received` and bound by
   * the payer's signed terms: a plain object of JSON values, at most MAX_APP_META_BYTES (3072)
   * bytes of JSON (INVALID_META, META_TOO_LARGE before anything is signed).
   */
  meta?: Record<string, unknown>;
}

/** A hashlock payment the recipient resolves itself (`ConnextClient.conditionalTransfer`). */
export interface ConditionalParams extends TransferParams {
  /** `sha256(preImage)` of the 32-byte pre-image, 0x hex (`lockHashOf(preImage)` computes it). */
  lockHash: string;
  /** Unix seconds; default: both channels' dispute windows plus `paymentExpirySeconds`. */
  expiry?: number;
}

export interface PaymentResult {
  /**
   * The payment's id, the same on both sides: the recipient's `transfer.received` names it, and
   * its `resolveTransfer({ paymentId, preImage })` resolves a conditional payment with it.
   */
  paymentId: string;
  /** The payer's transfer to the node (the recipient's transfer has an id of its own). */
  transferId: string;
  status: PaymentStatus;
}

export interface PayerDeps {
  config: NodeConfig;
  api: NodeApi;
  channel: ClientChannel;
  /** Our address and key: every payment's terms are signed with it for the payee. */
  key: TermsSigner;
  outcomes: Waiters<{ status: PaymentStatus; reason?: string }>;
  /** Unix seconds. */
  now(): number;
  /** Room for an on-chain claim's transactions, on top of each channel's dispute window. */
  claimBufferSeconds: number;
  /** How long the payee has to claim before only an on-chain claim would still be safe. */
  paymentWindowSeconds: number;
  completionTimeoutMs: number;
}

/** What a payment to a recipient locks. */
interface PaymentPlan {
  paymentId: string;
  recipient: string;
  assetId: string;
  amount: bigint;
  lockHash: string;
  /** Unix seconds. */
  expiry: number;
  transferTimeout: number;
  app?: Record<string, unknown>;
}

/**
 * The paying side of routed payments (DESIGN §4.6). Expiries come from both channels' dispute
 * windows, so the node can route them and each side can still claim on-chain.
 *
 * Every payment carries its terms (issue 11): payment id, recipient, sender, asset, amount,
 * lock hash, our expiry, the hash of the application's meta and, for a plain `transfer`, the
 * pre-image, signed with our key and encrypted to the recipient's (`sealPaymentTerms`). The
 * recipient's client claims only a mirror that pays exactly them, so a node that forwards less
 * (or another asset, a later expiry, another sender) never learns the pre-image.
 *
 * A proposal the node refused may still be countersigned and adopted later (it stays live
 * until the channel moves past its nonce). A retry with the same payment id is safe: if the
 * node adopted the first proposal, the retry finds it in the channel (after catching up) and
 * proposes nothing; if not, the retry is proposed at the same nonce or later, where the two
 * can never both take effect. Paying twice takes two payment ids.
 */
export class Payer {
  private readonly payees: PayeeDirectory;

  constructor(private readonly deps: PayerDeps) {
    this.payees = new PayeeDirectory({ api: deps.api, now: () => deps.now() });
  }

  /** A payment whose pre-image travels, in its signed terms, encrypted to the recipient. */
  async transfer(params: TransferParams): Promise<PaymentResult> {
    const paymentId = params.paymentId ?? randomId();
    const held = this.held({ ...params, paymentId });
    if (held) return held;
    const payee = await this.payee(params.recipient, true);
    const preImage = randomPreImage();
    const plan = this.plan(
      { ...params, paymentId },
      { lockHash: lockHashOf(preImage), payeeTimeout: payee.channelTimeout },
    );
    return this.send(plan, this.seal(plan, payee.publicKey, preImage), { waitForOutcome: true });
  }

  /**
   * A hashlock payment the recipient resolves itself with the pre-image of `lockHash`; its
   * signed terms (without the pre-image) travel encrypted to the recipient all the same.
   * Answers `pending` once the channel holds it: nothing completes it until someone resolves
   * it, so waiting for the outcome here would only block the caller.
   */
  async conditional(params: ConditionalParams): Promise<PaymentResult> {
    const paymentId = params.paymentId ?? randomId();
    const held = this.held({ ...params, paymentId });
    if (held) return held;
    const payee = await this.payee(params.recipient, params.expiry === undefined);
    const plan = this.plan(
      { ...params, paymentId },
      { lockHash: params.lockHash, payeeTimeout: payee.channelTimeout },
    );
    return this.send(plan, this.seal(plan, payee.publicKey), { waitForOutcome: false });
  }

  /**
   * A thread's lock (DESIGN §4.8): the payer's transfer to the node of the thread definition,
   * naming us as payer and the counterparty as payee, routed like a payment whose lock is the
   * thread id; its signed terms travel encrypted to the payee, who keeps the node's lock only
   * if it pays exactly them. Answers once the channel holds it.
   */
  async lockThread(params: {
    counterparty: string;
    assetId: string;
    amount: bigint;
    expiry?: number;
    definition: string;
    /** How long the thread stays open by default, beyond the minimum both channels need. */
    windowSeconds: number;
  }): Promise<{ threadId: string; transferId: string; expiry: number }> {
    const threadId = randomId();
    const payee = await this.payee(params.counterparty, params.expiry === undefined);
    const plan = this.plan(
      { paymentId: threadId, recipient: params.counterparty, ...params },
      { lockHash: threadId, payeeTimeout: payee.channelTimeout },
      params.windowSeconds,
    );
    const encryptedTerms = this.seal(plan, payee.publicKey);
    let transferId: string | undefined;
    try {
      const applied = await this.deps.channel.propose(() => ({
        type: "create",
        assetId: plan.assetId,
        amount: plan.amount,
        transferDefinition: params.definition,
        transferInitialState: thread.encodeState({
          payer: this.deps.key.address,
          payee: params.counterparty,
          threadId,
          amount: plan.amount,
          expiry: BigInt(plan.expiry),
        }),
        transferTimeout: plan.transferTimeout,
        meta: { routing: { paymentId: threadId, recipient: plan.recipient, encryptedTerms } },
      }));
      transferId = applied?.transfer?.transferId;
    } catch (error) {
      throw refused(error, threadId);
    }
    return { threadId, transferId: transferId as string, expiry: plan.expiry };
  }

  /**
   * The recipient's public key, checked against its address, and its channel's dispute window
   * (required unless the caller sets the expiry itself).
   */
  private payee(recipient: string, needsTimeout: boolean): Promise<Payee> {
    return this.payees.lookUp(recipient, needsTimeout);
  }

  /** The payment's terms, signed with our key and encrypted to the recipient's. */
  private seal(plan: PaymentPlan, recipientPublicKey: string, preImage?: string): string {
    const terms: Omit<PaymentTerms, "sender"> = {
      paymentId: plan.paymentId,
      recipient: plan.recipient,
      assetId: plan.assetId,
      amount: plan.amount,
      lockHash: plan.lockHash,
      expiry: plan.expiry,
      metaHash: paymentMetaHash(plan.app),
      ...(preImage ? { preImage } : {}),
    };
    try {
      return sealPaymentTerms(terms, this.deps.key, recipientPublicKey);
    } catch (error) {
      throw new ClientError("INVALID_PAYMENT", `the payment's terms: ${(error as Error).message}`);
    }
  }

  /** The plan of a new payment: an expiry both channels can defend, a timeout that covers it. */
  private plan(
    params: {
      paymentId: string;
      recipient: string;
      assetId: string;
      amount: bigint;
      expiry?: number;
      meta?: Record<string, unknown>;
    },
    lock: { lockHash: string; payeeTimeout: number },
    windowSeconds = this.deps.paymentWindowSeconds,
  ): PaymentPlan {
    const now = this.deps.now();
    const ours = this.deps.channel.view.state?.timeout;
    if (!ours) throw new ClientError("CHANNEL_NOT_READY", "the channel is not set up");
    const { claimBufferSeconds: buffer } = this.deps;
    const expiry =
      params.expiry ??
      Number(minimumPayerExpiry(now, ours, lock.payeeTimeout, buffer)) + windowSeconds;
    return {
      paymentId: params.paymentId.toLowerCase(),
      recipient: params.recipient,
      assetId: params.assetId,
      amount: params.amount,
      lockHash: lock.lockHash,
      expiry,
      transferTimeout: minimumHashlockTransferTimeout(BigInt(expiry), now) + buffer,
      ...(params.meta ? { app: params.meta } : {}),
    };
  }

  /** The payment, if the channel holds it already (an earlier call with the same id). */
  private held(asked: {
    paymentId: string;
    recipient: string;
    assetId: string;
    amount: bigint;
  }): PaymentResult | undefined {
    const transfer = this.findHeld(this.deps.channel.view, asked.paymentId);
    if (!transfer) return undefined;
    requireSameTerms(transfer, asked);
    return { paymentId: asked.paymentId, transferId: transfer.transferId, status: "pending" };
  }

  /**
   * Proposes the payment unless the channel comes to hold it meanwhile (the node adopted an
   * earlier proposal with this id and says so when refusing ours), and waits for its outcome
   * (at most `completionTimeoutMs`) if asked to.
   */
  private async send(
    plan: PaymentPlan,
    encryptedTerms: string,
    { waitForOutcome }: { waitForOutcome: boolean },
  ): Promise<PaymentResult> {
    const { paymentId } = plan;
    // Registered before proposing: the outcome can arrive before the proposal's reply does.
    const outcome = waitForOutcome
      ? this.deps.outcomes.wait(paymentId, this.deps.completionTimeoutMs, () => ({
          status: "pending" as const,
        }))
      : Promise.resolve({ status: "pending" as const });
    let transferId: string | undefined;
    try {
      const applied = await this.deps.channel.propose((view) =>
        this.findHeld(view, paymentId)
          ? undefined
          : draftOf(plan, encryptedTerms, this.deps.config),
      );
      transferId =
        applied?.transfer?.transferId ??
        this.findHeld(this.deps.channel.view, paymentId)?.transferId;
    } catch (error) {
      throw refused(error, paymentId);
    }
    const { status } = await outcome;
    return { paymentId, transferId: transferId as string, status };
  }

  /** Our active transfer for the payment, if the channel holds one. */
  private findHeld(view: ChannelView, paymentId: string): FullTransferState | undefined {
    for (const transfer of view.transfers.values()) {
      if (transfer.initiator.toLowerCase() === this.deps.config.nodeIdentifier.toLowerCase()) {
        continue;
      }
      const routing = readMeta(transfer.meta, "routing", payerRoutingSchema);
      if (routing?.paymentId.toLowerCase() === paymentId.toLowerCase()) return transfer;
    }
    return undefined;
  }
}

function draftOf(plan: PaymentPlan, encryptedTerms: string, config: NodeConfig) {
  return {
    type: "create" as const,
    assetId: plan.assetId,
    amount: plan.amount,
    transferDefinition: config.contractAddresses.hashlockTransfer,
    transferInitialState: hashlock.encodeState({
      lockHash: plan.lockHash,
      expiry: BigInt(plan.expiry),
    }),
    transferTimeout: plan.transferTimeout,
    meta: {
      routing: { paymentId: plan.paymentId, recipient: plan.recipient, encryptedTerms },
      ...(plan.app ? { app: plan.app } : {}),
    },
  };
}

/** A retry must be the same payment: one id never pays two different things. */
function requireSameTerms(
  held: FullTransferState,
  asked: { paymentId: string; recipient: string; assetId: string; amount: bigint },
): void {
  const routing = readMeta(held.meta, "routing", payerRoutingSchema);
  const same =
    routing?.recipient.toLowerCase() === asked.recipient.toLowerCase() &&
    held.assetId.toLowerCase() === asked.assetId.toLowerCase() &&
    held.balance.amount[0] === asked.amount;
  if (!same) {
    throw new ClientError(
      "PAYMENT_ID_REUSED",
      `payment ${asked.paymentId} is already in the channel with other terms`,
      { paymentId: asked.paymentId },
    );
  }
}

/**
 * The node refused (or did not answer): the proposal we signed may still be countersigned and
 * adopted, so the error says how to retry without paying twice.
 */
function refused(error: unknown, paymentId: string): ClientError {
  const code: ClientErrorCode =
    isClientError(error) || isProtocolError(error) ? error.code : "NODE_ERROR";
  const reason = error instanceof Error ? error.message : String(error);
  return new ClientError(
    code,
    `${reason} (payment ${paymentId}: retry with the same paymentId; it is never paid twice)`,
    { paymentId },
    { cause: error },
  );
}

function randomId(): string {
  return bytesToHex(crypto.getRandomValues(new Uint8Array(32)));
}
