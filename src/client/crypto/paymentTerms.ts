import { sha256 } from "@noble/hashes/sha2.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { concatBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { bytesToHex, hexToBytes, writeUint } from "../../protocol/bytes";
import { encodeWire } from "../../protocol/messaging";
import { recoverSigner, signDigestSync } from "../../protocol/signatures";
import { decryptWithPrivateKey, encryptToPublicKey } from "./ecies";
import { CryptoError } from "./errors";
import { parseHex } from "./hex";

/**
 * A routed payment's terms, as its payer means them (DESIGN §4.6, issue 11): what the payer
 * signs and encrypts to the payee, so that a payee claims only a mirror that pays what the
 * payer paid, and learns who paid and the application's note from the payer, not from the
 * node. The node carries the ciphertext without reading it and cannot forge it: it holds
 * neither the payee's key (to read it) nor the payer's (to sign other terms).
 *
 * Version 1, big-endian, fixed layout (262 bytes, 294 with the pre-image):
 *
 * | offset | bytes | field |
 * | ---: | ---: | --- |
 * | 0 | 1 | version (1) |
 * | 1 | 32 | paymentId |
 * | 33 | 20 | recipient (the payee) |
 * | 53 | 20 | sender (the payer, who signs) |
 * | 73 | 20 | assetId |
 * | 93 | 32 | amount (uint256) |
 * | 125 | 32 | lockHash |
 * | 157 | 8 | expiry: the payer's transfer's, unix seconds (uint64) |
 * | 165 | 32 | metaHash: keccak-256 of the application's meta as canonical JSON; zero: none |
 * | 197 | 65 | signature: r ‖ s ‖ v (27/28, low s) by `sender` over the 197 bytes above |
 * | 262 | 32 | preImage (a plain `transfer`; absent in a conditional one) |
 *
 * The signature is over `personal_sign`'s hash (EIP-191) of keccak-256("connext payment
 * terms" ‖ bytes 0..197): a payer's wallet can sign it as a message, and it can never be taken
 * for a channel state (EIP-712) or a withdrawal commitment. The pre-image sits outside the
 * signature: the signed lock hash binds it. Sealed with ECIES (`encryptToPublicKey`), the
 * ciphertext is 97 bytes more: 359, or 391 with the pre-image.
 */

export const PAYMENT_TERMS_VERSION = 1;
/** Bytes the signature covers. */
const SIGNED_BYTES = 197;
const SIGNATURE_BYTES = 65;
/** A conditional payment's terms: no pre-image. */
export const PAYMENT_TERMS_BYTES = SIGNED_BYTES + SIGNATURE_BYTES;
/** A plain payment's terms, with the pre-image. */
export const PAYMENT_TERMS_WITH_PRE_IMAGE_BYTES = PAYMENT_TERMS_BYTES + 32;
/** The longest sealed terms: ECIES adds 97 bytes (ephemeral key, nonce, tag). */
export const MAX_SEALED_PAYMENT_TERMS_BYTES = PAYMENT_TERMS_WITH_PRE_IMAGE_BYTES + 97;

export const NO_META_HASH = `0x${"00".repeat(32)}`;

const DOMAIN = utf8ToBytes("connext payment terms");
const PERSONAL_SIGN_PREFIX = utf8ToBytes("\x19Ethereum Signed Message:\n32");
const MAX_UINT256 = (1n << 256n) - 1n;

/** A payment's terms, as the payer signed them. */
export interface PaymentTerms {
  /** 32 bytes of lowercase 0x hex. */
  paymentId: string;
  /** The payee: lowercase 0x address. */
  recipient: string;
  /** The payer, whose key signed these terms: lowercase 0x address. */
  sender: string;
  /** Lowercase 0x address; 0x0…0 is the native coin. */
  assetId: string;
  amount: bigint;
  /** sha256 of the pre-image, lowercase 0x hex. */
  lockHash: string;
  /** The payer's transfer's expiry, unix seconds: a mirror may expire no later. */
  expiry: number;
  /** `paymentMetaHash` of the application's meta (`NO_META_HASH`: none). */
  metaHash: string;
  /** The pre-image (a plain `transfer`); absent when the payee's application holds it. */
  preImage?: string;
}

/** Who signs terms: the payer's address and key (the address is not derived again). */
export interface TermsSigner {
  address: string;
  privateKey: string;
}

/**
 * Signs `terms` as `signer` (the sender) and encrypts them to the payee's public key: one
 * signature and one ECIES per payment.
 *
 * @example
 * const sealed = sealPaymentTerms(terms, wallet, payee.publicKey); // meta.routing.encryptedTerms
 */
export function sealPaymentTerms(
  terms: Omit<PaymentTerms, "sender">,
  signer: TermsSigner,
  recipientPublicKey: string,
): string {
  return encryptToPublicKey(recipientPublicKey, encodePaymentTerms(terms, signer));
}

/**
 * Decrypts terms sealed to our key and checks them: version, size, the sender's signature
 * and the pre-image's lock hash. Throws DECRYPTION_FAILED (not ours, or tampered with),
 * INVALID_PAYMENT_TERMS (malformed) or WRONG_SIGNER (not signed by the sender they name).
 * Whether they match a transfer is the caller's to check.
 */
export function openPaymentTerms(ciphertext: string, privateKey: string): PaymentTerms {
  return decodePaymentTerms(decryptWithPrivateKey(privateKey, ciphertext));
}

/** The signed plaintext of `terms` (see the layout above). */
export function encodePaymentTerms(
  terms: Omit<PaymentTerms, "sender">,
  signer: TermsSigner,
): Uint8Array {
  const secret = parseHex(signer.privateKey);
  if (secret?.length !== 32) {
    throw new CryptoError("INVALID_PRIVATE_KEY", "expected a 32-byte hex secp256k1 private key");
  }
  const preImage = terms.preImage === undefined ? undefined : bytes(terms.preImage, 32, "preImage");
  const out = new Uint8Array(preImage ? PAYMENT_TERMS_WITH_PRE_IMAGE_BYTES : PAYMENT_TERMS_BYTES);
  out[0] = PAYMENT_TERMS_VERSION;
  out.set(bytes(terms.paymentId, 32, "paymentId"), 1);
  out.set(bytes(terms.recipient, 20, "recipient"), 33);
  out.set(bytes(signer.address, 20, "sender"), 53);
  out.set(bytes(terms.assetId, 20, "assetId"), 73);
  if (typeof terms.amount !== "bigint" || terms.amount < 0n || terms.amount > MAX_UINT256) {
    throw invalid("amount is not a uint256");
  }
  writeUint(terms.amount, out, 93);
  const lockHash = bytes(terms.lockHash, 32, "lockHash");
  out.set(lockHash, 125);
  if (!Number.isSafeInteger(terms.expiry) || terms.expiry < 0) {
    throw invalid("expiry is not a whole number of seconds");
  }
  new DataView(out.buffer).setBigUint64(157, BigInt(terms.expiry));
  out.set(bytes(terms.metaHash, 32, "metaHash"), 165);
  if (preImage) {
    if (!equalBytes(sha256(preImage), lockHash)) throw invalid("the pre-image is not the lock's");
    out.set(preImage, PAYMENT_TERMS_BYTES);
  }
  const signature = signDigestSync(signedDigest(out), secret);
  out.set(hexToBytes(signature), SIGNED_BYTES);
  return out;
}

/** Reads and checks the signed plaintext of terms; throws like `openPaymentTerms`. */
export function decodePaymentTerms(plaintext: Uint8Array): PaymentTerms {
  if (
    plaintext.length !== PAYMENT_TERMS_BYTES &&
    plaintext.length !== PAYMENT_TERMS_WITH_PRE_IMAGE_BYTES
  ) {
    throw invalid(
      `expected ${PAYMENT_TERMS_BYTES} or ${PAYMENT_TERMS_WITH_PRE_IMAGE_BYTES} bytes, got ${plaintext.length}`,
    );
  }
  if (plaintext[0] !== PAYMENT_TERMS_VERSION) {
    throw invalid(`version ${plaintext[0]} is not ${PAYMENT_TERMS_VERSION}`);
  }
  const expiry = new DataView(plaintext.buffer, plaintext.byteOffset).getBigUint64(157);
  if (expiry > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid("expiry beyond 2^53");
  const terms: PaymentTerms = {
    paymentId: bytesToHex(plaintext.subarray(1, 33)),
    recipient: bytesToHex(plaintext.subarray(33, 53)),
    sender: bytesToHex(plaintext.subarray(53, 73)),
    assetId: bytesToHex(plaintext.subarray(73, 93)),
    amount: BigInt(bytesToHex(plaintext.subarray(93, 125))),
    lockHash: bytesToHex(plaintext.subarray(125, 157)),
    expiry: Number(expiry),
    metaHash: bytesToHex(plaintext.subarray(165, SIGNED_BYTES)),
  };
  let signer: string;
  try {
    signer = recoverSigner(
      signedDigest(plaintext),
      bytesToHex(plaintext.subarray(SIGNED_BYTES, PAYMENT_TERMS_BYTES)),
    );
  } catch (cause) {
    throw new CryptoError("WRONG_SIGNER", "the terms' signature does not recover", { cause });
  }
  if (signer.toLowerCase() !== terms.sender) {
    throw new CryptoError("WRONG_SIGNER", `terms naming ${terms.sender} are signed by ${signer}`);
  }
  if (plaintext.length === PAYMENT_TERMS_WITH_PRE_IMAGE_BYTES) {
    const preImage = plaintext.subarray(PAYMENT_TERMS_BYTES);
    if (!equalBytes(sha256(preImage), plaintext.subarray(125, 157))) {
      throw invalid("the pre-image is not the lock's");
    }
    terms.preImage = bytesToHex(preImage);
  }
  return terms;
}

/**
 * What the terms bind the application's meta with: keccak-256 of it as canonical JSON (the
 * wire's JSON, bigints as decimal strings, object keys sorted at every level), so that any
 * re-encoding on the way (a database reordering keys) hashes the same. `NO_META_HASH` for
 * none.
 */
export function paymentMetaHash(meta: unknown): string {
  if (meta === undefined) return NO_META_HASH;
  const text = canonicalJson(JSON.parse(encodeWire(meta)));
  return bytesToHex(keccak_256(utf8ToBytes(text)));
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** personal_sign's hash of keccak-256(DOMAIN ‖ the signed bytes). */
function signedDigest(plaintext: Uint8Array): string {
  const inner = keccak_256(concatBytes(DOMAIN, plaintext.subarray(0, SIGNED_BYTES)));
  return bytesToHex(keccak_256(concatBytes(PERSONAL_SIGN_PREFIX, inner)));
}

function bytes(hex: unknown, length: number, field: string): Uint8Array {
  const parsed = typeof hex === "string" && hex.startsWith("0x") ? parseHex(hex) : undefined;
  if (parsed?.length !== length) throw invalid(`${field} is not ${length} bytes of 0x hex`);
  return parsed;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

function invalid(message: string): CryptoError {
  return new CryptoError("INVALID_PAYMENT_TERMS", message);
}
