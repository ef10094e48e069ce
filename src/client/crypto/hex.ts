import { hexToBytes } from "@noble/hashes/utils.js";

/** Bytes of a hex string with or without 0x, or undefined if it is not whole-byte hex. */
export function parseHex(hex: unknown): Uint8Array | undefined {
  if (typeof hex !== "string") return undefined;
  const digits = hex.startsWith("0x") || hex.startsWith("0X") ? hex.slice(2) : hex;
  if (digits.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(digits)) return undefined;
  return hexToBytes(digits);
}
