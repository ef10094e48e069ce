import { isProtocolError } from "../../protocol";
import { errorReply, okReply } from "../../protocol/messaging";
import {
  decodeThreadMessage,
  type ThreadMessage,
  type ThreadRefusal,
  type ThreadReply,
  type WireVoucher,
} from "../../protocol/threadMessages";
import { ClientError } from "../errors";
import type { ThreadRecords } from "./records";

/** A thread paid to us, as the payee holds it: the node's lock and the latest voucher. */
export interface PayeeThreadState {
  threadId: string;
  /** The node's transfer to us in our channel. */
  transferId: string;
  /** Who signs the vouchers (checksummed): the payer named in the lock. */
  payer: string;
  assetId: string;
  /** What the node locked for us: no voucher pays more. */
  lock: bigint;
  /** Unix seconds: our lock's expiry. */
  expiry: number;
  latest?: WireVoucher;
  /** No more vouchers: we are resolving our lock (or it is resolved). */
  closing: boolean;
  closed: boolean;
}

export interface PayeeThreadsDeps {
  records: ThreadRecords;
  /** Whether `signature` is the thread's payer's over `amount` (EIP-712, DESIGN §4.5). */
  signedByPayer(thread: PayeeThreadState, voucher: WireVoucher): boolean;
  /** Resolves our lock with `latest` (a cancel without one); resolves once stored. */
  resolve(thread: PayeeThreadState): Promise<void>;
  /** A voucher was stored and acknowledged. */
  received(thread: PayeeThreadState, previous: bigint): void;
  /** Our lock is resolved: the thread is over for us. */
  closed(thread: PayeeThreadState): void;
}

/** A voucher that passed the cheap checks, and the message to answer for it (not a close's). */
interface Candidate {
  voucher: WireVoucher;
  message?: Inbound;
}

/** One payer message waiting for its turn, and how to answer it. */
interface Inbound {
  from: string;
  data: Uint8Array;
  respond(reply: string): void;
}

/** How long an `open` waits for the node's lock to reach us, at most, and how many at once. */
const OPEN_WAIT_MS = 5_000;
const MAX_OPEN_WAITERS = 64;

/**
 * The payee's side of threads (DESIGN §4.8): every payer message is checked against the lock
 * the node holds for us and the latest voucher we hold, and a voucher is stored before it is
 * acknowledged. Messages are handled in arrival order in batches (see `handle`): one
 * signature check per thread and batch in the common case, one write of the latest voucher,
 * then every message answered. A voucher answered as held was covered by a higher one of the
 * same batch: the payer's vouchers are cumulative, so that one pays for it too.
 */
export class PayeeThreads {
  private readonly threads = new Map<string, PayeeThreadState>();
  private queue: Inbound[] = [];
  private pumping: Promise<void> | undefined;
  private readonly openWaiters = new Map<string, (() => void)[]>();
  private readonly closings = new Map<string, Promise<bigint>>();

  constructor(private readonly deps: PayeeThreadsDeps) {}

  /** A thread whose lock is in our channel (at creation, or found there at start-up). */
  async register(thread: Omit<PayeeThreadState, "latest" | "closing" | "closed">) {
    const key = thread.threadId.toLowerCase();
    if (this.threads.has(key)) return this.threads.get(key) as PayeeThreadState;
    const latest = await this.deps.records.load(key);
    const state: PayeeThreadState = {
      ...thread,
      threadId: key,
      ...(latest ? { latest } : {}),
      closing: false,
      closed: false,
    };
    this.threads.set(key, state);
    for (const wake of this.openWaiters.get(key) ?? []) wake();
    this.openWaiters.delete(key);
    return state;
  }

  get(threadId: string): PayeeThreadState | undefined {
    return this.threads.get(threadId.toLowerCase());
  }

  list(): PayeeThreadState[] {
    return [...this.threads.values()].filter((thread) => !thread.closed);
  }

  /** A payer's message (`from`: the subject's sender, lowercase): queued, answered in turn. */
  receive(message: Inbound): void {
    this.queue.push(message);
    // Started on the next microtask, so messages that arrive together are one batch.
    this.pumping ??= Promise.resolve()
      .then(() => this.pump())
      .finally(() => {
        this.pumping = undefined;
      });
  }

  /**
   * Closes a thread: no more vouchers, then our lock is resolved with the latest voucher we
   * hold (the higher of ours and `offered`, a payer's close), or cancelled when we hold none.
   * Resolves with what the thread paid us once the resolve is stored.
   */
  close(threadId: string): Promise<bigint> {
    const thread = this.get(threadId);
    if (!thread) {
      return Promise.reject(
        new ClientError("THREAD_UNKNOWN", `no thread ${threadId}`, { threadId }),
      );
    }
    const running = this.closings.get(thread.threadId);
    if (running) return running;
    thread.closing = true;
    const closing = (async () => {
      // Vouchers of a batch in progress are stored and answered first.
      while (this.pumping) await this.pumping;
      if (!thread.closed) {
        await this.deps.resolve(thread);
        this.settled(thread.threadId);
      }
      return thread.latest?.amount ?? 0n;
    })();
    this.closings.set(thread.threadId, closing);
    closing.catch(() => {
      // Not closed (the node refused or was away): the thread is open again, takes vouchers,
      // and a later close (ours, the payer's, or the one due by time) tries again.
      this.closings.delete(thread.threadId);
      if (!thread.closed) thread.closing = false;
    });
    return closing;
  }

  /** Our lock left the channel (resolved by us, or settled on-chain): the thread is over. */
  settled(threadId: string): void {
    const thread = this.get(threadId);
    if (!thread || thread.closed) return;
    thread.closing = true;
    thread.closed = true;
    this.threads.delete(thread.threadId);
    this.deps.closed(thread);
    this.deps.records.forget(thread.threadId).catch(() => {});
  }

  private async pump(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      await this.handle(batch);
    }
  }

  /**
   * One batch, in three steps: every message is parsed and its voucher checked against the
   * voucher we hold (cheap checks: open, not held already, higher, within the lock); then per
   * thread only the highest candidate's signature is checked, and lower ones only if it fails
   * (vouchers are cumulative: a valid higher one covers the lower ones, which are answered as
   * held); then the latest of each thread is written once and every message answered.
   */
  private async handle(batch: Inbound[]): Promise<void> {
    const candidates = new Map<string, Candidate[]>();
    const answers: { message: Inbound; thread: PayeeThreadState; voucher?: WireVoucher }[] = [];
    const closes: { message: Inbound; thread: PayeeThreadState }[] = [];
    for (const message of batch) {
      let parsed: ThreadMessage;
      try {
        parsed = decodeThreadMessage(message.data);
      } catch (error) {
        const code = isProtocolError(error) ? error.code : "MALFORMED_MESSAGE";
        message.respond(errorReply({ code, message: (error as Error).message.slice(0, 512) }));
        continue;
      }
      const thread = this.threads.get(parsed.threadId);
      if (!thread || thread.payer.toLowerCase() !== message.from) {
        if (parsed.type === "open") this.waitForOpen(message, parsed.threadId);
        else message.respond(refusalReply("THREAD_UNKNOWN", `no thread ${parsed.threadId}`));
        continue;
      }
      if (parsed.type === "open") {
        answers.push({ message, thread });
        continue;
      }
      // A close's voucher (the payer's highest) counts only if it passes like any other.
      const voucher = parsed.voucher;
      if (parsed.type === "close") closes.push({ message, thread });
      if (!voucher) continue;
      const refused = this.refusal(thread, voucher);
      if (refused) {
        if (parsed.type === "voucher") message.respond(refusalReply(refused.code, refused.message));
        continue;
      }
      const list = candidates.get(thread.threadId) ?? [];
      list.push({ voucher, ...(parsed.type === "voucher" ? { message } : {}) });
      candidates.set(thread.threadId, list);
      if (parsed.type === "voucher") answers.push({ message, thread, voucher });
    }
    const staged = new Map<string, { thread: PayeeThreadState; voucher: WireVoucher }>();
    const forged = new Set<Inbound>();
    for (const [threadId, list] of candidates) {
      const thread = this.threads.get(threadId) as PayeeThreadState;
      const valid = this.highestValid(thread, list, forged);
      if (valid) staged.set(threadId, { thread, voucher: valid });
    }
    const stored = await this.store(staged);
    for (const { message, thread, voucher } of answers) {
      if (!stored) message.respond(storeFailed());
      else if (voucher && forged.has(message)) {
        message.respond(refusalReply("VOUCHER_FORGED", "not signed by the thread's payer"));
      } else message.respond(okReply(replyOf(thread)));
    }
    for (const { message, thread } of closes) {
      if (!stored) {
        message.respond(storeFailed());
        continue;
      }
      this.close(thread.threadId).then(
        () => message.respond(okReply(replyOf(thread))),
        (error: Error) =>
          message.respond(
            errorReply({
              code: (error as { code?: string }).code ?? "INTERNAL",
              message: error.message.slice(0, 512),
            }),
          ),
      );
    }
  }

  /**
   * The highest candidate that carries the payer's signature, checking from the top down; the
   * messages of the ones above it are marked forged. Lower ones are covered by it.
   */
  private highestValid(
    thread: PayeeThreadState,
    list: Candidate[],
    forged: Set<Inbound>,
  ): WireVoucher | undefined {
    const ordered = [...list].sort((a, b) =>
      a.voucher.amount === b.voucher.amount ? 0 : a.voucher.amount > b.voucher.amount ? -1 : 1,
    );
    for (const candidate of ordered) {
      if (this.deps.signedByPayer(thread, candidate.voucher)) return candidate.voucher;
      if (candidate.message) forged.add(candidate.message);
    }
    return undefined;
  }

  /** Writes the latest voucher of each thread in the batch, then makes it ours. */
  private async store(
    staged: Map<string, { thread: PayeeThreadState; voucher: WireVoucher }>,
  ): Promise<boolean> {
    try {
      await Promise.all(
        [...staged].map(([threadId, { voucher }]) => this.deps.records.save(threadId, voucher)),
      );
    } catch {
      return false;
    }
    for (const { thread, voucher } of staged.values()) {
      const previous = thread.latest?.amount ?? 0n;
      thread.latest = voucher;
      this.deps.received(thread, previous);
    }
    return true;
  }

  /**
   * Why a voucher is refused before its signature is looked at, or undefined: the thread is
   * open, and the voucher is not the one we hold, pays more than it and no more than the lock.
   */
  private refusal(
    thread: PayeeThreadState,
    voucher: WireVoucher,
  ): { code: ThreadRefusal; message: string } | undefined {
    if (thread.closing) return { code: "THREAD_CLOSED", message: "the thread is closing" };
    const latest = thread.latest;
    const held = latest?.amount ?? 0n;
    if (latest && voucher.amount === held && voucher.signature === latest.signature) {
      return { code: "VOUCHER_REPLAYED", message: `the voucher for ${held} is held already` };
    }
    if (voucher.amount <= held) {
      return {
        code: "VOUCHER_STALE",
        message: `a voucher must pay more than the latest held (${held}), got ${voucher.amount}`,
      };
    }
    if (voucher.amount > thread.lock) {
      return {
        code: "VOUCHER_ABOVE_LOCK",
        message: `the thread locks ${thread.lock}, the voucher pays ${voucher.amount}`,
      };
    }
    return undefined;
  }

  /** An `open` for a lock not here yet (the node's create may be on its way): wait a little. */
  private waitForOpen(message: Inbound, threadId: string): void {
    const waiting = [...this.openWaiters.values()].reduce((sum, list) => sum + list.length, 0);
    if (waiting >= MAX_OPEN_WAITERS) {
      message.respond(refusalReply("THREAD_UNKNOWN", `no thread ${threadId}`));
      return;
    }
    const list = this.openWaiters.get(threadId) ?? [];
    const timer = setTimeout(() => {
      const left = (this.openWaiters.get(threadId) ?? []).filter((wake) => wake !== retry);
      if (left.length > 0) this.openWaiters.set(threadId, left);
      else this.openWaiters.delete(threadId);
      message.respond(refusalReply("THREAD_UNKNOWN", `no thread ${threadId}`));
    }, OPEN_WAIT_MS);
    const retry = () => {
      clearTimeout(timer);
      this.receive(message);
    };
    list.push(retry);
    this.openWaiters.set(threadId, list);
  }
}

function replyOf(thread: PayeeThreadState): ThreadReply {
  return {
    lock: thread.lock,
    expiry: thread.expiry,
    ...(thread.latest ? { latest: thread.latest } : {}),
    closed: thread.closed,
  };
}

function refusalReply(code: ThreadRefusal, message: string): string {
  return errorReply({ code, message });
}

function storeFailed(): string {
  return errorReply({ code: "STORE_FAILED", message: "the payee could not store the voucher" });
}
