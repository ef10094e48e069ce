/** Every reason the store refuses a write or a load, as stable codes. */
export const STORE_ERROR_CODES = [
  /** The update's nonce is not the stored latest + 1. */
  "NONCE_NOT_SEQUENTIAL",
  /** The stored active transfers do not hash to the stored state's merkle root. */
  "MERKLE_MISMATCH",
  /** A stored row failed the protocol's wire schema. */
  "CORRUPT_RECORD",
  /** The applied update names a transfer the store does not hold as active. */
  "UNKNOWN_TRANSFER",
  /** A migration could not be read or applied. */
  "MIGRATION_FAILED",
  /** A channel's lease expired under its holder: another node process may hold the channel. */
  "LEASE_LOST",
] as const;

export type StoreErrorCode = (typeof STORE_ERROR_CODES)[number];

export class StoreError extends Error {
  override readonly name = "StoreError";

  constructor(
    readonly code: StoreErrorCode,
    message: string,
    readonly context: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export function isStoreError(error: unknown, code?: StoreErrorCode): error is StoreError {
  return error instanceof StoreError && (code === undefined || error.code === code);
}
