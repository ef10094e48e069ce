import { ClientError } from "../errors";

/** Every reason a client store refuses an operation, as stable codes. */
export const CLIENT_STORE_ERROR_CODES = [
  /** The key is empty or too long for the store to hold. */
  "INVALID_KEY",
  /** The value is not a string. */
  "INVALID_VALUE",
  /** A stored record is unreadable, fails the wire schema, or fails its signatures. */
  "CORRUPT_RECORD",
  /** The store was closed. */
  "STORE_CLOSED",
  /** No storage is available in this environment (no IndexedDB, no localStorage). */
  "STORE_UNAVAILABLE",
  /** The underlying storage failed; `cause` has the engine's error. */
  "STORE_FAILED",
] as const;

export type ClientStoreErrorCode = (typeof CLIENT_STORE_ERROR_CODES)[number];

/**
 * The one error class of the client stores.
 *
 * @example
 * if (isClientStoreError(error, "CORRUPT_RECORD")) restoreFromNode();
 */
export class ClientStoreError extends ClientError {
  override readonly name: string = "ClientStoreError";
  declare readonly code: ClientStoreErrorCode;

  constructor(
    code: ClientStoreErrorCode,
    message: string,
    options: { cause?: unknown; context?: Record<string, unknown> } = {},
  ) {
    super(code, message, options.context ?? {}, { cause: options.cause });
  }
}

/**
 * Whether `error` is a ClientStoreError, optionally with the given code.
 *
 * @example
 * if (isClientStoreError(error, "STORE_CLOSED")) reopen();
 */
export function isClientStoreError(
  error: unknown,
  code?: ClientStoreErrorCode,
): error is ClientStoreError {
  return error instanceof ClientStoreError && (code === undefined || error.code === code);
}

/** Longest key any store accepts, in UTF-16 units. */
export const MAX_KEY_LENGTH = 1024;

/** Throws INVALID_KEY for an empty or over-long key. */
export function checkKey(key: string): void {
  if (typeof key !== "string" || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new ClientStoreError(
      "INVALID_KEY",
      `a store key is 1 to ${MAX_KEY_LENGTH} characters, got ${describe(key)}`,
    );
  }
}

function describe(key: unknown): string {
  return typeof key === "string" ? `${key.length} characters` : typeof key;
}

/** Throws INVALID_VALUE unless `value` is a string: stores hold text, never coerced objects. */
export function checkValue(value: string): void {
  if (typeof value !== "string") {
    throw new ClientStoreError("INVALID_VALUE", `a store value is a string, got ${typeof value}`);
  }
}
