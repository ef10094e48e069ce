import { ClientError } from "../errors";
import type { NodeConfig } from "../nodeApi";

/** What the node asks of a withdrawal of one asset (GET /config), in its base units. */
export interface WithdrawalTerms {
  /** The least a withdrawal may pay its recipient. */
  minimum: bigint;
  /** What the node keeps in the channel on top of the amount, for its gas. */
  fee: bigint;
  /** Withdrawals one user may make in any hour; undefined: the node does not say (older). */
  perHour?: number;
}

/** The node's terms for withdrawing `assetId`: none for an asset it names none for. */
export function withdrawalTermsOf(config: NodeConfig, assetId: string): WithdrawalTerms {
  const advertised = config.withdrawals;
  const asset = advertised?.assets[assetId.toLowerCase()];
  return {
    minimum: asset ? BigInt(asset.minimum) : 0n,
    fee: asset ? BigInt(asset.fee) : 0n,
    ...(advertised ? { perHour: advertised.perHour } : {}),
  };
}

/**
 * The fee a withdrawal of `amount` pays, checked before anything is signed: the amount must be
 * at least the node's minimum (WITHDRAWAL_TOO_SMALL), and the fee at most `maxFee` (default a
 * tenth of the amount), so a node that raises its fee cannot take more than the application
 * agreed to (WITHDRAWAL_FEE_TOO_HIGH).
 */
export function withdrawalFee(
  assetId: string,
  amount: bigint,
  terms: WithdrawalTerms,
  maxFee: bigint = amount / 10n,
): bigint {
  if (amount < terms.minimum) {
    throw new ClientError(
      "WITHDRAWAL_TOO_SMALL",
      `the node withdraws at least ${terms.minimum} of ${assetId}, asked ${amount}`,
      { assetId, minimum: terms.minimum, amount },
    );
  }
  if (terms.fee > maxFee) {
    throw new ClientError(
      "WITHDRAWAL_FEE_TOO_HIGH",
      `the node asks a fee of ${terms.fee} of ${assetId} for a withdrawal, above the ${maxFee} allowed`,
      { assetId, fee: terms.fee, maxFee },
    );
  }
  return terms.fee;
}
