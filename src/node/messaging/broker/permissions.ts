import { isSubsetOf } from "./subjects";
import { sweepOldest } from "./sublist";

/**
 * One allow-list (publish, subscribe or reply) of an authenticated connection. A subject is allowed
 * when everything it names is named by one pattern, so `a.*` does not grant `a.>` (nats-server
 * 2.9 would let that subscription through; we do not).
 */
export class AllowList {
  private readonly patterns: readonly string[][];
  /** Publishing checks every message, so decisions are cached per subject. */
  private readonly decided = new Map<string, boolean>();

  /** `cache`: off for subjects that rarely repeat (reply subjects are unique per request). */
  constructor(
    patterns: readonly string[],
    private readonly cache = true,
  ) {
    // Patterns come as JS strings; subjects on the wire are bytes held as latin1.
    this.patterns = patterns.map((p) => Buffer.from(p, "utf8").toString("latin1").split("."));
  }

  allows(subject: string): boolean {
    const known = this.decided.get(subject);
    if (known !== undefined) return known;
    const tokens = subject.split(".");
    const allowed = this.patterns.some((pattern) => isSubsetOf(tokens, pattern));
    if (!this.cache) return allowed;
    this.decided.set(subject, allowed);
    if (this.decided.size > CACHE_MAX) sweepOldest(this.decided, CACHE_MAX / 4);
    return allowed;
  }
}

const CACHE_MAX = 256;
