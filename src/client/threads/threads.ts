import type { Wallet } from "ethers";
import { type FullTransferState, toChecksumAddress } from "../../protocol";
import { hexToBytes } from "../../protocol/bytes";
import {
  type DefinitionDeployment,
  recoverVoucherSigner,
  thread,
  threadRouting,
  threadVoucherDigest,
} from "../../protocol/definitions";
import { type DistributiveOmit, decodeReply, subjectFor } from "../../protocol/messaging";
import { signDigestSync } from "../../protocol/signatures";
import {
  encodeThreadMessage,
  type ThreadMessage,
  type ThreadReply,
  threadReplySchema,
  type WireVoucher,
} from "../../protocol/threadMessages";
import type { ClientChannel } from "../clientChannel";
import { CLAIM_MARGIN_SECONDS } from "../disputes/resolvers";
import { ClientError, isClientErrorCode } from "../errors";
import type { ClientEvents } from "../events";
import type { TermsVerdict } from "../receivedTerms";
import { Waiters } from "../waiters";
import { PayeeThread, PayerThread, type ThreadClosed, type ThreadHandle } from "./handles";
import { type PayeeThreadState, PayeeThreads } from "./payeeThreads";
import { PayerLane } from "./payerLane";
import type { ThreadRecords } from "./records";

export interface OpenThreadParams {
  /** The payee: a user with a channel at the same node. */
  counterparty: string;
  assetId: string;
  /** What to lock: the most the thread can pay. */
  amount: bigint;
  /** Unix seconds; default: both channels' dispute windows plus `threadExpirySeconds`. */
  expiry?: number;
}

/** What threads use of the client's NATS connection (the official client's shapes). */
export interface ThreadMessaging {
  request(
    subject: string,
    data: string,
    options: { timeout: number },
  ): Promise<{ data: Uint8Array }>;
  subscribe(
    subject: string,
    options: {
      callback(
        error: Error | null,
        msg: { subject: string; data: Uint8Array; reply?: string; respond(data: string): boolean },
      ): void;
    },
  ): { unsubscribe(): void };
}

export interface ClientThreadsDeps {
  wallet: Wallet;
  /** The thread definition where it is deployed: vouchers are signed for it. */
  deployment: DefinitionDeployment;
  nats: ThreadMessaging;
  channel: ClientChannel;
  /** Locks the payer's side in our channel (the payer's transfer to the node). */
  lock(params: OpenThreadParams): Promise<{ threadId: string; expiry: number }>;
  records: ThreadRecords;
  events: ClientEvents;
  /** The payer's signed terms, checked against the node's lock to us (the thread id as lock). */
  checkTerms(transfer: FullTransferState): TermsVerdict;
  /** Whether a thread paid to us must be closed now, to stay claimable on-chain. */
  closeDue(transfer: FullTransferState): boolean;
  requestTimeoutMs: number;
  /** How long a payer's close waits for the node to resolve our side. */
  completionTimeoutMs: number;
  track(work: Promise<unknown>): void;
}

/**
 * Threads (DESIGN §4.8): the payer locks an amount in its channel with the node, the node the
 * same amount in its channel with the payee, and from then on the payer pays the payee
 * directly with cumulative vouchers over NATS (`connext.<payee>.<payer>.voucher`), which the
 * node never sees or signs. Closing resolves the payee's lock with the latest voucher first
 * (the payee proposes it), then the node resolves the payer's with the same one.
 */
export class ClientThreads {
  private readonly payees: PayeeThreads;
  private readonly payers = new Map<string, PayerThread>();
  private readonly payeeHandles = new Map<string, PayeeThread>();
  private readonly payerClosed = new Waiters<ThreadClosed>();
  private readonly me: string;
  /** Our key's bytes, for signing vouchers. */
  private readonly secret: Uint8Array;
  private subscription: { unsubscribe(): void } | undefined;

  constructor(private readonly deps: ClientThreadsDeps) {
    this.me = deps.wallet.address.toLowerCase();
    this.secret = hexToBytes(deps.wallet.privateKey);
    this.payees = new PayeeThreads({
      records: deps.records,
      signedByPayer: (state, voucher) => this.signedBy(state.threadId, voucher, state.payer),
      resolve: (state) => this.resolveOurLock(state),
      received: (state, previous) =>
        deps.events.emit("thread.voucher", {
          threadId: state.threadId,
          payer: state.payer,
          amount: (state.latest?.amount ?? 0n) - previous,
          received: state.latest?.amount ?? 0n,
        }),
      closed: (state) => {
        this.payeeHandles.delete(state.threadId);
        deps.events.emit("thread.closed", {
          threadId: state.threadId,
          role: "payee",
          paid: state.latest?.amount ?? 0n,
        });
      },
    });
  }

  /** Answers payers' messages, and takes up the threads our channel holds. */
  async start(): Promise<void> {
    this.subscription = this.deps.nats.subscribe(`connext.${this.me}.*.voucher`, {
      callback: (error, msg) => {
        if (error) return;
        const from = msg.subject.split(".")[2] ?? "";
        this.payees.receive({
          from,
          data: msg.data,
          respond: (reply) => {
            if (msg.reply) msg.respond(reply);
          },
        });
      },
    });
    for (const transfer of this.deps.channel.view.transfers.values()) {
      if (!this.isThread(transfer)) continue;
      if (transfer.responder.toLowerCase() === this.me) await this.takeUp(transfer);
      else if (transfer.initiator.toLowerCase() === this.me) {
        // What the payee holds, so `paid` is right; an absent payee is asked at the next pay.
        this.deps.track(
          this.payerHandle(transfer, false)
            .refresh()
            .catch(() => {}),
        );
      }
    }
  }

  stop(): void {
    this.subscription?.unsubscribe();
  }

  /** Locks `amount` and waits (briefly) for the payee to hold its side. */
  async open(params: OpenThreadParams): Promise<PayerThread> {
    const { threadId, expiry } = await this.deps.lock(params);
    const handle = this.newPayerHandle(
      { threadId, payee: params.counterparty, assetId: params.assetId, amount: params.amount },
      expiry,
      true,
    );
    try {
      const reply = await this.ask(params.counterparty, { type: "open", threadId });
      if (reply.lock !== params.amount) {
        throw new ClientError(
          "PAYMENT_TERMS_MISMATCH",
          `the payee holds a lock of ${reply.lock} for thread ${threadId}, we locked ${params.amount}`,
          { threadId },
        );
      }
    } catch (error) {
      // An absent payee gets the thread when it is back; pay() fails with PAYEE_OFFLINE until then.
      if (
        !(error instanceof ClientError) ||
        !["PAYEE_OFFLINE", "THREAD_UNKNOWN", "TIMEOUT"].includes(error.code)
      )
        throw error;
    }
    return handle;
  }

  /** The open threads, ours to pay and paid to us. */
  list(): ThreadHandle[] {
    return [...this.payers.values(), ...this.payeeHandles.values()];
  }

  // ---- what the channel sets off (the thread plug-in's client reactions) -------------------

  /** The node locked a thread for us: checked against its payer's terms, then announced. */
  async opened(transfer: FullTransferState): Promise<void> {
    const handle = await this.takeUp(transfer);
    if (handle) this.deps.events.emit("thread.opened", { thread: handle });
  }

  /** A thread transfer left our channel off-chain: the thread is over on our side. */
  resolved(transfer: FullTransferState): void {
    if (!this.isThread(transfer)) return;
    const { threadId } = thread.decodeState(transfer.transferState);
    if (transfer.responder.toLowerCase() === this.me) {
      this.payees.settled(threadId);
      return;
    }
    const resolver = transfer.transferResolver;
    const paid =
      resolver === undefined || threadRouting.isCancel(resolver)
        ? 0n
        : min(thread.decodeResolver(resolver).amount, transfer.balance.amount[0]);
    this.payerDone(threadId, paid);
  }

  /** A thread transfer of ours found waiting when we come back (or on the janitor's round). */
  waiting(transfer: FullTransferState): void {
    if (transfer.responder.toLowerCase() !== this.me) return;
    const { threadId } = thread.decodeState(transfer.transferState);
    const state = this.payees.get(threadId);
    if (state && !state.closing && this.deps.closeDue(transfer)) {
      this.deps.track(this.payees.close(threadId));
    }
  }

  /** The resolver a dispute defunds a thread paid to us with: the latest voucher we hold. */
  resolverFor(transfer: FullTransferState, chainTime: number): string | undefined {
    if (!this.isThread(transfer) || transfer.responder.toLowerCase() !== this.me) return undefined;
    const { threadId, expiry } = thread.decodeState(transfer.transferState);
    const latest = this.payees.get(threadId)?.latest;
    // An expired thread pays only the payer back on-chain.
    if (!latest || expiry <= BigInt(chainTime + CLAIM_MARGIN_SECONDS)) return undefined;
    return thread.encodeResolver({ amount: latest.amount, signature: latest.signature });
  }

  // ---- payer side -------------------------------------------------------------------------

  private payerHandle(transfer: FullTransferState, fresh: boolean): PayerThread {
    const state = thread.decodeState(transfer.transferState);
    const known = this.payers.get(state.threadId);
    if (known) return known;
    return this.newPayerHandle(
      {
        threadId: state.threadId,
        payee: state.payee,
        assetId: transfer.assetId,
        amount: transfer.balance.amount[0],
      },
      Number(state.expiry),
      fresh,
    );
  }

  private newPayerHandle(
    facts: { threadId: string; payee: string; assetId: string; amount: bigint },
    expiry: number,
    fresh: boolean,
  ): PayerThread {
    const threadId = facts.threadId.toLowerCase();
    const payee = toChecksumAddress(facts.payee);
    const lane = new PayerLane(
      {
        threadId,
        lock: facts.amount,
        // The protocol's signing (native libsecp256k1 when installed): identical signatures.
        sign: (amount) =>
          signDigestSync(
            threadVoucherDigest({ threadId, amount }, this.deps.deployment),
            this.secret,
          ),
        ours: (voucher) => this.signedBy(threadId, voucher, this.me),
        sendVoucher: (voucher) => this.ask(payee, { type: "voucher", threadId, voucher }),
        ask: () => this.ask(payee, { type: "open", threadId }),
      },
      fresh ? { acked: 0n } : undefined,
    );
    const handle = new PayerThread(threadId, payee, facts.assetId, facts.amount, expiry, lane, () =>
      this.closeAsPayer(threadId, payee, lane),
    );
    this.payers.set(threadId, handle);
    return handle;
  }

  /**
   * The payer's close: the payee gets our highest voucher and resolves its lock with the higher
   * of it and its own; then the node resolves ours with the same voucher, which is when this
   * resolves.
   */
  private async closeAsPayer(
    threadId: string,
    payee: string,
    lane: PayerLane,
  ): Promise<ThreadClosed> {
    await lane.idle();
    const outcome = this.payerClosed.wait(threadId, this.deps.completionTimeoutMs, () => ({
      threadId,
      paid: -1n,
    }));
    const latest = lane.latest;
    await this.ask(payee, { type: "close", threadId, ...(latest ? { voucher: latest } : {}) });
    const closed = await outcome;
    if (closed.paid < 0n) {
      throw new ClientError(
        "TIMEOUT",
        `the payee closed thread ${threadId}; the node has not resolved our side yet (thread.closed tells when it does)`,
        { threadId },
      );
    }
    return closed;
  }

  private payerDone(threadId: string, paid: bigint): void {
    const handle = this.payers.get(threadId);
    this.payers.delete(threadId);
    this.payerClosed.settle(threadId, { threadId, paid });
    if (handle) this.deps.events.emit("thread.closed", { threadId, role: "payer", paid });
  }

  // ---- payee side -------------------------------------------------------------------------

  /**
   * A thread lock to us in our channel: kept if its payer's terms vouch for it (the lock pays
   * exactly what the payer locked, and the vouchers' signer is the payer that signed the
   * terms); cancelled otherwise, so the payer gets its money back.
   */
  private async takeUp(transfer: FullTransferState): Promise<PayeeThread | undefined> {
    const state = thread.decodeState(transfer.transferState);
    const known = this.payeeHandles.get(state.threadId);
    if (known) return undefined;
    const verdict = this.deps.checkTerms(transfer);
    const reason =
      verdict.status !== "verified"
        ? verdict.status === "mismatch"
          ? verdict.reason
          : "the thread carries no terms signed by its payer"
        : verdict.sender.toLowerCase() !== state.payer.toLowerCase()
          ? `the terms are signed by ${verdict.sender}, the lock names ${state.payer} as payer`
          : state.payee.toLowerCase() !== this.me
            ? `the lock names ${state.payee} as payee`
            : undefined;
    if (reason) {
      this.deps.events.emit(
        "error",
        new ClientError(
          "PAYMENT_TERMS_MISMATCH",
          `thread ${state.threadId} is not what its payer signed (${reason}): it is cancelled`,
          { transferId: transfer.transferId, threadId: state.threadId, reason },
        ),
      );
      this.deps.track(this.resolveLock(transfer.transferId, thread.encodedCancel));
      return undefined;
    }
    const registered = await this.payees.register({
      threadId: state.threadId,
      transferId: transfer.transferId,
      payer: toChecksumAddress(state.payer),
      assetId: transfer.assetId,
      lock: transfer.balance.amount[0],
      expiry: Number(state.expiry),
    });
    const handle = new PayeeThread(registered, (h) =>
      this.payees.close(h.id).then((paid) => ({ threadId: h.id, paid })),
    );
    this.payeeHandles.set(registered.threadId, handle);
    return handle;
  }

  /** Our lock resolved with the latest voucher we hold, or cancelled when we hold none. */
  private resolveOurLock(state: PayeeThreadState): Promise<void> {
    const resolver = state.latest
      ? thread.encodeResolver({ amount: state.latest.amount, signature: state.latest.signature })
      : thread.encodedCancel;
    return this.resolveLock(state.transferId, resolver);
  }

  /** Proposes the resolve of a thread lock to us, unless it has left the channel. */
  private async resolveLock(transferId: string, resolver: string): Promise<void> {
    await this.deps.channel.propose((view) =>
      view.transfers.has(transferId)
        ? { type: "resolve", transferId, transferResolver: resolver }
        : undefined,
    );
  }

  // ---- messages ---------------------------------------------------------------------------

  /** One request to a payee; its refusal or absence as a ClientError. */
  private async ask(
    payee: string,
    message: DistributiveOmit<ThreadMessage, "protocolVersion">,
  ): Promise<ThreadReply> {
    let data: Uint8Array;
    try {
      const reply = await this.deps.nats.request(
        subjectFor(payee, this.me, "voucher"),
        encodeThreadMessage(message),
        { timeout: this.deps.requestTimeoutMs },
      );
      data = reply.data;
    } catch (error) {
      if (noResponders(error)) {
        throw new ClientError("PAYEE_OFFLINE", `${payee} is not connected: nothing was paid`, {
          payee,
        });
      }
      throw new ClientError(
        message.type === "voucher" ? "VOUCHER_UNCONFIRMED" : "TIMEOUT",
        `${payee} did not answer: ${error instanceof Error ? error.message : String(error)}`,
        { payee },
        { cause: error },
      );
    }
    const decoded = decodeReply<ThreadReply>(data, threadReplySchema);
    if (decoded.ok) return decoded.result;
    const code = decoded.error.code;
    throw new ClientError(
      isClientErrorCode(code) ? code : "PEER_REJECTED",
      `${payee} refused: ${decoded.error.message}`,
      { payee, payeeCode: code },
    );
  }

  private signedBy(threadId: string, voucher: WireVoucher, signer: string): boolean {
    try {
      const recovered = recoverVoucherSigner(
        { threadId, amount: voucher.amount },
        voucher.signature,
        this.deps.deployment,
      );
      return recovered.toLowerCase() === signer.toLowerCase();
    } catch {
      return false;
    }
  }

  private isThread(transfer: FullTransferState): boolean {
    return (
      transfer.transferDefinition.toLowerCase() === this.deps.deployment.definition.toLowerCase()
    );
  }
}

/** The official client's "no responders" (nobody subscribed): the message went nowhere. */
function noResponders(error: unknown): boolean {
  const check = (error as { isNoResponders?: () => boolean } | undefined)?.isNoResponders;
  return typeof check === "function" && check.call(error);
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
