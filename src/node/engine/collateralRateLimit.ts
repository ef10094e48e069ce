import { NodeError } from "./errors";

/**
 * `burst` slots per key per interval, over a sliding window (issue 9 §6: a user's `collateral`
 * requests for one asset, one a minute; issue 11: a user's withdrawals, ten an hour). A request
 * that gets a slot keeps it even if it is then refused (nothing justified), so asking again and
 * again costs the caller nothing but refusals until the interval is over; a rate-limited
 * request takes no slot. In memory, per node process: several processes sharing one database
 * each allow their own slots, which is enough to stop a flood.
 *
 * @example
 * const limiter = new RateLimiter({ intervalSeconds: 60, clock: Date.now });
 * limiter.take(`${user}:${asset}`); // throws RATE_LIMITED the second time within a minute
 */
export class RateLimiter {
  /** Per key, the times its slots were taken (oldest first), at most `burst` of them. */
  private readonly taken = new Map<string, number[]>();
  /** Past this many keys, expired ones are dropped (a flood of fresh keys cannot grow the map). */
  private readonly sweepAbove: number;
  private readonly burst: number;

  constructor(
    private readonly options: {
      /** 0 lifts the limit. */
      intervalSeconds: number;
      /** Milliseconds since the epoch. */
      clock: () => number;
      /** Slots per key in any one interval (default 1). */
      burst?: number;
      /** What is limited, for the refusal's message (default "request(s)"). */
      what?: string;
      sweepAbove?: number;
    },
  ) {
    this.sweepAbove = options.sweepAbove ?? 10_000;
    this.burst = Math.max(1, options.burst ?? 1);
  }

  /** Takes one of `key`'s slots, or throws RATE_LIMITED saying when the next one opens. */
  take(key: string): void {
    const intervalMs = this.options.intervalSeconds * 1000;
    if (intervalMs <= 0) return;
    const now = this.options.clock();
    const times = (this.taken.get(key) ?? []).filter((at) => now - at < intervalMs);
    const oldest = times[0];
    if (times.length >= this.burst && oldest !== undefined) {
      const wait = Math.ceil((oldest + intervalMs - now) / 1000);
      const what = this.options.what ?? (this.burst === 1 ? "request" : "requests");
      const allowed = `${this.burst === 1 ? "one" : this.burst} ${what}`;
      throw new NodeError(
        "RATE_LIMITED",
        `${allowed} per ${this.options.intervalSeconds} s: try again in ${wait} s`,
        { retryAfterSeconds: wait },
      );
    }
    times.push(now);
    this.taken.set(key, times);
    if (this.taken.size > this.sweepAbove) this.sweep(now, intervalMs);
  }

  /** Keys held, for tests and metrics. */
  get size(): number {
    return this.taken.size;
  }

  private sweep(now: number, intervalMs: number): void {
    for (const [key, times] of this.taken) {
      if (times.every((at) => now - at >= intervalMs)) this.taken.delete(key);
    }
  }
}
