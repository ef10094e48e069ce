import type { ResolvedOptions } from "./options";
import type { Outbound } from "./outbound";
import type { ConnectionLimits } from "./types";

/**
 * The limits no single connection can keep on its own: the bytes all clients together have
 * queued (`maxPendingBytesTotal`) and the connections each user holds (`maxConnections`), and
 * the per-connection limits an authenticated connection ends up with.
 */

/** A connection as the budget sees it: its outbound buffer and how to cut it off. */
export interface BudgetMember {
  readonly out: Outbound;
  readonly closed: boolean;
  slowConsumer(): void;
}

/**
 * The broker-wide budget of queued bytes. Every Outbound on it charges what it holds (its own
 * buffer plus what the transport holds for it); a write that would pass `max` first cuts the
 * member with the largest backlog, as many times as it takes.
 *
 * Why the largest backlog and not the writer's target: a client that reads keeps a short queue
 * (the kernel's socket buffer takes what it reads), so the largest queue belongs to one that
 * stopped reading, and cutting it frees the most with one cut. Cutting the target instead
 * would let a flood fill the budget and then cut every honest client that is sent anything.
 * The target is cut only when it is itself the largest. Exempt connections (the node's own)
 * are not on the budget at all, so they are never picked; their own maxPendingBytes bounds them.
 */
export class PendingBudget {
  /** Bytes charged now. */
  used = 0;
  /** The most `used` has been. */
  peak = 0;

  constructor(
    readonly max: number,
    private readonly members: () => Iterable<BudgetMember>,
  ) {}

  /** Charges `n` more bytes queued to `out`. False: `out`'s own connection must be cut. */
  reserve(out: Outbound, n: number): boolean {
    if (this.used + n > this.max && !this.makeRoom(out, n)) return false;
    this.charge(n);
    return true;
  }

  /** Changes the charge without a check (bytes the socket took, a closing connection's -ERR). */
  charge(delta: number): void {
    this.used += delta;
    if (this.used > this.peak) this.peak = this.used;
  }

  /** Rare (only past the budget), so a scan of every connection is fine. */
  private makeRoom(out: Outbound, n: number): boolean {
    for (;;) {
      let victim: BudgetMember | undefined;
      let most = -1;
      for (const member of this.members()) {
        if (member.closed || member.out.budget !== this) continue;
        // Bytes queued during this batch of input have not been offered to the socket yet
        // (that happens after the batch): offer them now, so only what a socket refuses counts
        // as a backlog. settle() measures afresh: a WebSocket's buffer drains on its own.
        member.out.flush();
        const pending = member.out.settle();
        if (pending > most) {
          most = pending;
          victim = member;
        }
      }
      if (this.used + n <= this.max) return true;
      if (victim === undefined || victim.out === out) return false;
      victim.slowConsumer();
    }
  }
}

/** Connections open per authenticated user, for `maxConnections`. */
export class UserConnections {
  private readonly open = new Map<string, number>();

  /** Counts one more connection for `user`, unless it already holds `max` (0: no limit). */
  add(user: string, max: number): boolean {
    const count = this.open.get(user) ?? 0;
    if (max > 0 && count >= max) return false;
    this.open.set(user, count + 1);
    return true;
  }

  remove(user: string): void {
    const count = this.open.get(user) ?? 0;
    if (count <= 1) this.open.delete(user);
    else this.open.set(user, count - 1);
  }
}

export type EffectiveLimits = Required<ConnectionLimits>;

/** Before (or without) authentication a connection has the broker's options. */
export function defaultLimits(options: ResolvedOptions): EffectiveLimits {
  return {
    maxPayload: options.maxPayload,
    maxPendingBytes: options.maxPendingBytes,
    maxSubscriptions: options.maxSubscriptions,
    maxConnections: options.maxConnectionsPerUser,
    exemptFromBudget: false,
  };
}

/**
 * An authenticated connection's limits: the hook's, the broker's options for what it leaves
 * out. A payload limit above the broker's is lowered to it (the INFO every client read first
 * announced the broker's). Undefined when a value is not a valid count: the hook is broken, and
 * the connection is refused as if it had thrown.
 */
export function connectionLimits(
  given: ConnectionLimits | undefined,
  options: ResolvedOptions,
): EffectiveLimits | undefined {
  const limits = defaultLimits(options);
  if (given === undefined || given === null) return limits;
  if (typeof given !== "object") return undefined;
  const { maxPayload, maxPendingBytes, maxSubscriptions, maxConnections } = given;
  if (maxPayload !== undefined) {
    if (!isCount(maxPayload, 1)) return undefined;
    limits.maxPayload = Math.min(maxPayload, options.maxPayload);
  }
  if (maxPendingBytes !== undefined) {
    if (!isCount(maxPendingBytes, 1)) return undefined;
    limits.maxPendingBytes = maxPendingBytes;
  }
  if (maxSubscriptions !== undefined) {
    if (!isCount(maxSubscriptions, 0)) return undefined;
    limits.maxSubscriptions = maxSubscriptions;
  }
  if (maxConnections !== undefined) {
    if (!isCount(maxConnections, 0)) return undefined;
    limits.maxConnections = maxConnections;
  }
  limits.exemptFromBudget = given.exemptFromBudget === true;
  return limits;
}

function isCount(value: unknown, least: number): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= least;
}
