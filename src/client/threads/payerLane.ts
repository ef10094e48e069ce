import type { ThreadReply, WireVoucher } from "../../protocol/threadMessages";
import { ClientError } from "../errors";

export interface PayerLaneDeps {
  threadId: string;
  /** What we locked: no voucher pays more. */
  lock: bigint;
  /** Our signature on the voucher for a cumulative `amount` of this thread. */
  sign(amount: bigint): string;
  /** Whether a voucher the payee shows us is really ours, for this thread. */
  ours(voucher: WireVoucher): boolean;
  /** Sends a voucher to the payee; resolves with its answer once stored, throws its refusal. */
  sendVoucher(voucher: WireVoucher): Promise<ThreadReply>;
  /** Asks the payee where the thread stands (`open`). */
  ask(): Promise<ThreadReply>;
}

/** A failed voucher, waiting for the verdict on its payment. */
interface Failure {
  amount: bigint;
  error: unknown;
  /** Not delivered, or refused: the payee holds it not. A timeout leaves it unknown. */
  definite: boolean;
  /** Whether the payment was made after all (a voucher of ours that covers it is held). */
  decide(paid: boolean): void;
}

/**
 * The paying side of one thread (DESIGN §4.8): each `pay` signs the next cumulative voucher
 * and sends it at once, so many can be in flight. A voucher that fails stops new ones until
 * every voucher in flight is answered; then a payment counts as made if the payee
 * acknowledged any voucher that covers it (vouchers are cumulative), and the lane starts
 * again from what the payee acknowledged — or, when an answer was lost or the payee says it
 * holds a later voucher of ours, from the latest the payee shows us with our own signature.
 * So a voucher is never signed on top of one the payee may not hold, and we never pay for
 * the same thing twice.
 */
export class PayerLane {
  /** The highest cumulative amount signed and sent. */
  private signed = 0n;
  /** The highest cumulative amount the payee holds, as far as we know. */
  private acked = 0n;
  /**
   * The highest voucher we sent since the lane last started again that the payee holds: the
   * payments up to it are made. (A later voucher of ours found at the payee after a restart
   * or from another device pays for other payments, not for these.)
   */
  private confirmed = 0n;
  /** Vouchers sent since the lane last started again: amount → signature. */
  private sent = new Map<bigint, string>();
  /** The voucher behind `acked`. */
  private held: WireVoucher | undefined;
  /** Waiting for the vouchers in flight to be answered. */
  private idlers: (() => void)[] = [];
  private inFlight = 0;
  private failures: Failure[] = [];
  /** Set while failed vouchers drain: new payments wait for it. */
  private recovering: Promise<void> | undefined;
  private drained: (() => void) | undefined;
  /** Whether we know what the payee holds (after a restart we ask first). */
  private synced: boolean;
  private syncing: Promise<ThreadReply> | undefined;

  constructor(
    private readonly deps: PayerLaneDeps,
    known?: { acked: bigint },
  ) {
    this.synced = known !== undefined;
    if (known) this.signed = this.acked = known.acked;
  }

  /** What the payee acknowledged so far. */
  get paid(): bigint {
    return this.acked;
  }

  /** The highest voucher the payee holds, as far as we know: what a close offers it. */
  get latest(): WireVoucher | undefined {
    return this.held;
  }

  /**
   * Learns what the payee holds if we do not know (after a restart), so `paid` is right before
   * the next payment; an absent payee is asked again then.
   */
  async refresh(): Promise<void> {
    if (this.synced) return;
    this.syncing ??= this.sync().finally(() => {
      this.syncing = undefined;
    });
    await this.syncing;
  }

  /** Resolves once no voucher is in flight and none is being recovered. */
  async idle(): Promise<void> {
    while (this.inFlight > 0 || this.recovering || this.syncing) {
      await (this.recovering ?? this.syncing ?? new Promise<void>((r) => this.idlers.push(r)));
    }
  }

  /** Pays `amount` more: resolves once the payee stored a voucher that covers it. */
  async pay(amount: bigint): Promise<void> {
    while (this.recovering) await this.recovering;
    // Awaited only when needed: a synced lane signs and sends in the caller's tick, in order.
    if (!this.synced) await this.refresh();
    if (this.signed + amount > this.deps.lock) {
      throw new ClientError(
        "THREAD_EXHAUSTED",
        `the thread has ${this.deps.lock - this.signed} left, not ${amount}`,
        { threadId: this.deps.threadId, remaining: this.deps.lock - this.signed },
      );
    }
    this.signed += amount;
    const voucher = { amount: this.signed, signature: this.deps.sign(this.signed) };
    this.sent.set(voucher.amount, voucher.signature);
    this.inFlight += 1;
    let verdict: Promise<boolean> | undefined;
    let error: unknown;
    try {
      await this.deps.sendVoucher(voucher);
      this.hold(voucher);
      if (voucher.amount > this.confirmed) this.confirmed = voucher.amount;
    } catch (failed) {
      error = failed;
      verdict = new Promise<boolean>((decide) => {
        this.failures.push({ amount: voucher.amount, error, definite: isDefinite(error), decide });
      });
      this.recovering ??= new Promise<void>((resolve) => {
        this.drained = resolve;
      });
    } finally {
      this.inFlight -= 1;
      if (this.inFlight === 0 && this.drained) await this.recover();
      if (this.inFlight === 0) for (const wake of this.idlers.splice(0)) wake();
    }
    if (verdict && !(await verdict)) throw error;
  }

  /**
   * Where the payee stands, read again: the latest voucher it shows us, if ours. Only while
   * no voucher is in flight (the lane starts again from it).
   */
  private async sync(): Promise<ThreadReply> {
    const reply = await this.deps.ask();
    const latest = reply.latest;
    if (latest && latest.amount <= this.deps.lock && this.deps.ours(latest)) {
      this.hold(latest);
      const sentNow = this.sent.get(latest.amount) === latest.signature.toLowerCase();
      if (sentNow && latest.amount > this.confirmed) this.confirmed = latest.amount;
    }
    this.signed = this.acked;
    this.synced = true;
    return reply;
  }

  private hold(voucher: WireVoucher): void {
    if (voucher.amount <= this.acked) return;
    this.acked = voucher.amount;
    this.held = voucher;
  }

  /**
   * Every voucher in flight is answered: each failed payment is decided (made if a voucher of
   * ours that covers it is held), and the lane starts again from what the payee holds.
   */
  private async recover(): Promise<void> {
    const failures = this.failures;
    this.failures = [];
    // Only what the payee acknowledged is certain; a lost answer, or a payee that holds a
    // later voucher of ours, is settled by asking it.
    const ask = failures.some((f) => !f.definite || codeOf(f.error) === "VOUCHER_STALE");
    if (ask) {
      try {
        await this.sync();
      } catch {
        this.synced = false; // asked again before the next payment
      }
    }
    for (const failure of failures) failure.decide(this.confirmed >= failure.amount);
    this.signed = this.acked;
    this.sent = new Map();
    this.confirmed = this.acked;
    const done = this.drained;
    this.drained = undefined;
    this.recovering = undefined;
    done?.();
  }
}

function codeOf(error: unknown): string | undefined {
  return (error as { code?: string })?.code;
}

/** Refusals and undelivered messages leave the payee without the voucher; timeouts may not. */
function isDefinite(error: unknown): boolean {
  return codeOf(error) !== "VOUCHER_UNCONFIRMED";
}
