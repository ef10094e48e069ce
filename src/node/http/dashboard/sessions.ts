import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** A signed-in operator: the session id is the cookie, the CSRF token goes in every form. */
export interface Session {
  id: string;
  csrf: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

export interface SessionOptions {
  /** How long a session lasts from sign-in (default 8 h). */
  ttlMs?: number;
  /** Sessions kept at most; signing in beyond it drops the oldest (default 1,000). */
  maxSessions?: number;
  now?: () => number;
}

export const SESSION_TTL_MS = 8 * 3_600_000;
const MAX_SESSIONS = 1_000;

/**
 * The dashboard's sessions, in memory: random ids, each with its CSRF token and an expiry.
 * Bounded, so sign-ins cannot grow the node's memory; a restart signs everyone out.
 *
 * @example
 * const sessions = new SessionStore();
 * const session = sessions.create();
 * sessions.get(session.id); // the session until it expires or signs out
 */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly ttlMs: number;
  private readonly maxSessions: number;
  private readonly now: () => number;

  constructor(options: SessionOptions = {}) {
    this.ttlMs = options.ttlMs ?? SESSION_TTL_MS;
    this.maxSessions = options.maxSessions ?? MAX_SESSIONS;
    this.now = options.now ?? Date.now;
  }

  create(): Session {
    this.sweep();
    while (this.sessions.size >= this.maxSessions) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    const session: Session = {
      id: randomBytes(32).toString("base64url"),
      csrf: randomBytes(32).toString("base64url"),
      expiresAt: this.now() + this.ttlMs,
    };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session with this id; an expired one is dropped. */
  get(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    if (session.expiresAt <= this.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    return session;
  }

  delete(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, session] of this.sessions) {
      if (session.expiresAt <= now) this.sessions.delete(id);
    }
  }
}

/** Compares two secrets in constant time, whatever their lengths. */
export function sameSecret(presented: string, expected: string): boolean {
  const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();
  return timingSafeEqual(digest(presented), digest(expected));
}
