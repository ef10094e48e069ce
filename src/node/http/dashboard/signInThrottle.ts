/**
 * Failed dashboard sign-ins per client address: after `limit` failures within `windowMs`, that
 * address is refused until the window has passed, so the admin token cannot be guessed at
 * the rate a script sends requests. Bounded: past `maxClients` addresses the oldest entry is
 * dropped. Behind a proxy every browser shares the proxy's address (a lockout lasts a window).
 *
 * @example
 * const throttle = new SignInThrottle();
 * if (throttle.refused(ip)) return c.text("too many attempts", 429);
 * if (!ok) throttle.failed(ip); else throttle.succeeded(ip);
 */
export class SignInThrottle {
  /** First failure time and count, by address; least recently failed first. */
  private readonly failures = new Map<string, { since: number; count: number }>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly limit = 5,
    private readonly windowMs = 60_000,
    private readonly maxClients = 10_000,
  ) {}

  /** Whether `client` has used up its attempts for now. */
  refused(client: string): boolean {
    const entry = this.current(client);
    return entry !== undefined && entry.count >= this.limit;
  }

  /** Seconds until `client` may try again (0 when it may now). */
  retryAfterSeconds(client: string): number {
    const entry = this.current(client);
    if (!entry || entry.count < this.limit) return 0;
    return Math.ceil((entry.since + this.windowMs - this.now()) / 1000);
  }

  failed(client: string): void {
    const entry = this.current(client) ?? { since: this.now(), count: 0 };
    this.failures.delete(client);
    this.failures.set(client, { since: entry.since, count: entry.count + 1 });
    while (this.failures.size > this.maxClients) {
      this.failures.delete(this.failures.keys().next().value as string);
    }
  }

  succeeded(client: string): void {
    this.failures.delete(client);
  }

  /** The client's failures in the current window; an expired window is forgotten. */
  private current(client: string): { since: number; count: number } | undefined {
    const entry = this.failures.get(client);
    if (entry && this.now() - entry.since >= this.windowMs) {
      this.failures.delete(client);
      return undefined;
    }
    return entry;
  }
}
