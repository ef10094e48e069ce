import { bytesToHex, randomBytes } from "@noble/hashes/utils.js";
import { hashlockLockHash } from "../../protocol";
import { CryptoError } from "./errors";

/**
 * A fresh 32-byte pre-image for a hashlock transfer, from the platform's secure random source.
 *
 * @example
 * const preImage = randomPreImage(); // "0x…" (64 hex digits)
 */
export function randomPreImage(): string {
  return `0x${bytesToHex(randomBytes(32))}`;
}

/**
 * The lock hash of a pre-image, exactly as HashlockTransfer checks it (sha256 of the 32
 * bytes): the protocol's own definition, so client and contract cannot drift apart.
 *
 * @example
 * const state = { lockHash: lockHashOf(preImage), expiry };
 */
export function lockHashOf(preImage: string): string {
  if (typeof preImage !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(preImage)) {
    throw new CryptoError("INVALID_PRE_IMAGE", "expected a pre-image of 32 bytes of 0x hex");
  }
  return hashlockLockHash(preImage.toLowerCase());
}
