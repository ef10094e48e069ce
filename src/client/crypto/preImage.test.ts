import { describe, expect, test } from "bun:test";
import { sha256 } from "ethers";
import { hashlockLockHash } from "../../protocol";
import { CryptoError } from "./errors";
import { lockHashOf, randomPreImage } from "./preImage";

describe("pre-images", () => {
  test("randomPreImage is 32 fresh bytes of 0x hex", () => {
    const seen = new Set(Array.from({ length: 100 }, randomPreImage));
    expect(seen.size).toBe(100);
    for (const preImage of seen) expect(preImage).toMatch(/^0x[0-9a-f]{64}$/);
  });

  test("lockHashOf is sha256 of the 32 bytes, the protocol's hashlock lock", () => {
    const preImage = randomPreImage();
    expect(lockHashOf(preImage)).toBe(sha256(preImage));
    expect(lockHashOf(preImage)).toBe(hashlockLockHash(preImage));
    expect(lockHashOf(preImage.toUpperCase().replace("0X", "0x"))).toBe(sha256(preImage));
    // A known vector: sha256 of 32 zero bytes.
    expect(lockHashOf(`0x${"00".repeat(32)}`)).toBe(
      "0x66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925",
    );
  });

  test("lockHashOf refuses what is not 32 bytes of 0x hex", () => {
    for (const bad of [
      "",
      "0x",
      `0x${"00".repeat(31)}`,
      `${"00".repeat(32)}`,
      `0x${"zz".repeat(32)}`,
    ]) {
      expect(() => lockHashOf(bad)).toThrow(CryptoError);
    }
  });
});
