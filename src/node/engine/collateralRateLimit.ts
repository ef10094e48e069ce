import { NodeError } from "./errors";

/**
 * One slot per key per interval (issue 9 §6): a user's `collateral` requests for one asset.
 * A request that gets the slot keeps it even if it is then refused (nothing justified), so
 * asking again and again costs the caller nothing but refusals until the interval is over; a
 * rate-limited request does not move the slot. In memory, per node process: several processes
 * sharing one database each allow one request per interval, which is enough to stop a flood.
 *
 * @example
 * const limiter = new RateLimiter({ intervalSeconds: 60, clock: Date.now });
 * limiter.take(`${user}:${asset}`); // throws RATE_LIMITED the second time within a minute
 */
export class RateLimiter {
  private readonly last = new Map<string, number>();
  /** Past this many keys, expired ones are dropped (a flood of fresh keys cannot grow the map). */
  private readonly sweepAbove: number;

  constructor(
    private readonly options: {
      /** 0 lifts the limit. */
      intervalSeconds: number;
      /** Milliseconds since the epoch. */
      clock: () => number;
      sweepAbove?: number;
    },
  ) {
    this.sweepAbove = options.sweepAbove ?? 10_000;
  }

  /** Takes `key`'s slot, or throws RATE_LIMITED saying when the next one opens. */
  take(key: string): void {
    const intervalMs = this.options.intervalSeconds * 1000;
    if (intervalMs <= 0) return;
    const now = this.options.clock();
    const last = this.last.get(key);
    if (last !== undefined && now - last < intervalMs) {
      const wait = Math.ceil((last + intervalMs - now) / 1000);
      throw new NodeError(
        "RATE_LIMITED",
        `one request per ${this.options.intervalSeconds} s: try again in ${wait} s`,
        { retryAfterSeconds: wait },
      );
    }
    this.last.set(key, now);
    if (this.last.size > this.sweepAbove) this.sweep(now, intervalMs);
  }

  /** Keys held, for tests and metrics. */
  get size(): number {
    return this.last.size;
  }

  private sweep(now: number, intervalMs: number): void {
    for (const [key, at] of this.last) {
      if (now - at >= intervalMs) this.last.delete(key);
    }
  }
}
