import { gcm } from "@noble/ciphers/aes.js";
import { randomBytes } from "@noble/ciphers/utils.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex, concatBytes } from "@noble/hashes/utils.js";
import { secp256k1Backend } from "../../protocol/secp256k1";
import { CryptoError } from "./errors";
import { parseHex } from "./hex";

/**
 * ECIES on secp256k1: how a payer hands the payee a transfer's pre-image through the node
 * without the node reading it (DESIGN §4.6). It is eciesjs's scheme and payload, byte for byte
 * — ephemeral uncompressed key (65 bytes) ‖ AES-256-GCM nonce (16) ‖ tag (16) ‖ ciphertext,
 * the key HKDF-SHA256(ephemeral key ‖ uncompressed shared point) — computed with the
 * protocol's secp256k1 backend (noble, or native libsecp256k1 where the shell installed it)
 * and noble's HKDF and AES-GCM. Why not eciesjs itself: it carries an older noble and
 * converts every key with extra point multiplications, about 5.5 ms per operation here against
 * 1 ms; the tests check both directions against eciesjs.
 */

const EPHEMERAL_KEY_BYTES = 65;
const NONCE_BYTES = 16;
const TAG_BYTES = 16;
const MIN_CIPHERTEXT_BYTES = EPHEMERAL_KEY_BYTES + NONCE_BYTES + TAG_BYTES;

/**
 * Encrypts `plaintext` so that only the holder of `publicKeyHex`'s private key can read it.
 * The key is 33 bytes (compressed) or 65 (uncompressed), with or without 0x.
 *
 * @example
 * const ciphertext = encryptToPublicKey(wallet.signingKey.publicKey, hexToBytes(preImage));
 */
export function encryptToPublicKey(publicKeyHex: string, plaintext: Uint8Array): string {
  const publicKey = parsePublicKey(publicKeyHex);
  if (!publicKey) {
    throw new CryptoError(
      "INVALID_PUBLIC_KEY",
      "expected a 33- or 65-byte hex secp256k1 public key on the curve",
    );
  }
  // The protocol's secp256k1 backend: native libsecp256k1 when the shell installed it.
  const curve = secp256k1Backend();
  const ephemeralSecret = secp256k1.utils.randomSecretKey();
  const ephemeralKey = curve.publicKey(ephemeralSecret);
  const key = sharedKey(ephemeralKey, curve.multiply(publicKey, ephemeralSecret));
  const nonce = randomBytes(NONCE_BYTES);
  const sealed = gcm(key, nonce).encrypt(plaintext);
  // noble gives ciphertext ‖ tag; the payload carries the tag first.
  const body = sealed.subarray(0, sealed.length - TAG_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  return `0x${bytesToHex(concatBytes(ephemeralKey, nonce, tag, body))}`;
}

/**
 * Decrypts what `encryptToPublicKey` made for this key. Throws DECRYPTION_FAILED for a
 * payload for another key, a tampered one, or anything that is not one.
 */
export function decryptWithPrivateKey(privateKeyHex: string, ciphertextHex: string): Uint8Array {
  const secret = parseHex(privateKeyHex);
  if (secret?.length !== 32 || !secp256k1.utils.isValidSecretKey(secret)) {
    throw new CryptoError("INVALID_PRIVATE_KEY", "expected a 32-byte hex secp256k1 private key");
  }
  const payload = parseHex(ciphertextHex);
  if (!payload || payload.length < MIN_CIPHERTEXT_BYTES) {
    throw new CryptoError(
      "DECRYPTION_FAILED",
      `expected hex of at least ${MIN_CIPHERTEXT_BYTES} bytes of ECIES payload`,
    );
  }
  const ephemeralKey = payload.subarray(0, EPHEMERAL_KEY_BYTES);
  const nonce = payload.slice(EPHEMERAL_KEY_BYTES, EPHEMERAL_KEY_BYTES + NONCE_BYTES);
  const tag = payload.subarray(EPHEMERAL_KEY_BYTES + NONCE_BYTES, MIN_CIPHERTEXT_BYTES);
  const body = payload.subarray(MIN_CIPHERTEXT_BYTES);
  try {
    const key = sharedKey(ephemeralKey, secp256k1Backend().multiply(ephemeralKey, secret));
    return gcm(key, nonce).decrypt(concatBytes(body, tag));
  } catch (cause) {
    throw new CryptoError(
      "DECRYPTION_FAILED",
      "the ciphertext does not decrypt with this key: tampered, or for another key",
      { cause },
    );
  }
}

/** eciesjs's key derivation: HKDF-SHA256 over both points, no salt or info, 32 bytes. */
function sharedKey(ephemeralKey: Uint8Array, sharedPoint: Uint8Array): Uint8Array {
  return hkdf(sha256, concatBytes(ephemeralKey, sharedPoint), undefined, undefined, 32);
}

/**
 * Whether `publicKeyHex` (compressed or uncompressed) is the key of Ethereum `address`: the
 * last 20 bytes of keccak256 over the uncompressed key without its 0x04 prefix. A malformed
 * key or address matches nothing.
 *
 * @example
 * if (!publicKeyMatchesAddress(published.publicKey, recipient)) throw new Error("wrong key");
 */
export function publicKeyMatchesAddress(publicKeyHex: string, address: string): boolean {
  const publicKey = parsePublicKey(publicKeyHex);
  if (!publicKey || typeof address !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(address)) {
    return false;
  }
  const derived = bytesToHex(keccak_256(publicKey.subarray(1)).subarray(12));
  return derived === address.slice(2).toLowerCase();
}

/** The uncompressed 65-byte form of a valid public key, or undefined. */
function parsePublicKey(publicKeyHex: string): Uint8Array | undefined {
  const bytes = parseHex(publicKeyHex);
  if (!bytes || (bytes.length !== 33 && bytes.length !== 65)) return undefined;
  try {
    return secp256k1Backend().parsePublicKey(bytes);
  } catch {
    return undefined;
  }
}
