import { describe, expect, test } from "bun:test";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex, utf8 } from "./bytes";
import { keccak256 } from "./keccak";

/** The hot path's keccak-256 against noble's, on every length across several blocks (136 bytes). */
describe("keccak256", () => {
  test("known values", () => {
    expect(bytesToHex(keccak256(new Uint8Array(0)))).toBe(
      "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
    );
    expect(bytesToHex(keccak256(utf8("Transfer(address,address,uint256)")))).toBe(
      "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef",
    );
  });

  test("the same as noble on every length from 0 to 700 bytes, random contents", () => {
    for (let length = 0; length <= 700; length++) {
      for (let k = 0; k < 3; k++) {
        const input = crypto.getRandomValues(new Uint8Array(length));
        expect(bytesToHex(keccak256(input))).toBe(bytesToHex(keccak_256(input)));
      }
    }
  });

  test("a subarray hashes only its own bytes; results are fresh arrays", () => {
    const buffer = crypto.getRandomValues(new Uint8Array(300));
    const view = buffer.subarray(7, 207);
    const first = keccak256(view);
    expect(bytesToHex(first)).toBe(bytesToHex(keccak_256(view.slice())));
    const second = keccak256(new Uint8Array(64));
    expect(first).not.toBe(second);
    expect(bytesToHex(first)).toBe(bytesToHex(keccak_256(view.slice())));
  });

  test("all-ones bytes (every bit of the sign-carrying halves set)", () => {
    for (const length of [31, 32, 135, 136, 137, 271, 272, 273, 1000]) {
      const input = new Uint8Array(length).fill(0xff);
      expect(bytesToHex(keccak256(input))).toBe(bytesToHex(keccak_256(input)));
    }
  });
});
