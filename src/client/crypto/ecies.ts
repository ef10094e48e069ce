import { secp256k1 } from "@noble/curves/secp256k1.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { decrypt, encrypt } from "eciesjs";
import { Config } from "eciesjs/config";
import { CryptoError } from "./errors";
import { parseHex } from "./hex";

/**
 * ECIES on secp256k1 (eciesjs): how a payer hands the payee a transfer's pre-image through the
 * node without the node reading it (DESIGN §4.6). Payload: ephemeral uncompressed key (65
 * bytes) ‖ AES-256-GCM nonce (16) ‖ tag (16) ‖ ciphertext.
 */

// Our own frozen copy: eciesjs's global ECIES_CONFIG is mutable by anyone who imports it.
const CONFIG: Config = Object.freeze(new Config());
const MIN_CIPHERTEXT_BYTES = 65 + 16 + 16;

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
  return `0x${bytesToHex(encrypt(publicKey, plaintext, CONFIG))}`;
}

/**
 * Decrypts what `encryptToPublicKey` produced for this private key's public key. Anything
 * else (garbage, a tampered payload, another key's ciphertext) is DECRYPTION_FAILED.
 *
 * @example
 * const preImage = bytesToHex(decryptWithPrivateKey(wallet.privateKey, ciphertext));
 */
export function decryptWithPrivateKey(privateKeyHex: string, ciphertextHex: string): Uint8Array {
  const secret = parseHex(privateKeyHex);
  if (secret?.length !== 32 || !secp256k1.utils.isValidSecretKey(secret)) {
    throw new CryptoError("INVALID_PRIVATE_KEY", "expected a 32-byte hex secp256k1 private key");
  }
  const ciphertext = parseHex(ciphertextHex);
  if (!ciphertext || ciphertext.length < MIN_CIPHERTEXT_BYTES) {
    throw new CryptoError(
      "DECRYPTION_FAILED",
      `expected hex of at least ${MIN_CIPHERTEXT_BYTES} bytes of ECIES payload`,
    );
  }
  try {
    return decrypt(secret, ciphertext, CONFIG);
  } catch (cause) {
    throw new CryptoError(
      "DECRYPTION_FAILED",
      "the ciphertext does not decrypt with this key: tampered, or for another key",
      { cause },
    );
  }
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
    return secp256k1.Point.fromBytes(bytes).toBytes(false);
  } catch {
    return undefined;
  }
}
