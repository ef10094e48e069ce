import { secp256k1 } from "@noble/curves/secp256k1.js";
import { bytesToHex, hexToBytes, isHex, keccak256 } from "./bytes";
import { ProtocolError } from "./errors";
import { secp256k1Backend } from "./secp256k1";
import type { Address, Bytes32, HexString } from "./types";

/**
 * Signing and recovery of 32-byte EIP-712 digests as 65-byte `r ‖ s ‖ v` signatures, the
 * form OpenZeppelin's ECDSA accepts on-chain (v 27/28, low s).
 */

/** Who signs for a party. A wallet, a hardware key or a private key in memory. */
export interface ChannelSigner {
  readonly address: Address;
  /** Signs an EIP-712 digest as is (no message prefix). */
  signDigest(digest: Bytes32): Promise<HexString>;
}

const HALF_N = secp256k1.Point.CURVE().n / 2n;

/** A signer over a private key held in memory (secp256k1 by the installed backend, secp256k1.ts). */
export function privateKeySigner(privateKey: HexString): ChannelSigner {
  const secret = hexToBytes(privateKey);
  if (secret.length !== 32 || !secp256k1.utils.isValidSecretKey(secret)) {
    throw new ProtocolError("MALFORMED_MESSAGE", "a private key is 32 bytes in the curve's range");
  }
  const address = publicKeyToAddress(secp256k1.getPublicKey(secret, false));
  return {
    address,
    signDigest: async (digest) => signDigestSync(digest, secret),
  };
}

/** Signs synchronously; for signers that hold the key in memory. */
export function signDigestSync(digest: Bytes32, secret: Uint8Array): HexString {
  return bytesToHex(secp256k1Backend().sign(digestBytes(digest), secret));
}

/**
 * The address that signed `digest`, or an INVALID_SIGNATURE error for a signature the
 * channel contract would refuse (wrong length, v not 27/28, high s, not on the curve).
 */
export function recoverSigner(digest: Bytes32, signature: HexString): Address {
  if (!isHex(signature, 65)) {
    const got = String(signature as unknown).length;
    throw new ProtocolError(
      "INVALID_SIGNATURE",
      `expected a 65-byte 0x hex signature, got ${got} characters`,
    );
  }
  const bytes = hexToBytes(signature);
  const v = bytes[64] as number;
  if (v !== 27 && v !== 28)
    throw new ProtocolError("INVALID_SIGNATURE", `expected v 27 or 28, got ${v}`);
  const s = BigInt(bytesToHex(bytes.subarray(32, 64)));
  if (s > HALF_N) throw new ProtocolError("INVALID_SIGNATURE", "signature is malleable (high s)");
  try {
    return publicKeyToAddress(secp256k1Backend().recover(digestBytes(digest), bytes));
  } catch (cause) {
    throw new ProtocolError(
      "INVALID_SIGNATURE",
      `signature does not recover: ${(cause as Error).message}`,
    );
  }
}

/** Throws WRONG_SIGNER unless `signature` over `digest` is `expected`'s. */
export function assertSigner(
  digest: Bytes32,
  signature: HexString,
  expected: Address,
  role: string,
): void {
  const signer = recoverSigner(digest, signature);
  if (signer.toLowerCase() !== expected.toLowerCase()) {
    throw new ProtocolError("WRONG_SIGNER", `expected ${role} ${expected} to sign, got ${signer}`, {
      expected,
      signer,
    });
  }
}

function digestBytes(digest: Bytes32): Uint8Array {
  if (!isHex(digest, 32)) throw new ProtocolError("INVALID_HEX", "a digest is 32 bytes of 0x hex");
  return hexToBytes(digest);
}

/** Checksummed (EIP-55) address of an uncompressed public key. */
export function publicKeyToAddress(uncompressed: Uint8Array): Address {
  return toChecksumAddress(bytesToHex(keccak256(uncompressed.subarray(1)).subarray(12)));
}

/**
 * Checksums computed so far, by lowercase address: a node sees the same few thousand
 * addresses in every message, and each checksum is a keccak. Bounded; cleared when full.
 */
const CHECKSUMS = new Map<string, Address>();
const MAX_CHECKSUMS = 100_000;

/** EIP-55 checksum of a 0x address in any case. */
export function toChecksumAddress(address: string): Address {
  if (!isHex(address, 20))
    throw new ProtocolError("INVALID_ADDRESS", `"${address}" is not an address`);
  const lower = address.slice(2).toLowerCase();
  const known = CHECKSUMS.get(lower);
  if (known !== undefined) return known;
  const checksummed = checksum(lower);
  if (CHECKSUMS.size >= MAX_CHECKSUMS) CHECKSUMS.clear();
  CHECKSUMS.set(lower, checksummed);
  return checksummed;
}

function checksum(lower: string): Address {
  const hash = keccak256(new TextEncoder().encode(lower));
  let out = "0x";
  for (let i = 0; i < 40; i++) {
    const nibble = ((hash[i >> 1] as number) >> (i % 2 === 0 ? 4 : 0)) & 0xf;
    out += nibble >= 8 ? (lower[i] as string).toUpperCase() : lower[i];
  }
  return out;
}
