import { describe, expect, test } from "bun:test";
import { AbiCoder, getAddress } from "ethers";
import fc from "fast-check";
import { isProtocolError } from "../../errors";
import type { Balance } from "../../types";
import { expectCode, highS, randomHex, randomKey, rawV } from "../testUtils";
import type { DefinitionDeployment } from "../types";
import { type ThreadResolver, type ThreadState, thread } from "./rules";
import { threadVoucherDigest } from "./voucher";

const coder = AbiCoder.defaultAbiCoder();
const MAX = 2n ** 256n - 1n;
const NOW = 1_800_000_000;
const ZERO_ADDRESS = `0x${"0".repeat(40)}`;
const ZERO32 = `0x${"0".repeat(64)}`;
const word = (n: number | bigint) => n.toString(16).padStart(64, "0");

const payer = randomKey();
const payee = randomKey();
const node = "0x2222222222222222222222222222222222222222";
const deployment: DefinitionDeployment = {
  chainId: 1337,
  definition: "0x00000000000000000000000000000000000000C3",
};
const threadId = randomHex(32);
const balance = (a: bigint, b = 0n): Balance => ({ to: [payer.address, node], amount: [a, b] });
const state = (overrides: Partial<ThreadState> = {}): ThreadState => ({
  payer: payer.address,
  payee: payee.address,
  threadId,
  amount: 10n,
  expiry: BigInt(NOW + 3600),
  ...overrides,
});
/** The payer's voucher for `amount` of the thread. */
const voucher = (amount: bigint, id = threadId, at = deployment): ThreadResolver => ({
  amount,
  signature: payer.sign(threadVoucherDigest({ threadId: id, amount }, at)),
});

const asTuple = (s: ThreadState) => [s.payer, s.payee, s.threadId, s.amount, s.expiry];
const arbHex = (min: number, max: number) =>
  fc
    .uint8Array({ minLength: min, maxLength: max })
    .map((b) => `0x${Buffer.from(b).toString("hex")}`);
const arbUint = fc.bigInt({ min: 0n, max: MAX });

describe("thread encodings", () => {
  test("registry strings and cancel are the contract's: the cancel is 4 words 0x20, 0, 0x40, 0", () => {
    expect(thread.name).toBe("ThreadTransfer");
    expect(thread.stateEncoding).toBe(
      "tuple(address payer, address payee, bytes32 threadId, uint256 amount, uint256 expiry)",
    );
    expect(thread.resolverEncoding).toBe("tuple(uint256 amount, bytes signature)");
    expect(thread.encodedCancel).toBe(`0x${word(0x20)}${word(0)}${word(0x40)}${word(0)}`);
    expect(thread.encodedCancel).toBe(coder.encode([thread.resolverEncoding], [[0n, "0x"]]));
    expect(thread.decodeResolver(thread.encodedCancel)).toEqual({ amount: 0n, signature: "0x" });
  });

  test("state and resolver encode as ethers' AbiCoder does, for any bytes length, and decode back", () => {
    fc.assert(
      fc.property(
        arbHex(20, 20),
        arbHex(20, 20),
        arbHex(32, 32),
        arbUint,
        arbUint,
        arbUint,
        arbHex(0, 130),
        (from, to, id, amount, expiry, paid, signature) => {
          const s: ThreadState = {
            payer: getAddress(from),
            payee: getAddress(to),
            threadId: id,
            amount,
            expiry,
          };
          const encoded = thread.encodeState(s);
          expect(encoded).toBe(coder.encode([thread.stateEncoding], [asTuple(s)]));
          expect(thread.decodeState(encoded)).toEqual(s);
          const r = { amount: paid, signature };
          const encodedResolver = thread.encodeResolver(r);
          expect(encodedResolver).toBe(
            coder.encode([thread.resolverEncoding], [[paid, signature]]),
          );
          expect(thread.decodeResolver(encodedResolver)).toEqual(r);
        },
      ),
    );
  });

  test("ethers' AbiCoder decodes our encodings to the same values", () => {
    const s = state();
    const [decoded] = coder.decode([thread.stateEncoding], thread.encodeState(s));
    expect([...decoded]).toEqual(asTuple(s));
    const r = voucher(4n);
    const [decodedResolver] = coder.decode([thread.resolverEncoding], thread.encodeResolver(r));
    expect([...decodedResolver]).toEqual([r.amount, r.signature]);
  });

  test("decoding checksums addresses and lowercases hex", () => {
    const s = state();
    const encoded = thread.encodeState({ ...s, payer: s.payer.toLowerCase() });
    expect(thread.decodeState(encoded.toUpperCase().replace("0X", "0x"))).toEqual({
      ...s,
      threadId: s.threadId.toLowerCase(),
    });
    const r = voucher(3n);
    const upper = thread.encodeResolver(r).toUpperCase().replace("0X", "0x");
    expect(thread.decodeResolver(upper)).toEqual(r);
  });

  const good = thread.encodeState(state());
  const body = good.slice(2);
  const replaceWord = (index: number, digits: string) =>
    `0x${body.slice(0, index * 64)}${digits}${body.slice((index + 1) * 64)}`;

  test.each([
    ["not hex", "0x12zz"],
    ["no 0x", body],
    ["empty", "0x"],
    ["odd digits", `${good}0`],
    ["not whole words", `${good}00`],
    ["four words", `0x${body.slice(0, 4 * 64)}`],
    ["a trailing word", `${good}${word(0)}`],
    ["dirty payer bits", replaceWord(0, `01${body.slice(2, 64)}`)],
    ["dirty payee bits", replaceWord(1, `${"f".repeat(24)}${body.slice(64 + 24, 128)}`)],
  ])("a malformed state (%s) is MALFORMED_MESSAGE", (_, encoded) => {
    expect(expectCode(() => thread.decodeState(encoded), "MALFORMED_MESSAGE")).toContain(
      "ThreadTransfer state",
    );
  });

  test("a state that is not a string is MALFORMED_MESSAGE", () => {
    expectCode(() => thread.decodeState(42 as unknown as string), "MALFORMED_MESSAGE");
    expectCode(() => thread.decodeResolver(undefined as unknown as string), "MALFORMED_MESSAGE");
  });

  const resolverBody = thread.encodeResolver(voucher(7n)).slice(2);
  const replaceResolverWord = (index: number, digits: string) =>
    `0x${resolverBody.slice(0, index * 64)}${digits}${resolverBody.slice((index + 1) * 64)}`;

  test.each([
    ["empty", "0x"],
    ["three words", `0x${word(0x20)}${word(0)}${word(0x40)}`],
    ["another outer offset", replaceResolverWord(0, word(0x40))],
    ["another bytes offset", replaceResolverWord(2, word(0x60))],
    ["a length past the end", replaceResolverWord(3, word(97))],
    ["a length short of the data", replaceResolverWord(3, word(32))],
    ["a huge length", replaceResolverWord(3, "f".repeat(64))],
    ["truncated data", `0x${resolverBody.slice(0, resolverBody.length - 64)}`],
    ["a trailing word", `0x${resolverBody}${word(0)}`],
    ["non-zero padding", `0x${resolverBody.slice(0, -2)}01`],
    ["a cancel with a trailing word", `${thread.encodedCancel}${word(0)}`],
    ["a length without data", `0x${word(0x20)}${word(0)}${word(0x40)}${word(1)}`],
  ])("a malformed resolver (%s) is MALFORMED_MESSAGE", (_, encoded) => {
    expect(expectCode(() => thread.decodeResolver(encoded), "MALFORMED_MESSAGE")).toContain(
      "ThreadTransfer resolver",
    );
  });

  test("random and mutated bytes either decode or are MALFORMED_MESSAGE, never a raw error", () => {
    const words = fc.array(
      fc.oneof(
        fc.constantFrom(word(0), word(0x20), word(0x40), word(65), "f".repeat(64)),
        fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString("hex")),
      ),
      { maxLength: 12 },
    );
    fc.assert(
      fc.property(words, (list) => {
        // What decodes is a value that encodes and decodes back to itself.
        const codecs = [
          [thread.decodeState, thread.encodeState],
          [thread.decodeResolver, thread.encodeResolver],
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
    expectCode(() => thread.encodeState(state({ payer: "0x12" })), "MALFORMED_MESSAGE");
    expectCode(() => thread.encodeState(state({ payee: "zz" })), "MALFORMED_MESSAGE");
    expectCode(() => thread.encodeState(state({ threadId: "0x12" })), "MALFORMED_MESSAGE");
    expectCode(() => thread.encodeState(state({ amount: -1n })), "MALFORMED_MESSAGE");
    expectCode(() => thread.encodeState(state({ expiry: MAX + 1n })), "MALFORMED_MESSAGE");
    expectCode(() => thread.encodeState(state({ amount: 1 as never })), "MALFORMED_MESSAGE");
    expectCode(() => thread.encodeResolver({ amount: 1n, signature: "0x1" }), "MALFORMED_MESSAGE");
    expectCode(() => thread.encodeResolver({ amount: -1n, signature: "0x" }), "MALFORMED_MESSAGE");
    expectCode(() => thread.encodeResolver(undefined as never), "MALFORMED_MESSAGE");
  });
});

describe("thread create", () => {
  test("accepts the initiator's whole amount as the state's, to a responder holding nothing, before expiry", () => {
    expect(() => thread.create(balance(10n), state(), NOW)).not.toThrow();
    expect(() =>
      thread.create(balance(1n), state({ amount: 1n, expiry: BigInt(NOW + 1) }), NOW),
    ).not.toThrow();
    expect(() =>
      thread.create(balance(MAX), state({ amount: MAX, expiry: MAX }), NOW),
    ).not.toThrow();
    expect(() =>
      thread.createEncoded(balance(10n), thread.encodeState(state()), NOW),
    ).not.toThrow();
  });

  test("refuses a zero initiator amount or a non-zero responder amount", () => {
    expectCode(() => thread.create(balance(0n), state({ amount: 0n }), NOW), "TRANSFER_REJECTED");
    expectCode(() => thread.create(balance(10n, 1n), state(), NOW), "TRANSFER_REJECTED");
    expectCode(
      () => thread.create(balance(0n, 10n), state({ amount: 0n }), NOW),
      "TRANSFER_REJECTED",
    );
  });

  test("refuses a state amount other than the locked amount", () => {
    for (const amount of [9n, 11n, 0n, MAX]) {
      const message = expectCode(
        () => thread.create(balance(10n), state({ amount }), NOW),
        "TRANSFER_REJECTED",
      );
      expect(message).toContain("not the locked amount");
    }
  });

  test("refuses a zero payer or payee, or a payer paying itself in any letter case", () => {
    for (const s of [
      state({ payer: ZERO_ADDRESS }),
      state({ payee: ZERO_ADDRESS }),
      state({ payer: ZERO_ADDRESS, payee: ZERO_ADDRESS }),
      state({ payee: payer.address }),
      state({ payee: payer.address.toLowerCase() }),
    ]) {
      expect(expectCode(() => thread.create(balance(10n), s, NOW), "TRANSFER_REJECTED")).toContain(
        "two non-zero addresses",
      );
    }
  });

  test("refuses a zero thread id", () => {
    const message = expectCode(
      () => thread.create(balance(10n), state({ threadId: ZERO32 }), NOW),
      "TRANSFER_REJECTED",
    );
    expect(message).toContain("thread id is zero");
  });

  test("refuses an expiry at or before now, and no expiry (0)", () => {
    for (const expiry of [BigInt(NOW), BigInt(NOW - 1), 1n, 0n]) {
      expectCode(() => thread.create(balance(10n), state({ expiry }), NOW), "TRANSFER_REJECTED");
    }
  });

  test("malformed balance, state or now are MALFORMED_MESSAGE, not a rejection", () => {
    expectCode(() => thread.create(balance(-1n), state(), NOW), "MALFORMED_MESSAGE");
    expectCode(() => thread.create(balance(MAX + 1n), state(), NOW), "MALFORMED_MESSAGE");
    expectCode(
      () => thread.create({ to: [payer.address, "0x12"], amount: [10n, 0n] }, state(), NOW),
      "MALFORMED_MESSAGE",
    );
    expectCode(
      () => thread.create(balance(10n), state({ threadId: "0xzz" }), NOW),
      "MALFORMED_MESSAGE",
    );
    expectCode(() => thread.create(balance(10n), state(), -1), "MALFORMED_MESSAGE");
    expectCode(() => thread.create(balance(10n), state(), 1.5), "MALFORMED_MESSAGE");
    expectCode(() => thread.createEncoded(balance(10n), "0x1234", NOW), "MALFORMED_MESSAGE");
  });
});

describe("thread resolve", () => {
  test("the payer's voucher before expiry pays the responder its amount, the rest back", () => {
    const input = balance(10n);
    expect(thread.resolve(input, state(), voucher(4n), NOW, deployment)).toEqual(balance(6n, 4n));
    expect(input).toEqual(balance(10n)); // not mutated
    expect(thread.resolve(balance(10n), state(), voucher(10n), NOW, deployment)).toEqual(
      balance(0n, 10n),
    );
  });

  test("pays at most the locked amount", () => {
    for (const amount of [11n, 1000n, MAX]) {
      expect(thread.resolve(balance(10n), state(), voucher(amount), NOW, deployment)).toEqual(
        balance(0n, 10n),
      );
    }
  });

  test("a signed voucher of 0 pays nothing", () => {
    expect(thread.resolve(balance(10n), state(), voucher(0n), NOW, deployment)).toEqual(
      balance(10n, 0n),
    );
  });

  test("adds to what the responder already holds, as the contract does", () => {
    expect(thread.resolve(balance(10n, 5n), state(), voucher(4n), NOW, deployment)).toEqual(
      balance(6n, 9n),
    );
  });

  test("an empty signature with amount 0 cancels, even after expiry and without a deployment", () => {
    const input = balance(10n, 2n);
    const result = thread.resolve(input, state({ expiry: 1n }), thread.cancelResolver(), NOW);
    expect(result).toEqual(input);
    expect(result).not.toBe(input);
    const encoded = thread.encodeState(state({ expiry: 0n }));
    expect(thread.resolveEncoded(input, encoded, thread.encodedCancel, NOW)).toEqual(input);
  });

  test("an empty signature with a non-zero amount is refused", () => {
    for (const amount of [1n, MAX]) {
      const message = expectCode(
        () => thread.resolve(balance(10n), state(), { amount, signature: "0x" }, NOW, deployment),
        "RESOLVE_REJECTED",
      );
      expect(message).toContain("must pay 0");
    }
  });

  test("refuses a voucher at or after expiry", () => {
    for (const expiry of [BigInt(NOW), BigInt(NOW - 1), 1n, 0n]) {
      const message = expectCode(
        () => thread.resolve(balance(10n), state({ expiry }), voucher(4n), NOW, deployment),
        "RESOLVE_REJECTED",
      );
      expect(message).toContain("expired");
    }
  });

  test("refuses a voucher without the deployment it is signed for, clearly", () => {
    const message = expectCode(
      () => thread.resolve(balance(10n), state(), voucher(4n), NOW),
      "RESOLVE_REJECTED",
    );
    expect(message).toContain("no deployment was given");
    expectCode(
      () =>
        thread.resolveEncoded(
          balance(10n),
          thread.encodeState(state()),
          thread.encodeResolver(voucher(4n)),
          NOW,
        ),
      "RESOLVE_REJECTED",
    );
  });

  test("the chain id is the same as a number or a bigint", () => {
    const at = { ...deployment, chainId: 1337n };
    expect(thread.resolve(balance(10n), state(), voucher(4n), NOW, at)).toEqual(balance(6n, 4n));
  });

  test.each([
    [
      "the payee's",
      () => ({
        amount: 4n,
        signature: payee.sign(threadVoucherDigest({ threadId, amount: 4n }, deployment)),
      }),
    ],
    ["another thread's", () => voucher(4n, randomHex(32))],
    ["another chain's", () => voucher(4n, threadId, { ...deployment, chainId: 1 })],
    ["another definition's", () => voucher(4n, threadId, { ...deployment, definition: node })],
    ["another amount's", () => ({ amount: 5n, signature: voucher(4n).signature })],
    ["a high-s", () => ({ amount: 4n, signature: highS(voucher(4n).signature) })],
    ["a v 0/1", () => ({ amount: 4n, signature: rawV(voucher(4n).signature) })],
    ["a 64-byte", () => ({ amount: 4n, signature: voucher(4n).signature.slice(0, 130) })],
    ["a 66-byte", () => ({ amount: 4n, signature: `${voucher(4n).signature}00` })],
    ["a garbage", () => ({ amount: 4n, signature: `${randomHex(64)}1b` })],
    ["a zero", () => ({ amount: 4n, signature: `0x${"0".repeat(128)}1b` })],
    ["a one-byte", () => ({ amount: 4n, signature: "0x1b" })],
  ])("refuses %s signature", (_, resolver) => {
    const message = expectCode(
      () => thread.resolve(balance(10n), state(), resolver(), NOW, deployment),
      "RESOLVE_REJECTED",
    );
    expect(message).toContain("not signed by the payer");
  });

  test("the high-s twin of a good signature recovers the same signer, so only the s rule refuses it", () => {
    const good = voucher(4n).signature;
    expect(highS(highS(good))).toBe(good);
  });

  test("refuses a resolve whose sum overflows uint256, as the contract panics", () => {
    expect(thread.resolve(balance(10n, MAX - 4n), state(), voucher(4n), NOW, deployment)).toEqual(
      balance(6n, MAX),
    );
    expectCode(
      () => thread.resolve(balance(10n, MAX - 3n), state(), voucher(4n), NOW, deployment),
      "RESOLVE_REJECTED",
    );
  });

  test("malformed inputs are MALFORMED_MESSAGE", () => {
    expectCode(
      () => thread.resolve(balance(-1n), state(), voucher(4n), NOW, deployment),
      "MALFORMED_MESSAGE",
    );
    expectCode(
      () =>
        thread.resolve(balance(10n), state(), { amount: -1n, signature: "0x" }, NOW, deployment),
      "MALFORMED_MESSAGE",
    );
    expectCode(
      () =>
        thread.resolve(balance(10n), state(), voucher(4n), NOW, {
          chainId: 1337,
          definition: "0x12",
        }),
      "MALFORMED_MESSAGE",
    );
    expectCode(
      () =>
        thread.resolve(balance(10n), state(), voucher(4n), NOW, { chainId: -1, definition: node }),
      "MALFORMED_MESSAGE",
    );
  });

  test("resolveEncoded decodes both then applies the same rules, with the deployment", () => {
    const encoded = thread.encodeState(state());
    const resolver = thread.encodeResolver(voucher(4n));
    expect(thread.resolveEncoded(balance(10n), encoded, resolver, NOW, deployment)).toEqual(
      balance(6n, 4n),
    );
    expectCode(
      () => thread.resolveEncoded(balance(10n), encoded, `${resolver}00`, NOW, deployment),
      "MALFORMED_MESSAGE",
    );
    expectCode(
      () =>
        thread.resolveEncoded(balance(10n), encoded, resolver, NOW, { ...deployment, chainId: 5 }),
      "RESOLVE_REJECTED",
    );
  });
});
