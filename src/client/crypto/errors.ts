import { ClientError } from "../errors";

/** Every reason the client's crypto helpers refuse something, as stable codes. */
export const CRYPTO_ERROR_CODES = [
  /** Not a secp256k1 public key (33 bytes compressed or 65 uncompressed, on the curve). */
  "INVALID_PUBLIC_KEY",
  /** Not a 32-byte secp256k1 private key. */
  "INVALID_PRIVATE_KEY",
  /** Not a 32-byte 0x pre-image. */
  "INVALID_PRE_IMAGE",
  /** The ciphertext is malformed, tampered with, or for another key. */
  "DECRYPTION_FAILED",
  /** A payment's terms are malformed: size, version, a field, or a pre-image not the lock's. */
  "INVALID_PAYMENT_TERMS",
  /** A payment's terms are not signed by the sender they name. */
  "WRONG_SIGNER",
] as const;

export type CryptoErrorCode = (typeof CRYPTO_ERROR_CODES)[number];

/**
 * The one error class of the client's crypto helpers.
 *
 * @example
 * if (isCryptoError(error, "DECRYPTION_FAILED")) ignoreTransfer();
 */
export class CryptoError extends ClientError {
  override readonly name: string = "CryptoError";
  declare readonly code: CryptoErrorCode;

  constructor(code: CryptoErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, {}, { cause: options.cause });
  }
}

/**
 * Whether `error` is a CryptoError, optionally with the given code.
 *
 * @example
 * if (isCryptoError(error, "INVALID_PUBLIC_KEY")) askForAnotherKey();
 */
export function isCryptoError(error: unknown, code?: CryptoErrorCode): error is CryptoError {
  return error instanceof CryptoError && (code === undefined || error.code === code);
}
