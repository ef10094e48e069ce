import { isHex, writeHex, writeUint } from "../bytes";
import { ProtocolError } from "../errors";
import { toChecksumAddress } from "../signatures";
import type { Address, Bytes32, HexString } from "../types";

/**
 * Readers of canonical ABI words straight off 0x hex, for decoders that accept exactly the
 * one encoding `abi.encode` produces. The contract's `abi.decode` is laxer (trailing bytes,
 * other offsets); a party that accepted those would sign states whose hash the other side
 * cannot reproduce from a re-encoding, so they are refused as malformed here.
 */

const WORD_DIGITS = 64;
const ZERO_PREFIX = "0".repeat(24);

function malformedEncoding(what: string, message: string): ProtocolError {
  return new ProtocolError("MALFORMED_MESSAGE", `${what}: ${message}`, { what });
}

/**
 * The hex digits (no 0x) of an encoding of whole words, checking it holds `minWords` at least
 * (exactly, when `exact`).
 */
export function encodedWords(
  encoded: unknown,
  what: string,
  minWords: number,
  exact = false,
): string {
  if (!isHex(encoded)) {
    const shown = typeof encoded === "string" ? `"${encoded.slice(0, 80)}"` : typeof encoded;
    throw malformedEncoding(what, `expected 0x hex, got ${shown}`);
  }
  const digits = encoded.length - 2;
  const bytes = digits / 2;
  if (digits % WORD_DIGITS !== 0 || digits < minWords * WORD_DIGITS) {
    const want = exact ? `${minWords * 32}` : `a multiple of 32 and at least ${minWords * 32}`;
    throw malformedEncoding(what, `expected ${want} bytes, got ${bytes}`);
  }
  if (exact && digits !== minWords * WORD_DIGITS) {
    throw malformedEncoding(what, `expected ${minWords * 32} bytes, got ${bytes}`);
  }
  return encoded.slice(2);
}

export function wordCount(body: string): number {
  return body.length / WORD_DIGITS;
}

function word(body: string, index: number): string {
  return body.slice(index * WORD_DIGITS, (index + 1) * WORD_DIGITS);
}

export function readUint(body: string, index: number): bigint {
  return BigInt(`0x${word(body, index)}`);
}

export function readBytes32(body: string, index: number): Bytes32 {
  return `0x${word(body, index).toLowerCase()}`;
}

/** A checksummed address; a word with dirty high bytes is refused, as `abi.decode` does. */
export function readAddress(body: string, index: number, what: string): Address {
  const digits = word(body, index);
  if (!digits.startsWith(ZERO_PREFIX)) {
    throw malformedEncoding(what, `word ${index} is not an address: 0x${digits}`);
  }
  return toChecksumAddress(`0x${digits.slice(24)}`);
}

/** Requires word `index` to equal `expected` (an offset of the canonical layout). */
export function expectWord(body: string, index: number, expected: bigint, what: string): void {
  const got = readUint(body, index);
  if (got !== expected) {
    throw malformedEncoding(what, `expected word ${index} to be ${expected}, got ${got}`);
  }
}

/**
 * The `bytes` whose length is word `lengthIndex`, which must be the encoding's last member:
 * its data fills the remaining words exactly, zero-padded.
 */
export function readTailBytes(body: string, lengthIndex: number, what: string): HexString {
  const length = readUint(body, lengthIndex);
  const room = BigInt((wordCount(body) - lengthIndex - 1) * 32);
  const padded = (length + 31n) & ~31n;
  if (padded !== room) {
    throw malformedEncoding(
      what,
      `bytes of length ${length} need ${padded} bytes of data, the encoding has ${room}`,
    );
  }
  const start = (lengthIndex + 1) * WORD_DIGITS;
  const end = start + Number(length) * 2;
  for (let i = end; i < body.length; i++) {
    if (body.charCodeAt(i) !== 48) throw malformedEncoding(what, "bytes padding is not zero");
  }
  return `0x${body.slice(start, end).toLowerCase()}`;
}

/**
 * The buffer of an encoding whose last member is `bytes`: `headWords` words, the last of them
 * the bytes' length, then the bytes zero-padded to whole words. The caller writes the head.
 */
export function wordsWithTail(headWords: number, bytes: HexString): Uint8Array {
  const length = (bytes.length - 2) / 2;
  const words = new Uint8Array(32 * (headWords + Math.ceil(length / 32)));
  writeUint(length, words, 32 * (headWords - 1));
  if (length > 0) writeHex(bytes, words, 32 * headWords + length, length);
  return words;
}
