import type { PayeeThreadState } from "./payeeThreads";
import type { PayerLane } from "./payerLane";

/** What closing a thread came to. */
export interface ThreadClosed {
  threadId: string;
  /** What the thread paid the payee in all (the voucher both locks were resolved with). */
  paid: bigint;
}

/** What both handles say about their thread. */
interface ThreadFacts {
  /** The thread id: the same on both sides. */
  readonly id: string;
  /** The other user: the payee for the payer, the payer for the payee. */
  readonly counterparty: string;
  readonly assetId: string;
  /** What is locked: no voucher pays more. */
  readonly amount: bigint;
  /** Unix seconds: the payee closes the thread on its own before then. */
  readonly expiry: number;
}

/**
 * A thread we pay through (`client.openThread`): each `pay` is one voucher straight to the
 * payee, acknowledged once the payee stored it; the node is not on the path.
 *
 * @example
 * const thread = await client.openThread({ counterparty, assetId: ZeroAddress, amount: 10n ** 16n });
 * await thread.pay(10n ** 12n);
 * console.log(thread.paid, thread.remaining);
 * await thread.close();
 */
export class PayerThread implements ThreadFacts {
  readonly role = "payer" as const;

  constructor(
    readonly id: string,
    readonly counterparty: string,
    readonly assetId: string,
    readonly amount: bigint,
    readonly expiry: number,
    private readonly lane: PayerLane,
    private readonly closer: (thread: PayerThread) => Promise<ThreadClosed>,
  ) {}

  /** What the payee acknowledged so far (cumulative). */
  get paid(): bigint {
    return this.lane.paid;
  }

  /** Asks the payee what it holds, when we do not know (after a restart). */
  refresh(): Promise<void> {
    return this.lane.refresh();
  }

  /** What is left to pay before the lock runs out. */
  get remaining(): bigint {
    return this.amount - this.lane.paid;
  }

  /**
   * Pays `amount` more: one voucher, straight to the payee; resolves once the payee stored it.
   * PAYEE_OFFLINE (nothing paid) when the payee is not connected, THREAD_EXHAUSTED beyond the
   * lock, the payee's refusal code otherwise.
   *
   * @example
   * await thread.pay(1_000n);
   */
  pay(amount: bigint): Promise<void> {
    return this.lane.pay(amount);
  }

  /**
   * Asks the payee to close: it resolves its lock with the latest voucher (the higher of ours
   * and its own), then the node resolves ours with the same voucher. Resolves once our channel
   * shows it; PAYEE_OFFLINE when the payee is away (nothing is resolved against it: it closes
   * when it is back, or on its own before the expiry).
   *
   * @example
   * const { paid } = await thread.close();
   */
  close(): Promise<ThreadClosed> {
    return this.closer(this);
  }
}

/**
 * A thread paid to us (`thread.opened`, `client.getThreads()`): the payer's vouchers arrive on
 * their own; closing resolves the node's lock with the latest one.
 *
 * @example
 * client.on("thread.opened", ({ thread }) => console.log(`thread ${thread.id} from ${thread.counterparty}`));
 * const { paid } = await thread.close();
 */
export class PayeeThread implements ThreadFacts {
  readonly role = "payee" as const;
  readonly id: string;
  readonly counterparty: string;
  readonly assetId: string;
  readonly amount: bigint;
  readonly expiry: number;

  constructor(
    private readonly state: PayeeThreadState,
    private readonly closer: (thread: PayeeThread) => Promise<ThreadClosed>,
  ) {
    this.id = state.threadId;
    this.counterparty = state.payer;
    this.assetId = state.assetId;
    this.amount = state.lock;
    this.expiry = state.expiry;
  }

  /** What the vouchers we hold pay us (cumulative). */
  get received(): bigint {
    return this.state.latest?.amount ?? 0n;
  }

  /** What the payer can still pay us through the thread. */
  get remaining(): bigint {
    return this.amount - this.received;
  }

  /**
   * Resolves the node's lock with the latest voucher we hold; resolves with what the thread
   * paid us once our channel shows it.
   *
   * @example
   * const { paid } = await thread.close();
   */
  close(): Promise<ThreadClosed> {
    return this.closer(this);
  }
}

export type ThreadHandle = PayerThread | PayeeThread;
