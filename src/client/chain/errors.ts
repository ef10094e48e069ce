import { ClientError } from "../errors";

/** Every reason a client's on-chain action fails, as stable codes. */
export const CLIENT_CHAIN_ERROR_CODES = [
  /** The request cannot be sent as asked: a bad address, a zero or negative amount. */
  "INVALID_REQUEST",
  /** The signer is not connected to a provider. */
  "NO_PROVIDER",
  /** The account holds less of the asset than asked for, or cannot pay the gas. */
  "INSUFFICIENT_BALANCE",
  /** The asset address is not an ERC-20 token. */
  "NOT_A_TOKEN",
  /** The transaction reverted, was refused by the token, or was dropped or replaced. */
  "TRANSACTION_FAILED",
  /** The RPC failed. */
  "RPC_FAILED",
] as const;

export type ClientChainErrorCode = (typeof CLIENT_CHAIN_ERROR_CODES)[number];

/**
 * The one error class of the client's chain actions; `context` carries the values (asset,
 * amount, balance, transaction hash) for logs and messages.
 *
 * @example
 * if (isClientChainError(error, "INSUFFICIENT_BALANCE")) showTopUp(error.context.balance);
 */
export class ClientChainError extends ClientError {
  override readonly name: string = "ClientChainError";
  declare readonly code: ClientChainErrorCode;

  constructor(
    code: ClientChainErrorCode,
    message: string,
    context: Record<string, unknown> = {},
    options: { cause?: unknown } = {},
  ) {
    super(code, message, context, options);
  }
}

/**
 * Whether `error` is a ClientChainError, optionally with the given code.
 *
 * @example
 * if (isClientChainError(error, "TRANSACTION_FAILED")) console.log(error.context.transactionHash);
 */
export function isClientChainError(
  error: unknown,
  code?: ClientChainErrorCode,
): error is ClientChainError {
  return error instanceof ClientChainError && (code === undefined || error.code === code);
}
