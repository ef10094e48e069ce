import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { Sql } from "postgres";
import { StoreError } from "./errors";

/** How leases are held; every field has a default (DEFAULT_LEASE_RULES). */
export interface LeaseRules {
  /** A lease's life from its last renewal, by the database's clock. */
  ttlMs: number;
  /** How often a process renews every lease it holds (one statement for all of them). */
  renewEveryMs: number;
  /**
   * `confirm()` passes at once when the lease was renewed less than this ago (it then has at
   * least `ttlMs - confirmWithinMs` left); otherwise it renews first.
   */
  confirmWithinMs: number;
  /** Waiting for a lease another process holds: first retry after this… */
  retryMinMs: number;
  /** …doubling up to this. */
  retryMaxMs: number;
}

export const DEFAULT_LEASE_RULES: LeaseRules = {
  ttlMs: 15_000,
  renewEveryMs: 3_000,
  confirmWithinMs: 5_000,
  retryMinMs: 2,
  retryMaxMs: 50,
};

/** A lease held on one key (what ChannelLocks calls a CrossProcessHold). */
export interface LeaseHold {
  /** Resolves while the lease is surely still ours; throws LEASE_LOST when it may not be. */
  confirm(): Promise<void>;
  /** Gives the lease back; never throws (a lease not given back expires). */
  release(): Promise<void>;
}

/** Channel leases of one process: take one, and stop renewing at shutdown. */
export interface ChannelLeases {
  (key: string): Promise<LeaseHold>;
  /** Stops renewing (the database is closing); leases still held then expire. */
  stop(): void;
}

interface Held {
  /** performance.now() when the statement that last set its expiry was sent. */
  confirmedAt: number;
  /** A renewal found it gone or taken: nothing more may be signed under it. */
  lost: boolean;
}

/**
 * Cross-process channel locks as leases in `channel_leases` (see ChannelLocks for why and for
 * the safety argument). Taking one is one conditional statement (a new row, or a row whose
 * lease expired by the database's clock, or one this process already owns); giving it back
 * is one more. No connection is held in between: a user who takes its time answering the
 * node's proposal holds its own channel's row and nothing else. A process renews all its
 * leases every `renewEveryMs`; one that dies leaves them to expire after `ttlMs`.
 *
 * The in-process chain (ChannelLocks) lets one holder per key at a time ask here, so the
 * owner is the process: a row it failed to delete is simply taken again by its next holder.
 */
export function postgresChannelLeases(
  client: Sql,
  overrides: Partial<LeaseRules> = {},
): ChannelLeases {
  const rules: LeaseRules = { ...DEFAULT_LEASE_RULES, ...overrides };
  if (rules.confirmWithinMs >= rules.ttlMs || rules.renewEveryMs >= rules.confirmWithinMs) {
    throw new Error("lease rules: renewEveryMs < confirmWithinMs < ttlMs");
  }
  const owner = `${hostname()}:${process.pid}:${randomUUID()}`;
  const ttl = rules.ttlMs;
  const held = new Map<string, Held>();
  let timer: ReturnType<typeof setInterval> | undefined;
  let renewing = false;

  /** Renews every lease held; one that did not come back was lost. */
  const renewAll = async () => {
    if (renewing || held.size === 0) return;
    renewing = true;
    const keys = [...held.keys()];
    const sent = performance.now();
    try {
      const rows = await client<{ channel_key: string }[]>`
        update channel_leases set expires_at = now() + ${ttl}::int * interval '1 millisecond'
        where owner = ${owner} and channel_key in ${client(keys)}
        returning channel_key`;
      const renewed = new Set(rows.map((row) => row.channel_key));
      for (const key of keys) {
        const lease = held.get(key);
        // Taken again since the statement was sent: that taking set its own expiry.
        if (!lease || lease.confirmedAt >= sent) continue;
        if (renewed.has(key)) lease.confirmedAt = sent;
        else lease.lost = true;
      }
    } catch {
      // The database is away: confirm() renews (or fails) on its own before any signature.
    } finally {
      renewing = false;
    }
  };

  const heartbeat = () => {
    if (timer || held.size === 0) return;
    timer = setInterval(() => {
      if (held.size === 0) {
        clearInterval(timer);
        timer = undefined;
        return;
      }
      void renewAll();
    }, rules.renewEveryMs);
    timer.unref?.();
  };

  const tryTake = async (key: string): Promise<boolean> => {
    const sent = performance.now();
    const rows = await client`
      insert into channel_leases (channel_key, owner, expires_at)
      values (${key}, ${owner}, now() + ${ttl}::int * interval '1 millisecond')
      on conflict (channel_key) do update
        set owner = excluded.owner, expires_at = excluded.expires_at
        where channel_leases.expires_at < now() or channel_leases.owner = excluded.owner
      returning channel_key`;
    if (rows.length === 0) return false;
    held.set(key, { confirmedAt: sent, lost: false });
    heartbeat();
    return true;
  };

  const leases = async (key: string): Promise<LeaseHold> => {
    let wait = rules.retryMinMs;
    while (!(await tryTake(key))) {
      // Held by another process: it gives it back when its update is done.
      await Bun.sleep(wait * (0.5 + Math.random()));
      wait = Math.min(rules.retryMaxMs, wait * 2);
    }
    const lease = held.get(key) as Held;
    return {
      async confirm() {
        if (!lease.lost && performance.now() - lease.confirmedAt < rules.confirmWithinMs) return;
        const sent = performance.now();
        const rows = lease.lost
          ? []
          : await client`
              update channel_leases set expires_at = now() + ${ttl}::int * interval '1 millisecond'
              where channel_key = ${key} and owner = ${owner}
              returning channel_key`;
        if (rows.length === 0) {
          lease.lost = true;
          throw new StoreError(
            "LEASE_LOST",
            `the lease on ${key} expired: another node process may hold the channel`,
          );
        }
        lease.confirmedAt = Math.max(lease.confirmedAt, sent);
      },
      async release() {
        if (held.get(key) === lease) held.delete(key);
        try {
          await client`delete from channel_leases where channel_key = ${key} and owner = ${owner}`;
        } catch {
          // Left behind, it expires after its ttl (or is taken again by this process first).
        }
      },
    };
  };

  return Object.assign(leases, {
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      held.clear();
    },
  });
}
