import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { AbiCoder } from "ethers";
import fc from "fast-check";
import { isProtocolError } from "../../errors";
import type { Balance } from "../../types";
import { expectCode, randomHex } from "../testUtils";
import { type HashlockState, hashlock, hashlockLockHash } from "./rules";

const coder = AbiCoder.defaultAbiCoder();
const MAX = 2n ** 256n - 1n;
const NOW = 1_800_000_000;
const ZERO32 = `0x${"0".repeat(64)}`;
const payer = "0x1111111111111111111111111111111111111111";
const node = "0x2222222222222222222222222222222222222222";
const balance = (a: bigint, b = 0n): Balance => ({ to: [payer, node], amount: [a, b] });

const preImage = `0x${"ab".repeat(32)}`;
const lockHash = hashlockLockHash(preImage);
const state = (expiry = 0n): HashlockState => ({ lockHash, expiry });

const arbBytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b));
const arbUint = fc.bigInt({ min: 0n, max: MAX });

describe("hashlock encodings", () => {
  test("registry strings and cancel are the contract's", () => {
    expect(hashlock.name).toBe("HashlockTransfer");
    expect(hashlock.stateEncoding).toBe("tuple(bytes32 lockHash, uint256 expiry)");
    expect(hashlock.resolverEncoding).toBe("tuple(bytes32 preImage)");
    expect(hashlock.encodedCancel).toBe(ZERO32);
  });

  test("the lock hash is sha256 of the pre-image's 32 bytes", () => {
    const bytes = Buffer.from(preImage.slice(2), "hex");
    expect(lockHash).toBe(`0x${createHash("sha256").update(bytes).digest("hex")}`);
  });

  test("state and resolver encode as ethers' AbiCoder does, and decode back", () => {
    fc.assert(
      fc.property(arbBytes32, arbUint, arbBytes32, (hash, expiry, image) => {
        const s = { lockHash: `0x${hash.toString("hex")}`, expiry };
        const encoded = hashlock.encodeState(s);
        expect(encoded).toBe(coder.encode([hashlock.stateEncoding], [[s.lockHash, expiry]]));
        expect(hashlock.decodeState(encoded)).toEqual(s);
        const r = { preImage: `0x${image.toString("hex")}` };
        const encodedResolver = hashlock.encodeResolver(r);
        expect(encodedResolver).toBe(coder.encode([hashlock.resolverEncoding], [[r.preImage]]));
        expect(hashlock.decodeResolver(encodedResolver)).toEqual(r);
      }),
    );
  });

  test("decoding lowercases hex", () => {
    const upper = `0x${"AB".repeat(32)}${"0".repeat(63)}1`;
    expect(hashlock.decodeState(upper)).toEqual({ lockHash: preImage, expiry: 1n });
  });

  test.each([
    ["not hex", "0xzz"],
    ["no 0x", "ab".repeat(64)],
    ["odd digits", `0x${"0".repeat(127)}`],
    ["truncated", `0x${"0".repeat(126)}`],
    ["one word", `0x${"0".repeat(64)}`],
    ["oversized", `0x${"0".repeat(192)}`],
    ["empty", "0x"],
  ])("a malformed state (%s) is MALFORMED_MESSAGE", (_, encoded) => {
    expect(expectCode(() => hashlock.decodeState(encoded), "MALFORMED_MESSAGE")).toContain(
      "HashlockTransfer state",
    );
  });

  test("a malformed resolver is MALFORMED_MESSAGE", () => {
    for (const bad of ["0x", `0x${"0".repeat(62)}`, `0x${"0".repeat(128)}`, 42]) {
      expectCode(() => hashlock.decodeResolver(bad as string), "MALFORMED_MESSAGE");
    }
  });

  test("random bytes either decode or are MALFORMED_MESSAGE, never a raw error", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const hex = `0x${Buffer.from(bytes).toString("hex")}`;
        // What decodes is a value that encodes and decodes back to itself.
        const codecs = [
          [hashlock.decodeState, hashlock.encodeState],
          [hashlock.decodeResolver, hashlock.encodeResolver],
        ] as [(hex: string) => unknown, (value: unknown) => string][];
        for (const [decode, encode] of codecs) {
          let decoded: unknown;
          try {
            decoded = decode(hex);
          } catch (error) {
            expect(isProtocolError(error, "MALFORMED_MESSAGE")).toBe(true);
            continue;
          }
          expect(decode(encode(decoded))).toEqual(decoded);
        }
      }),
    );
  });

  test("malformed typed values are MALFORMED_MESSAGE", () => {
    expectCode(() => hashlock.encodeState({ lockHash: "0x12", expiry: 0n }), "MALFORMED_MESSAGE");
    expectCode(() => hashlock.encodeState({ lockHash, expiry: -1n }), "MALFORMED_MESSAGE");
    expectCode(() => hashlock.encodeState({ lockHash, expiry: MAX + 1n }), "MALFORMED_MESSAGE");
    expectCode(() => hashlock.encodeResolver({ preImage: "0x" }), "MALFORMED_MESSAGE");
    expectCode(() => hashlockLockHash("0x1234"), "MALFORMED_MESSAGE");
  });
});

describe("hashlock create", () => {
  test("accepts a positive amount to a responder holding nothing, without or before expiry", () => {
    expect(() => hashlock.create(balance(1n), state(), NOW)).not.toThrow();
    expect(() => hashlock.create(balance(MAX), state(BigInt(NOW + 1)), NOW)).not.toThrow();
    expect(() => hashlock.create(balance(5n), state(MAX), NOW)).not.toThrow();
  });

  test("refuses a zero initiator amount or a non-zero responder amount", () => {
    expectCode(() => hashlock.create(balance(0n), state(), NOW), "TRANSFER_REJECTED");
    expectCode(() => hashlock.create(balance(1n, 1n), state(), NOW), "TRANSFER_REJECTED");
    expectCode(() => hashlock.create(balance(0n, 1n), state(), NOW), "TRANSFER_REJECTED");
  });

  test("refuses a zero lock hash", () => {
    const message = expectCode(
      () => hashlock.create(balance(1n), { lockHash: ZERO32, expiry: 0n }, NOW),
      "TRANSFER_REJECTED",
    );
    expect(message).toContain("lock hash is zero");
  });

  test("refuses an expiry at or before now", () => {
    expectCode(() => hashlock.create(balance(1n), state(BigInt(NOW)), NOW), "TRANSFER_REJECTED");
    expectCode(() => hashlock.create(balance(1n), state(1n), NOW), "TRANSFER_REJECTED");
  });

  test("malformed balance, state or now are MALFORMED_MESSAGE, not a rejection", () => {
    expectCode(() => hashlock.create(balance(-1n), state(), NOW), "MALFORMED_MESSAGE");
    expectCode(() => hashlock.create(balance(MAX + 1n), state(), NOW), "MALFORMED_MESSAGE");
    expectCode(
      () => hashlock.create({ to: [payer, "0x12"], amount: [1n, 0n] }, state(), NOW),
      "MALFORMED_MESSAGE",
    );
    expectCode(
      () => hashlock.create(balance(1n), { lockHash: "0xzz", expiry: 0n }, NOW),
      "MALFORMED_MESSAGE",
    );
    expectCode(() => hashlock.create(balance(1n), state(), -1), "MALFORMED_MESSAGE");
    expectCode(() => hashlock.create(balance(1n), state(), 1.5), "MALFORMED_MESSAGE");
  });

  test("createEncoded decodes then applies the same rules", () => {
    expect(() =>
      hashlock.createEncoded(balance(1n), hashlock.encodeState(state()), NOW),
    ).not.toThrow();
    expectCode(
      () => hashlock.createEncoded(balance(1n), hashlock.encodeState(state(1n)), NOW),
      "TRANSFER_REJECTED",
    );
    expectCode(() => hashlock.createEncoded(balance(1n), "0x1234", NOW), "MALFORMED_MESSAGE");
  });
});

describe("hashlock resolve", () => {
  test("the right pre-image before expiry pays the responder", () => {
    const input = balance(7n);
    expect(hashlock.resolve(input, state(BigInt(NOW + 1)), { preImage }, NOW)).toEqual(
      balance(0n, 7n),
    );
    expect(input).toEqual(balance(7n)); // not mutated
  });

  test("adds to what the responder already holds, as the contract does", () => {
    expect(hashlock.resolve(balance(3n, 4n), state(), { preImage }, NOW)).toEqual(balance(0n, 7n));
  });

  test("a zero pre-image cancels, even after expiry", () => {
    const input = balance(7n);
    const result = hashlock.resolve(input, state(1n), hashlock.cancelResolver(), NOW);
    expect(result).toEqual(input);
    expect(result).not.toBe(input);
    expect(hashlock.resolveEncoded(input, hashlock.encodeState(state(1n)), ZERO32, NOW)).toEqual(
      input,
    );
  });

  test("refuses a wrong pre-image", () => {
    const message = expectCode(
      () => hashlock.resolve(balance(7n), state(), { preImage: randomHex(32) }, NOW),
      "RESOLVE_REJECTED",
    );
    expect(message).toContain("not the lock hash");
  });

  test("refuses the right pre-image at or after expiry", () => {
    for (const expiry of [BigInt(NOW), BigInt(NOW - 1), 1n]) {
      expectCode(
        () => hashlock.resolve(balance(7n), state(expiry), { preImage }, NOW),
        "RESOLVE_REJECTED",
      );
    }
  });

  test("refuses a resolve whose sum overflows uint256, as the contract panics", () => {
    expect(hashlock.resolve(balance(1n, MAX - 1n), state(), { preImage }, NOW)).toEqual(
      balance(0n, MAX),
    );
    expectCode(
      () => hashlock.resolve(balance(2n, MAX - 1n), state(), { preImage }, NOW),
      "RESOLVE_REJECTED",
    );
  });

  test("resolveEncoded decodes both then applies the same rules", () => {
    const s = hashlock.encodeState(state());
    expect(
      hashlock.resolveEncoded(balance(2n), s, hashlock.encodeResolver({ preImage }), NOW),
    ).toEqual(balance(0n, 2n));
    expectCode(() => hashlock.resolveEncoded(balance(2n), s, "0x", NOW), "MALFORMED_MESSAGE");
  });
});
