import { isSubsetOf } from "./subjects";
import { sweepOldest } from "./sublist";
import type { AllowResponses } from "./types";

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

/** nats-server's DEFAULT_ALLOW_RESPONSE_MAX_MSGS and DEFAULT_ALLOW_RESPONSE_EXPIRATION. */
const DEFAULT_RESPONSE_MAX = 1;
const DEFAULT_RESPONSE_EXPIRES_MS = 2 * 60 * 1000;
/** Grants one connection holds at most (nats-server prunes its map past this many). */
export const MAX_RESPONSE_GRANTS = 4096;

/** How many responses a grant allows (0: no limit) and for how long (0: no expiry). */
export interface ResponseRule {
  max: number;
  expiresMs: number;
}

/**
 * `allowResponses` as nats-server reads `allow_responses`: undefined when off, null when the
 * value is not one (the hook is broken and the connection is refused).
 */
export function responseRule(given: AllowResponses | undefined): ResponseRule | undefined | null {
  if (given === undefined || given === false) return undefined;
  if (given === true) return { max: DEFAULT_RESPONSE_MAX, expiresMs: DEFAULT_RESPONSE_EXPIRES_MS };
  if (typeof given !== "object" || given === null) return null;
  const { max = 0, expiresMs = 0 } = given;
  if (typeof max !== "number" || !Number.isSafeInteger(max)) return null;
  if (typeof expiresMs !== "number" || Number.isNaN(expiresMs)) return null;
  return {
    max: max === 0 ? DEFAULT_RESPONSE_MAX : Math.max(max, 0),
    expiresMs: expiresMs === 0 ? DEFAULT_RESPONSE_EXPIRES_MS : Math.max(expiresMs, 0),
  };
}

interface Grant {
  /** When the reply subject was last delivered (the clock's milliseconds). */
  at: number;
  used: number;
}

/**
 * The reply subjects one connection may answer on (nats-server's `allow_responses`): each
 * message with a reply subject delivered to the connection grants (or renews) `max` responses
 * to that subject within `expiresMs`. No timers: expiry is checked when a grant is used, and
 * grants are kept in delivery order, so expired ones are dropped from the front as new ones
 * come; past `cap` the oldest go.
 */
export class ResponseGrants {
  private readonly grants = new Map<string, Grant>();

  constructor(
    private readonly rule: ResponseRule,
    private readonly now: () => number = () => performance.now(),
    private readonly cap = MAX_RESPONSE_GRANTS,
  ) {}

  get size(): number {
    return this.grants.size;
  }

  /** `reply` was delivered to the connection: `max` responses from now on. */
  grant(reply: string): void {
    const now = this.now();
    // Re-inserted, so the map stays in delivery order (oldest first).
    this.grants.delete(reply);
    this.grants.set(reply, { at: now, used: 0 });
    for (const [subject, grant] of this.grants) {
      if (this.grants.size <= this.cap && !this.expired(grant, now)) break;
      this.grants.delete(subject);
    }
  }

  /** Whether a response to `subject` would be let through now (an expired grant is dropped). */
  allows(subject: string): boolean {
    const grant = this.grants.get(subject);
    if (grant === undefined) return false;
    if (!this.expired(grant, this.now())) return true;
    this.grants.delete(subject);
    return false;
  }

  /** Counts one response to `subject` (after `allows`); the last one allowed ends the grant. */
  use(subject: string): void {
    const grant = this.grants.get(subject);
    if (grant === undefined) return;
    grant.used++;
    if (this.rule.max > 0 && grant.used >= this.rule.max) this.grants.delete(subject);
  }

  clear(): void {
    this.grants.clear();
  }

  /** As nats-server: expired once strictly more than `expiresMs` have passed. */
  private expired(grant: Grant, now: number): boolean {
    return this.rule.expiresMs > 0 && now - grant.at > this.rule.expiresMs;
  }
}
