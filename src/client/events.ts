/** What a client tells its application. Amounts are bigint, in the asset's base units. */
export interface ClientEventMap {
  "transfer.received": {
    transferId: string;
    paymentId: string;
    sender: string;
    assetId: string;
    amount: bigint;
    meta?: Record<string, unknown>;
  };
  "transfer.resolved": {
    transferId: string;
    paymentId?: string;
    assetId: string;
    amount: bigint;
    /** Resolved with the zero pre-image: the payer got it back. */
    cancelled: boolean;
  };
  "deposit.confirmed": { assetId: string; balance: { user: bigint; node: bigint } };
  "withdraw.confirmed": { transferId: string; transactionHash: string };
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
