import { ProtocolError } from "./errors";
import { keccak256 } from "./keccak";

/**
 * Hex and 32-byte word helpers for the hot path: table lookups instead of generic ABI
 * coders, so a channel state hashes in microseconds.
 */

const BYTE_TO_HEX: string[] = Array.from({ length: 256 }, (_, i) =>
  i.toString(16).padStart(2, "0"),
);
const NIBBLE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i;
for (let i = 0; i < 6; i++) {
  NIBBLE[65 + i] = 10 + i;
  NIBBLE[97 + i] = 10 + i;
}

export function bytesToHex(bytes: Uint8Array): string {
  let out = "0x";
  for (let i = 0; i < bytes.length; i++) out += BYTE_TO_HEX[bytes[i] as number];
  return out;
}

/** Whether `value` is 0x-prefixed hex of `bytes` bytes (any length when absent). */
export function isHex(value: unknown, bytes?: number): value is string {
  if (typeof value !== "string" || value.length % 2 !== 0 || !value.startsWith("0x")) return false;
  if (bytes !== undefined && value.length !== 2 + 2 * bytes) return false;
  for (let i = 2; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code >= 128 || NIBBLE[code] === -1) return false;
  }
  return true;
}

/**
 * Writes the bytes of 0x-hex `hex` into `out`, right-aligned so they end at `end`.
 * Throws INVALID_HEX for a character that is not hex or a value longer than `maxBytes`.
 */
export function writeHex(hex: string, out: Uint8Array, end: number, maxBytes = 32): void {
  const digits = hex.length - 2;
  if (!hex.startsWith("0x") || digits > maxBytes * 2) {
    throw new ProtocolError(
      "INVALID_HEX",
      `expected at most ${maxBytes} bytes of 0x hex, got "${hex.slice(0, 80)}"`,
    );
  }
  let at = end - 1;
  let i = hex.length - 1;
  for (; i >= 3; i -= 2, at--) {
    out[at] = (nibble(hex, i - 1) << 4) | nibble(hex, i);
  }
  if (i === 2) out[at] = nibble(hex, 2); // odd number of digits
}

function nibble(hex: string, index: number): number {
  const code = hex.charCodeAt(index);
  const value = code < 128 ? (NIBBLE[code] as number) : -1;
  if (value === -1) throw new ProtocolError("INVALID_HEX", `"${hex.slice(0, 80)}" is not hex`);
  return value;
}

export function hexToBytes(hex: string): Uint8Array {
  if (!isHex(hex))
    throw new ProtocolError("INVALID_HEX", `"${String(hex).slice(0, 80)}" is not 0x hex`);
  const out = new Uint8Array((hex.length - 2) / 2);
  writeHex(hex, out, out.length, out.length);
  return out;
}

/** Writes an unsigned 256-bit integer as a big-endian word at `offset`. */
export function writeUint(value: bigint | number, out: Uint8Array, offset: number): void {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new ProtocolError(
        "MALFORMED_MESSAGE",
        `expected a non-negative safe integer, got ${value}`,
      );
    }
    // Numbers below 2^53 fit in the last 7 bytes.
    for (let i = offset + 31; value > 0; i--) {
      out[i] = value % 256;
      value = Math.floor(value / 256);
    }
    return;
  }
  if (value < 0n || value >= 2n ** 256n) {
    throw new ProtocolError("MALFORMED_MESSAGE", `expected a uint256, got ${value}`);
  }
  if (value === 0n) return;
  const hex = value.toString(16);
  writeHex(hex.length % 2 === 0 ? `0x${hex}` : `0x0${hex}`, out, offset + 32);
}

/** Writes a 20-byte address right-aligned in the word at `offset`. */
export function writeAddress(address: string, out: Uint8Array, offset: number): void {
  if (address.length !== 42)
    throw new ProtocolError("INVALID_ADDRESS", `"${address}" is not an address`);
  writeHex(address, out, offset + 32, 20);
}

/** Writes a 32-byte hash into the word at `offset`. */
export function writeBytes32(hash: string, out: Uint8Array, offset: number): void {
  if (hash.length !== 66)
    throw new ProtocolError("INVALID_HEX", `"${hash}" is not 32 bytes of hex`);
  writeHex(hash, out, offset + 32, 32);
}

/** keccak-256 of short inputs without allocation (keccak.ts): 3× noble's on the hot path. */
export { keccak256 };

export function keccakHex(bytes: Uint8Array): string {
  return bytesToHex(keccak256(bytes));
}

export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
