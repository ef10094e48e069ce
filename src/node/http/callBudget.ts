/**
 * A token bucket per client address: each holds up to `capacity` calls and refills at
 * `perSecond`; a request takes as many as it makes calls, or is refused when the bucket holds
 * fewer. Bounded: past `maxClients` addresses the least recently seen is dropped (it starts
 * full again, which only ever errs towards letting a client through).
 *
 * @example
 * const budget = new CallBudget(600, 100);
 * if (!budget.take(ip, calls.length)) return c.json({ code: "RATE_LIMITED" }, 429);
 */
export class CallBudget {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly capacity: number,
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
    private readonly maxClients = 10_000,
  ) {}

  /** Takes `calls` from the client's bucket; false (nothing taken) when it holds fewer. */
  take(client: string, calls: number): boolean {
    const now = this.now();
    const bucket = this.buckets.get(client) ?? { tokens: this.capacity, at: now };
    const refilled = Math.min(
      this.capacity,
      bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond,
    );
    const allowed = refilled >= calls;
    this.buckets.delete(client);
    this.buckets.set(client, { tokens: allowed ? refilled - calls : refilled, at: now });
    while (this.buckets.size > this.maxClients) {
      this.buckets.delete(this.buckets.keys().next().value as string);
    }
    return allowed;
  }
}
