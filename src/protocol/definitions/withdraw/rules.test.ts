import { describe, expect, test } from "bun:test";
import { AbiCoder, getAddress } from "ethers";
import fc from "fast-check";
import { isProtocolError } from "../../errors";
import type { Balance } from "../../types";
import { expectCode, highS, randomHex, randomKey, rawV } from "../testUtils";
import { type WithdrawState, withdraw } from "./rules";

const coder = AbiCoder.defaultAbiCoder();
const MAX = 2n ** 256n - 1n;
const NOW = 1_800_000_000;
const ZERO_ADDRESS = `0x${"0".repeat(40)}`;
const ZERO32 = `0x${"0".repeat(64)}`;
const word = (n: number) => n.toString(16).padStart(64, "0");

const alice = randomKey();
const bob = randomKey();
const data = randomHex(32);
const balance = (a: bigint, b = 0n): Balance => ({
  to: [alice.address, bob.address],
  amount: [a, b],
});
const state = (overrides: Partial<WithdrawState> = {}): WithdrawState => ({
  initiatorSignature: alice.sign(data),
  initiator: alice.address,
  responder: bob.address,
  data,
  nonce: 3n,
  fee: 1n,
  ...overrides,
});

const asTuple = (s: WithdrawState) => [
  s.initiatorSignature,
  s.initiator,
  s.responder,
  s.data,
  s.nonce,
  s.fee,
];

describe("withdraw encodings", () => {
  test("registry strings and cancel are the contract's: the cancel is 3 words 0x20, 0x20, 0", () => {
    expect(withdraw.name).toBe("Withdraw");
    expect(withdraw.stateEncoding).toBe(
      "tuple(bytes initiatorSignature, address initiator, address responder, bytes32 data, uint256 nonce, uint256 fee)",
    );
    expect(withdraw.resolverEncoding).toBe("tuple(bytes responderSignature)");
    expect(withdraw.encodedCancel).toBe(`0x${word(0x20)}${word(0x20)}${word(0)}`);
    expect(withdraw.decodeResolver(withdraw.encodedCancel)).toEqual({ responderSignature: "0x" });
  });

  test("state and resolver encode as ethers' AbiCoder does, for any bytes length, and decode back", () => {
    const arbHex = (min: number, max: number) =>
      fc
        .uint8Array({ minLength: min, maxLength: max })
        .map((b) => `0x${Buffer.from(b).toString("hex")}`);
    fc.assert(
      fc.property(
        arbHex(0, 130),
        arbHex(20, 20),
        arbHex(20, 20),
        arbHex(32, 32),
        fc.bigInt({ min: 0n, max: MAX }),
        fc.bigInt({ min: 0n, max: MAX }),
        arbHex(0, 130),
        (signature, initiator, responder, digest, nonce, fee, responderSignature) => {
          const s: WithdrawState = {
            initiatorSignature: signature,
            initiator: getAddress(initiator),
            responder: getAddress(responder),
            data: digest,
            nonce,
            fee,
          };
          const encoded = withdraw.encodeState(s);
          expect(encoded).toBe(coder.encode([withdraw.stateEncoding], [asTuple(s)]));
          expect(withdraw.decodeState(encoded)).toEqual(s);
          const r = { responderSignature };
          const encodedResolver = withdraw.encodeResolver(r);
          expect(encodedResolver).toBe(
            coder.encode([withdraw.resolverEncoding], [[responderSignature]]),
          );
          expect(withdraw.decodeResolver(encodedResolver)).toEqual(r);
        },
      ),
    );
  });

  test("decoding returns checksummed addresses and lowercase hex", () => {
    const s = state();
    const decoded = withdraw.decodeState(withdraw.encodeState(s).toUpperCase().replace("0X", "0x"));
    expect(decoded).toEqual(s);
  });

  const good = withdraw.encodeState(state());
  const body = good.slice(2);
  const replaceWord = (index: number, value: string) =>
    `0x${body.slice(0, index * 64)}${value}${body.slice((index + 1) * 64)}`;

  test.each([
    ["not hex", "0x12zz"],
    ["empty", "0x"],
    ["not whole words", `${good}00`],
    ["truncated head", `0x${body.slice(0, 7 * 64)}`],
    ["truncated data", `0x${body.slice(0, body.length - 64)}`],
    ["a trailing word", `${good}${word(0)}`],
    ["another outer offset", replaceWord(0, word(0x40))],
    ["another bytes offset", replaceWord(1, word(0xe0))],
    ["dirty address bits", replaceWord(2, `01${body.slice(2 * 64 + 2, 3 * 64)}`)],
    ["a length past the end", replaceWord(7, word(97))],
    ["a length short of the data", replaceWord(7, word(32))],
    ["a huge length", replaceWord(7, "f".repeat(64))],
    ["non-zero padding", `${good.slice(0, -2)}01`],
  ])("a malformed state (%s) is MALFORMED_MESSAGE", (_, encoded) => {
    expect(expectCode(() => withdraw.decodeState(encoded), "MALFORMED_MESSAGE")).toContain(
      "Withdraw state",
    );
  });

  test.each([
    ["two words", `0x${word(0x20)}${word(0x20)}`],
    ["another inner offset", `0x${word(0x20)}${word(0x40)}${word(0)}`],
    ["a trailing word", `${withdraw.encodedCancel}${word(0)}`],
    ["a length without data", `0x${word(0x20)}${word(0x20)}${word(1)}`],
  ])("a malformed resolver (%s) is MALFORMED_MESSAGE", (_, encoded) => {
    expectCode(() => withdraw.decodeResolver(encoded), "MALFORMED_MESSAGE");
  });

  test("random and mutated bytes either decode or are MALFORMED_MESSAGE, never a raw error", () => {
    const words = fc.array(
      fc.oneof(
        fc.constantFrom(word(0), word(0x20), word(0xc0), word(65), "f".repeat(64)),
        fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString("hex")),
      ),
      { maxLength: 12 },
    );
    fc.assert(
      fc.property(words, (list) => {
        // What decodes is a value that encodes and decodes back to itself.
        const codecs = [
          [withdraw.decodeState, withdraw.encodeState],
          [withdraw.decodeResolver, withdraw.encodeResolver],
        ] as [(hex: string) => unknown, (value: unknown) => string][];
        for (const [decode, encode] of codecs) {
          let decoded: unknown;
          try {
            decoded = decode(`0x${list.join("")}`);
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
    expectCode(() => withdraw.encodeState(state({ initiator: "0x12" })), "MALFORMED_MESSAGE");
    expectCode(
      () => withdraw.encodeState(state({ initiatorSignature: "0x1" })),
      "MALFORMED_MESSAGE",
    );
    expectCode(() => withdraw.encodeState(state({ fee: -1n })), "MALFORMED_MESSAGE");
    expectCode(() => withdraw.encodeResolver({ responderSignature: "zz" }), "MALFORMED_MESSAGE");
  });
});

describe("withdraw create", () => {
  test("accepts the initiator's signature on the commitment, with a fee up to the amount", () => {
    expect(() => withdraw.create(balance(10n), state({ fee: 0n }), NOW)).not.toThrow();
    expect(() => withdraw.create(balance(10n), state({ fee: 10n }), NOW)).not.toThrow();
    expect(() =>
      withdraw.createEncoded(balance(10n), withdraw.encodeState(state()), NOW),
    ).not.toThrow();
  });

  test("refuses a zero amount, a responder amount, or a fee above the amount", () => {
    expectCode(() => withdraw.create(balance(0n), state({ fee: 0n }), NOW), "TRANSFER_REJECTED");
    expectCode(() => withdraw.create(balance(10n, 1n), state(), NOW), "TRANSFER_REJECTED");
    expectCode(() => withdraw.create(balance(10n), state({ fee: 11n }), NOW), "TRANSFER_REJECTED");
  });

  test("refuses a zero party", () => {
    expectCode(
      () => withdraw.create(balance(10n), state({ initiator: ZERO_ADDRESS }), NOW),
      "TRANSFER_REJECTED",
    );
    expectCode(
      () => withdraw.create(balance(10n), state({ responder: ZERO_ADDRESS }), NOW),
      "TRANSFER_REJECTED",
    );
  });

  test("refuses a zero commitment digest", () => {
    const signature = alice.sign(ZERO32);
    expectCode(
      () =>
        withdraw.create(balance(10n), state({ data: ZERO32, initiatorSignature: signature }), NOW),
      "TRANSFER_REJECTED",
    );
  });

  test.each([
    ["the responder's", () => bob.sign(data)],
    ["another digest's", () => alice.sign(randomHex(32))],
    ["an empty", () => "0x"],
    ["a 64-byte", () => alice.sign(data).slice(0, 130)],
    ["a 66-byte", () => `${alice.sign(data)}00`],
    ["a high-s", () => highS(alice.sign(data))],
    ["a v 0/1", () => rawV(alice.sign(data))],
    ["a garbage", () => `${randomHex(64)}1b`],
    ["a zero", () => `0x${"0".repeat(128)}1b`],
  ])("refuses %s signature", (_, signature) => {
    const message = expectCode(
      () => withdraw.create(balance(10n), state({ initiatorSignature: signature() }), NOW),
      "TRANSFER_REJECTED",
    );
    expect(message).toContain("not signed by the initiator");
  });

  test("the high-s twin of a good signature recovers the same signer, so only the s rule refuses it", () => {
    const good = alice.sign(data);
    expect(highS(highS(good))).toBe(good);
  });

  test("malformed inputs are MALFORMED_MESSAGE", () => {
    expectCode(() => withdraw.create(balance(-1n), state(), NOW), "MALFORMED_MESSAGE");
    expectCode(
      () => withdraw.create(balance(1n), state({ nonce: MAX + 1n }), NOW),
      "MALFORMED_MESSAGE",
    );
    expectCode(
      () => withdraw.createEncoded(balance(1n), `0x${word(0x20)}`, NOW),
      "MALFORMED_MESSAGE",
    );
  });
});

describe("withdraw resolve", () => {
  test("the responder's signature leaves only the fee, to the responder", () => {
    const input = balance(10n);
    expect(
      withdraw.resolve(input, state({ fee: 2n }), { responderSignature: bob.sign(data) }, NOW),
    ).toEqual(balance(0n, 2n));
    expect(input).toEqual(balance(10n)); // not mutated
  });

  test("sets the responder's amount to the fee whatever the balance, as the contract does", () => {
    const signed = { responderSignature: bob.sign(data) };
    expect(withdraw.resolve(balance(1n, 5n), state({ fee: 9n }), signed, NOW)).toEqual(
      balance(0n, 9n),
    );
  });

  test("an empty signature cancels", () => {
    const input = balance(10n);
    const result = withdraw.resolve(input, state(), withdraw.cancelResolver(), NOW);
    expect(result).toEqual(input);
    expect(result).not.toBe(input);
    const encoded = withdraw.encodeState(state());
    expect(withdraw.resolveEncoded(input, encoded, withdraw.encodedCancel, NOW)).toEqual(input);
  });

  test.each([
    ["the initiator's", () => alice.sign(data)],
    ["a high-s", () => highS(bob.sign(data))],
    ["a 64-byte", () => bob.sign(data).slice(0, 130)],
    ["a v 0/1", () => rawV(bob.sign(data))],
    ["a garbage", () => `${randomHex(64)}1c`],
  ])("refuses %s signature", (_, signature) => {
    expectCode(
      () => withdraw.resolve(balance(10n), state(), { responderSignature: signature() }, NOW),
      "RESOLVE_REJECTED",
    );
  });

  test("resolveEncoded decodes both then applies the same rules", () => {
    const encoded = withdraw.encodeState(state());
    const resolver = withdraw.encodeResolver({ responderSignature: bob.sign(data) });
    expect(withdraw.resolveEncoded(balance(10n), encoded, resolver, NOW)).toEqual(balance(0n, 1n));
    expectCode(
      () => withdraw.resolveEncoded(balance(10n), encoded, `${resolver}00`, NOW),
      "MALFORMED_MESSAGE",
    );
  });
});
