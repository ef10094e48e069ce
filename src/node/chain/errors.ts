/** Every way a chain operation fails, as stable codes. */
export const CHAIN_ERROR_CODES = [
  /** The transaction reverted: at gas estimation, or mined with status 0. */
  "TRANSACTION_REVERTED",
  /** The node refused the transaction for another reason, or it was replaced or dropped. */
  "TRANSACTION_FAILED",
  /** The sending account cannot pay for the transaction. */
  "INSUFFICIENT_FUNDS",
  /** The RPC kept failing after every retry. */
  "RPC_UNAVAILABLE",
  /** The transaction was broadcast but no receipt arrived in time; it may still be mined. */
  "CONFIRMATION_TIMEOUT",
  /** The RPC is on another chain than the address book. */
  "WRONG_NETWORK",
  /** The caller asked for something that cannot be sent (zero amount, wrong channel). */
  "INVALID_REQUEST",
] as const;

export type ChainErrorCode = (typeof CHAIN_ERROR_CODES)[number];

export interface ChainErrorContext {
  /** The decoded revert, e.g. `WithdrawalAlreadyExecuted(0x…)`, when there is one. */
  revert?: string;
  transactionHash?: string;
  nonce?: number;
  [key: string]: unknown;
}

export class ChainError extends Error {
  override readonly name = "ChainError";

  constructor(
    readonly code: ChainErrorCode,
    message: string,
    readonly context: ChainErrorContext = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isChainError(error: unknown, code?: ChainErrorCode): error is ChainError {
  return error instanceof ChainError && (code === undefined || error.code === code);
}
