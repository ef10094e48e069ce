import { toChecksumAddress } from "../../protocol";

/**
 * How much collateral a user's channel deserves (issue 9 §6). The node's capital is what a
 * Sybil attacker wants to tie up, so collateral follows demand someone paid for: payments
 * already locked by payers and waiting for this payee, the payee's completed inbound volume,
 * and the user's own deposits. Nothing here reads the chain or the database directly; the
 * rules are pure functions and `CollateralDemand` feeds them from the payments table.
 */

/** A payee's inbound payments in one asset, as the payments table has them. */
export interface InboundDemand {
  /** Pending payments to the payee not forwarded yet: their payers' funds are locked already. */
  waiting: bigint;
  /** Payments to the payee completed within the demand window. */
  completed: bigint;
}

/** Reads a payee's inbound demand; `since` starts the window of completed payments. */
export type ReadInboundDemand = (
  recipient: string,
  assetId: string,
  since: Date,
) => Promise<InboundDemand>;

export interface DemandRules {
  /** How far back completed inbound payments count as demand, in seconds. */
  windowSeconds: number;
  /**
   * Headroom above what waits, as a multiple of the window's completed inbound volume. With 2,
   * a top-up lasts about two windows of the same demand, and a payee whose volume grows sees its
   * collateral triple per top-up instead of creeping up one payment at a time.
   */
  headroomFactor: bigint;
}

export const DEFAULT_DEMAND_RULES: DemandRules = { windowSeconds: 86_400, headroomFactor: 2n };

const min = (a: bigint, b: bigint) => (a < b ? a : b);
const max = (a: bigint, b: bigint) => (a > b ? a : b);

/**
 * What a top-up for routed payments aims the node's side at: every waiting payment (they go
 * through whatever the target says), plus headroom in proportion to completed inbound volume,
 * the whole capped at the asset's target unless the waiting payments alone exceed it. A fresh
 * payee's first payment brings exactly its amount.
 */
export function paymentGoal(demand: InboundDemand, target: bigint, rules: DemandRules): bigint {
  const withHeadroom = demand.waiting + demand.completed * rules.headroomFactor;
  return max(demand.waiting, min(target, withHeadroom));
}

/**
 * What a user's own `collateral` request can get: as much as its own reconciled deposits in
 * the asset (capital it put in the channel), or its demand as a payee, whichever is more,
 * capped at the target. A fresh key with neither gets 0: nothing is deposited for it.
 */
export function requestGoal(
  ownDeposits: bigint,
  demand: InboundDemand,
  target: bigint,
  rules: DemandRules,
): bigint {
  return min(target, max(ownDeposits, demand.completed * rules.headroomFactor));
}

/**
 * What an idle channel keeps of the node's free balance: what a top-up would aim at for the
 * demand it has now (a channel idle for the whole window has none). Own deposits do not count
 * here: the node's idle capital comes back, and a user that wants it again asks again.
 */
export function idleKeep(demand: InboundDemand, target: bigint, rules: DemandRules): bigint {
  return paymentGoal(demand, target, rules);
}

/**
 * Whether withdrawing `balance - keep` is worth a transaction: only an excess of at least a
 * tenth of the target (any excess when the target is 0), so dust does not cost the node gas.
 */
export function worthReclaiming(balance: bigint, keep: bigint, target: bigint): boolean {
  const excess = balance - keep;
  return excess > 0n && excess * 10n >= target;
}

/**
 * The rules above fed from the payments table, at the time the node's clock says.
 *
 * @example
 * const demand = new CollateralDemand({ read: (r, a, s) => payments.inboundDemand(r, a, s), clock: Date.now });
 * const goal = await demand.paymentGoal(payee, asset, amount, policy.target);
 */
export class CollateralDemand {
  readonly rules: DemandRules;

  constructor(
    private readonly deps: {
      read: ReadInboundDemand;
      /** Milliseconds since the epoch. */
      clock: () => number;
      rules?: Partial<DemandRules>;
    },
  ) {
    this.rules = { ...DEFAULT_DEMAND_RULES, ...deps.rules };
  }

  /** The payee's demand now: waiting payments, and those completed within the window. */
  read(user: string, assetId: string): Promise<InboundDemand> {
    const since = new Date(this.deps.clock() - this.rules.windowSeconds * 1000);
    // Checksummed, as the payments table has them (routing meta is parsed that way).
    return this.deps.read(toChecksumAddress(user), toChecksumAddress(assetId), since);
  }

  /** `paymentGoal`, never below `amount` (the payment being forwarded now). */
  async paymentGoal(user: string, assetId: string, amount: bigint, target: bigint) {
    return max(amount, paymentGoal(await this.read(user, assetId), target, this.rules));
  }

  async requestGoal(user: string, assetId: string, ownDeposits: bigint, target: bigint) {
    return requestGoal(ownDeposits, await this.read(user, assetId), target, this.rules);
  }

  async idleKeep(user: string, assetId: string, target: bigint) {
    return idleKeep(await this.read(user, assetId), target, this.rules);
  }
}
