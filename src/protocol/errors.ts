/**
 * Every reason the protocol core refuses something, as a closed list of stable codes.
 * Shells map codes to transport errors (HTTP status, NATS reply) at their edge only.
 */
export const PROTOCOL_ERROR_CODES = [
  "MALFORMED_MESSAGE",
  "MESSAGE_TOO_LARGE",
  "UNSUPPORTED_PROTOCOL_VERSION",
  "INVALID_ADDRESS",
  "INVALID_HEX",
  "INVALID_SIGNATURE",
  "WRONG_SIGNER",
  "WRONG_CHANNEL",
  "WRONG_PARTICIPANTS",
  "WRONG_NETWORK",
  "CHANNEL_NOT_SETUP",
  "CHANNEL_ALREADY_SETUP",
  "STALE_NONCE",
  "NONCE_GAP",
  "INVALID_TIMEOUT",
  "INSUFFICIENT_BALANCE",
  "BALANCE_MISMATCH",
  "CONSERVATION_VIOLATED",
  "INVALID_DEPOSIT",
  "UNKNOWN_ASSET",
  "UNKNOWN_DEFINITION",
  "UNKNOWN_TRANSFER",
  "DUPLICATE_TRANSFER",
  "TRANSFER_REJECTED",
  "RESOLVE_REJECTED",
  "INVALID_TRANSFER_TIMEOUT",
  "MERKLE_MISMATCH",
  "UPDATE_MISMATCH",
  /** A dispute is on record on-chain: neither side signs updates on the channel. */
  "CHANNEL_IN_DISPUTE",
  /** A hashlock's expiry or transfer timeout leaves no room to claim it on-chain in time. */
  "EXPIRY_UNSAFE",
  /** A resume that is not what the finished dispute left on-chain, or comes too early. */
  "INVALID_RESUME",
  /** The channel already holds as many active transfers as a party signs for (its policy's cap). */
  "TOO_MANY_TRANSFERS",
] as const;

export type ProtocolErrorCode = (typeof PROTOCOL_ERROR_CODES)[number];

/**
 * The one error class of the protocol core. `message` says what was expected and what came;
 * `context` carries the values for logs.
 *
 * @example
 * throw new ProtocolError("STALE_NONCE", "expected nonce 8, got 5", { expected: 8, got: 5 });
 */
export class ProtocolError extends Error {
  override readonly name = "ProtocolError";

  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
    readonly context: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** Whether `error` is a ProtocolError, optionally with the given code. */
export function isProtocolError(error: unknown, code?: ProtocolErrorCode): error is ProtocolError {
  return error instanceof ProtocolError && (code === undefined || error.code === code);
}
