import { type ChannelUpdate, withdraw } from "../../protocol";
import { withdrawnAmount } from "../../protocol/withdrawals";
import type { WithdrawalPolicy } from "../settings";
import { RateLimiter } from "./collateralRateLimit";
import { NodeError } from "./errors";

/** Withdrawals a user may make in any hour unless configured (WITHDRAWALS_PER_HOUR). */
export const DEFAULT_WITHDRAWALS_PER_HOUR = 10;

const NO_TERMS: WithdrawalPolicy = { minimum: 0n, fee: 0n };

/** How the node bounds users' withdrawals (issue 11, item 6); every field has a default. */
export interface WithdrawalRules {
  /** Per asset (lowercase address); an asset absent has no minimum and no fee. */
  policies: Record<string, WithdrawalPolicy>;
  /** Withdrawals one user may make in any hour; 0: no limit. */
  perHour: number;
  /** Milliseconds since the epoch (the rate limit's clock). */
  clock: () => number;
}

/** What GET /config tells clients, wei as decimal strings (lowercase asset keys). */
export interface AdvertisedWithdrawals {
  perHour: number;
  assets: Record<string, { minimum: string; fee: string }>;
}

/**
 * Dust withdrawals must not drain the node's gas (issue 11, item 6): every user withdrawal
 * costs the node a transaction, so it must pay its recipient at least the asset's minimum,
 * leave the node at least the asset's fee (Withdraw's `fee`, which the resolve pays the node
 * whoever sends the commitment), and be one of at most `perHour` of the user's in any hour.
 * Checked before the node countersigns, so a refused withdrawal changes nothing.
 */
export class WithdrawalLimits {
  private readonly rules: WithdrawalRules;
  private readonly limiter: RateLimiter;

  constructor(rules: Partial<WithdrawalRules> = {}) {
    this.rules = {
      policies: rules.policies ?? {},
      perHour: rules.perHour ?? DEFAULT_WITHDRAWALS_PER_HOUR,
      clock: rules.clock ?? Date.now,
    };
    this.limiter = new RateLimiter({
      intervalSeconds: this.rules.perHour > 0 ? 3600 : 0,
      burst: this.rules.perHour,
      what: this.rules.perHour === 1 ? "withdrawal" : "withdrawals",
      clock: this.rules.clock,
    });
  }

  /** The minimum and fee of `assetId` (none for an asset without a policy). */
  terms(assetId: string): WithdrawalPolicy {
    return this.rules.policies[assetId.toLowerCase()] ?? NO_TERMS;
  }

  /**
   * Refuses `user`'s withdrawal (a Withdraw create whose commitment was checked) below the
   * minimum (WITHDRAWAL_TOO_SMALL) or without the fee (WITHDRAWAL_FEE_REQUIRED), then takes one
   * of the user's slots (RATE_LIMITED when none is left).
   */
  check(user: string, update: ChannelUpdate<"create">): void {
    const { fee } = withdraw.decodeState(update.details.transferInitialState);
    const amount = withdrawnAmount(update.details.transferBalance.amount[0], fee);
    const terms = this.terms(update.assetId);
    if (amount < terms.minimum) {
      throw new NodeError(
        "WITHDRAWAL_TOO_SMALL",
        `a withdrawal of ${update.assetId} must pay out at least ${terms.minimum}, got ${amount}`,
        { assetId: update.assetId, minimum: String(terms.minimum), amount: String(amount) },
      );
    }
    if (fee < terms.fee) {
      throw new NodeError(
        "WITHDRAWAL_FEE_REQUIRED",
        `a withdrawal of ${update.assetId} pays the node a fee of ${terms.fee} for its gas (on top of the amount), got ${fee}`,
        { assetId: update.assetId, fee: String(terms.fee), offered: String(fee) },
      );
    }
    this.limiter.take(user.toLowerCase());
  }

  advertised(): AdvertisedWithdrawals {
    return {
      perHour: this.rules.perHour,
      assets: Object.fromEntries(
        Object.entries(this.rules.policies).map(([asset, { minimum, fee }]) => [
          asset.toLowerCase(),
          { minimum: String(minimum), fee: String(fee) },
        ]),
      ),
    };
  }
}
