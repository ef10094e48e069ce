import { secp256k1 } from "@noble/curves/secp256k1.js";
import { bytesToHex, hexToBytes } from "../bytes";
import { publicKeyToAddress, signDigestSync } from "../signatures";
import type { Address, Bytes32, HexString } from "../types";

/** Shared by the definitions' tests only. */

export { expectCode } from "../testing/expectations";

export function randomHex(bytes: number): HexString {
  return bytesToHex(crypto.getRandomValues(new Uint8Array(bytes)));
}

export interface TestKey {
  address: Address;
  sign(digest: Bytes32): HexString;
}

export function randomKey(): TestKey {
  const secret = secp256k1.utils.randomSecretKey();
  return {
    address: publicKeyToAddress(secp256k1.getPublicKey(secret, false)),
    sign: (digest) => signDigestSync(digest, secret),
  };
}

const N = secp256k1.Point.CURVE().n;

/** The same signature with s' = n - s and v flipped: valid for ecrecover, refused by OZ. */
export function highS(signature: HexString): HexString {
  const bytes = hexToBytes(signature);
  const s = BigInt(bytesToHex(bytes.subarray(32, 64)));
  bytes.set(hexToBytes(`0x${(N - s).toString(16).padStart(64, "0")}`), 32);
  bytes[64] = (bytes[64] as number) === 27 ? 28 : 27;
  return bytesToHex(bytes);
}

/** The same signature with v as 0/1 instead of 27/28. */
export function rawV(signature: HexString): HexString {
  const bytes = hexToBytes(signature);
  bytes[64] = (bytes[64] as number) - 27;
  return bytesToHex(bytes);
}
