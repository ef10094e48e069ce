import { bytesToHex, randomBytes } from "@noble/hashes/utils.js";
import { AuthError } from "./errors";
import { macEquals, macHex } from "./mac";

/**
 * The sign-in nonce (the `Nonce:` of an EIP-4361 message): when it was issued, until when it
 * holds, a random part, and a MAC over those and the address it was issued for. Any process
 * with the node's key can check it later without having stored it. Lowercase hex only, since
 * EIP-4361 allows letters and digits and nothing else:
 *
 *   issued at (12 hex digits, unix ms) | expires at (12) | random (16) | MAC (32)
 */

const NONCE = /^([0-9a-f]{12})([0-9a-f]{12})[0-9a-f]{16}([0-9a-f]{32})$/;
/** 12 hex digits of milliseconds last until the year 10889. */
const MAX_TIME = 16 ** 12 - 1;

export interface NonceClaims {
  /** Checksummed; part of the MAC, not of the nonce. */
  address: string;
  /** Unix milliseconds. */
  issuedAt: number;
  /** Unix milliseconds. */
  expiresAt: number;
}

export function formatNonce(secret: Uint8Array, claims: NonceClaims): string {
  const body = `${time(claims.issuedAt)}${time(claims.expiresAt)}${bytesToHex(randomBytes(8))}`;
  return `${body}${macHex(secret, "nonce", `${claims.address}.${body}`)}`;
}

/**
 * The times of a nonce this secret issued for `address` (checksummed); INVALID_NONCE for
 * anything else, including a genuine nonce issued for another address. Expiry unchecked.
 */
export function parseNonce(secret: Uint8Array, nonce: string, address: string): NonceClaims {
  const match = NONCE.exec(nonce);
  if (match === null) throw new AuthError("INVALID_NONCE", "malformed nonce");
  const [, issuedAt, expiresAt, given] = match as unknown as [string, string, string, string];
  const body = nonce.slice(0, nonce.length - given.length);
  if (!macEquals(macHex(secret, "nonce", `${address}.${body}`), given)) {
    throw new AuthError("INVALID_NONCE", `not a nonce this node issued for ${address}`);
  }
  return {
    address,
    issuedAt: Number.parseInt(issuedAt, 16),
    expiresAt: Number.parseInt(expiresAt, 16),
  };
}

function time(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0 || ms > MAX_TIME) throw new RangeError(`bad time ${ms}`);
  return ms.toString(16).padStart(12, "0");
}
