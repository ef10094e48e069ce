import type { PayeeThread } from "./threads/handles";

/** What a client tells its application. Amounts are bigint, in the asset's base units. */
export interface ClientEventMap {
  /**
   * A payment to us arrived. With `verified`, `sender` and `meta` come from the terms the payer
   * signed and sealed to us, and the transfer pays exactly those terms. Without (a payer that
   * sent no terms), they are only what the node says: check them yourself before you resolve.
   */
  "transfer.received": {
    transferId: string;
    paymentId: string;
    sender: string;
    assetId: string;
    amount: bigint;
    meta?: Record<string, unknown>;
    verified: boolean;
  };
  /**
   * A conditional payment to us was refused (`acceptConditional` said no, its payer signed no
   * terms, or too many already wait) and is being cancelled: its payer gets the money back.
   */
  "transfer.refused": {
    transferId: string;
    paymentId: string;
    assetId: string;
    amount: bigint;
    reason: string;
  };
  "transfer.resolved": {
    transferId: string;
    paymentId?: string;
    assetId: string;
    amount: bigint;
    /** Resolved with the zero pre-image: the payer got it back. */
    cancelled: boolean;
    /**
     * The application's meta agreed when the payment was made (on a payment to us, what
     * `transfer.received` reported); whatever the resolver sends along never replaces it.
     */
    meta?: Record<string, unknown>;
  };
  /** Our own deposit is in the channel: our side grew by `amount`. */
  "deposit.confirmed": {
    assetId: string;
    amount: bigint;
    balance: { user: bigint; node: bigint };
  };
  /**
   * The node added collateral: its side of the channel grew by `amount`, which lets it pay us
   * that much more. The node's money, not ours (`deposit.confirmed` is for our deposits).
   */
  "collateral.received": {
    assetId: string;
    amount: bigint;
    balance: { user: bigint; node: bigint };
  };
  /**
   * Our withdrawal's commitment is executed on-chain, whoever sent it: read from the channel
   * (its Withdrawn log names `transactionHash`), never from the node's word.
   */
  "withdraw.confirmed": { transferId: string; transactionHash: string };
  /**
   * A dispute of the channel appeared on-chain (DESIGN §4.7), whoever started it: from now on
   * the client signs nothing but a resume and carries its side through to exit by itself.
   */
  "dispute.started": {
    /** The contract's dispute round (a new state on record is a new round). */
    round: number;
    /** The nonce of the state on record. */
    nonce: number;
    /** Unix seconds on the chain's clock. */
    consensusExpiry: number;
    defundExpiry: number;
    /** Whether this client's `dispute()` started it. */
    startedByUs: boolean;
  };
  /** The client replaced a stale state on record with its newer one, inside the consensus window. */
  "dispute.answered": { staleNonce: number; nonce: number; transactionHash: string };
  /**
   * An asset of the channel (no `transferId`) or one of its transfers was paid out on-chain,
   * whoever sent the transaction; `amount` is what it made exitable for us (may be 0).
   */
  "dispute.defunded": {
    assetId: string;
    transferId?: string;
    amount: bigint;
    transactionHash: string;
  };
  /** Our exitable amount of an asset left the channel. */
  "dispute.exited": { assetId: string; amount: bigint; recipient: string; transactionHash: string };
  /** The channel resumed past the dispute (a resume update is stored): off-chain updates work again. */
  "dispute.resumed": { round: number; nonce: number };
  /**
   * A thread to us is open: the node locked its side in our channel, and the lock pays exactly
   * what the payer signed. Vouchers follow on `thread.voucher`.
   */
  "thread.opened": { thread: PayeeThread };
  /** A voucher of a thread to us is stored and acknowledged: `received` is the total so far. */
  "thread.voucher": { threadId: string; payer: string; amount: bigint; received: bigint };
  /** A thread is over on our side: our lock is resolved, paying `paid` to the payee. */
  "thread.closed": { threadId: string; role: "payer" | "payee"; paid: bigint };
  /** Background work that failed (an automatic claim, a message that could not be answered). */
  error: Error;
}

type Handler<E extends keyof ClientEventMap> = (payload: ClientEventMap[E]) => void;

/** A small typed emitter; a throwing handler does not stop the others. */
export class ClientEvents {
  private readonly handlers = new Map<keyof ClientEventMap, Set<Handler<never>>>();

  on<E extends keyof ClientEventMap>(event: E, handler: Handler<E>): void {
    const set = this.handlers.get(event) ?? new Set();
    set.add(handler as Handler<never>);
    this.handlers.set(event, set);
  }

  off<E extends keyof ClientEventMap>(event: E, handler: Handler<E>): void {
    this.handlers.get(event)?.delete(handler as Handler<never>);
  }

  emit<E extends keyof ClientEventMap>(event: E, payload: ClientEventMap[E]): void {
    for (const handler of this.handlers.get(event) ?? []) {
      try {
        (handler as Handler<E>)(payload);
      } catch {
        // An application's handler failing is its own business.
      }
    }
  }
}
