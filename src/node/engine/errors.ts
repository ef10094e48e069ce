import { isProtocolError } from "../../protocol";
import { isStoreError } from "../store/errors";

/** What the node's engine refuses or fails at, beyond the protocol core's own codes. */
export const NODE_ERROR_CODES = [
  /** The counterparty did not answer (offline, or timed out). */
  "PEER_UNAVAILABLE",
  /** The counterparty answered with an error. */
  "PEER_REJECTED",
  "PAYMENT_EXISTS",
  "UNKNOWN_RECIPIENT",
  "EXPIRY_TOO_SOON",
  /** A payment would lock the node's collateral longer than it allows. */
  "EXPIRY_TOO_LATE",
  /** A mirror for a payment that was refunded or settled otherwise: adopting it could pay twice. */
  "PAYMENT_NOT_PENDING",
  /**
   * A payee's claim of a mirror within the grace period before its expiry (`context.expiry`):
   * the node's refund sweep may already be counting it dead (DESIGN §4.6).
   */
  "CLAIM_TOO_LATE",
  "WITHDRAW_MISMATCH",
  /** A user's withdrawal pays its recipient less than the asset's minimum (`context.minimum`). */
  "WITHDRAWAL_TOO_SMALL",
  /** A user's withdrawal leaves the node less than the asset's fee (`context.fee`). */
  "WITHDRAWAL_FEE_REQUIRED",
  "UNSUPPORTED_TRANSFER",
  "UNSUPPORTED_ASSET",
  "NOT_PERMITTED",
  "COLLATERAL_FAILED",
  /**
   * Too many requests from one user (collateral: one per asset per interval; withdrawals: a
   * number an hour); try again later.
   */
  "RATE_LIMITED",
  /** A collateral request nothing justifies: no own deposits in the asset, no inbound payments. */
  "COLLATERAL_NOT_JUSTIFIED",
  "SHUTTING_DOWN",
  "INTERNAL",
] as const;
export type NodeErrorCode = (typeof NODE_ERROR_CODES)[number];

export class NodeError extends Error {
  override readonly name = "NodeError";

  constructor(
    readonly code: NodeErrorCode,
    message: string,
    readonly context: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export function isNodeError(error: unknown): error is NodeError {
  return error instanceof NodeError;
}

/**
 * The `{ code, message }` a client is told. Protocol, store and node errors keep their codes;
 * anything else is INTERNAL without its details, which go to the log instead.
 */
export function publicError(error: unknown): { code: string; message: string; internal: boolean } {
  if (isProtocolError(error) || isNodeError(error) || isStoreError(error)) {
    return { code: error.code, message: error.message, internal: false };
  }
  return { code: "INTERNAL", message: "internal error", internal: true };
}
