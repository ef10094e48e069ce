import { hkdf } from "@noble/hashes/hkdf.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { AuthError } from "./errors";

/** Fixed HKDF label: a new one (v2) would invalidate every nonce and token in circulation. */
const SECRET_LABEL = utf8ToBytes("connext/node-auth/v1");
const MIN_SECRET_BYTES = 32;

/**
 * The auth secret of a node, derived from its signing key, so every process run with the same
 * key issues and accepts the same nonces and tokens without sharing any state.
 *
 * @example
 * const auth = createAuth({ secret: authSecretFromPrivateKey(settings.privateKey) });
 */
export function authSecretFromPrivateKey(privateKeyHex: string): Uint8Array {
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(privateKeyHex)) {
    throw new AuthError("INVALID_SECRET", "a private key is 32 bytes of hex");
  }
  const key = hexToBytes(privateKeyHex.replace(/^0x/, ""));
  return hkdf(sha256, key, undefined, SECRET_LABEL, 32);
}

export function assertSecret(secret: Uint8Array): void {
  if (!(secret instanceof Uint8Array) || secret.length < MIN_SECRET_BYTES) {
    throw new AuthError(
      "INVALID_SECRET",
      `the auth secret needs at least ${MIN_SECRET_BYTES} bytes`,
    );
  }
}

/** What a MAC authenticates; part of the MAC input so a nonce's MAC never passes as a token's. */
export type MacPurpose = "nonce" | "token";

/** HMAC-SHA256 of `message` for one purpose, base64url (43 characters). */
export function mac(secret: Uint8Array, purpose: MacPurpose, message: string): string {
  return Buffer.from(macBytes(secret, purpose, message)).toString("base64url");
}

/**
 * The first 16 bytes of the same MAC as lowercase hex (32 characters): an EIP-4361 nonce may
 * hold only letters and digits. 128 bits is the usual truncation of HMAC-SHA256.
 */
export function macHex(secret: Uint8Array, purpose: MacPurpose, message: string): string {
  return bytesToHex(macBytes(secret, purpose, message).subarray(0, 16));
}

function macBytes(secret: Uint8Array, purpose: MacPurpose, message: string): Uint8Array {
  const input = concatBytes(utf8ToBytes(purpose), new Uint8Array([0]), utf8ToBytes(message));
  return hmac(sha256, secret, input);
}

/** Compares two MACs in time independent of where they differ (no timing oracle). */
export function macEquals(expected: string, given: string): boolean {
  const a = utf8ToBytes(expected);
  const b = utf8ToBytes(given);
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}
