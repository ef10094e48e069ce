import { describe, expect, test } from "bun:test";
import { getAddress, TypedDataEncoder, verifyTypedData } from "ethers";
import fc from "fast-check";
import { privateKeySigner } from "../../signatures";
import { expectCode, highS, randomHex, randomKey, rawV } from "../testUtils";
import type { DefinitionDeployment } from "../types";
import {
  assertVoucherSigner,
  recoverVoucherSigner,
  signThreadVoucher,
  THREAD_VOUCHER_TYPE,
  type ThreadVoucher,
  threadVoucherDigest,
} from "./voucher";

const MAX = 2n ** 256n - 1n;
const TYPES = {
  Voucher: [
    { name: "threadId", type: "bytes32" },
    { name: "amount", type: "uint256" },
  ],
};
const domainOf = ({ chainId, definition }: DefinitionDeployment) => ({
  name: "ThreadTransfer",
  version: "1",
  chainId,
  verifyingContract: definition,
});
const deployment: DefinitionDeployment = {
  chainId: 1337,
  definition: "0x00000000000000000000000000000000000000C3",
};
const voucher: ThreadVoucher = { threadId: randomHex(32), amount: 42n };

const arbHex = (bytes: number) =>
  fc
    .uint8Array({ minLength: bytes, maxLength: bytes })
    .map((b) => `0x${Buffer.from(b).toString("hex")}`);

describe("thread voucher digest", () => {
  test("the type string is the contract's", () => {
    expect(THREAD_VOUCHER_TYPE).toBe("Voucher(bytes32 threadId,uint256 amount)");
    expect(TypedDataEncoder.from(TYPES).encodeType("Voucher")).toBe(THREAD_VOUCHER_TYPE);
  });

  test("equals ethers' TypedDataEncoder.hash with the same domain and types, for any values", () => {
    fc.assert(
      fc.property(
        arbHex(32),
        fc.bigInt({ min: 0n, max: MAX }),
        fc.oneof(
          fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
          fc.bigInt({ min: 0n, max: MAX }),
        ),
        arbHex(20),
        (threadId, amount, chainId, definition) => {
          const at = { chainId, definition: getAddress(definition) };
          const expected = TypedDataEncoder.hash(domainOf(at), TYPES, { threadId, amount });
          expect(threadVoucherDigest({ threadId, amount }, at)).toBe(expected);
          // Any letter case of the same values: the same digest.
          const lower = { chainId, definition: definition.toLowerCase() };
          expect(
            threadVoucherDigest(
              { threadId: threadId.toUpperCase().replace("0X", "0x"), amount },
              lower,
            ),
          ).toBe(expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  test("depends on every field of the voucher and the domain", () => {
    const digest = threadVoucherDigest(voucher, deployment);
    expect(threadVoucherDigest({ ...voucher, amount: 43n }, deployment)).not.toBe(digest);
    expect(threadVoucherDigest({ ...voucher, threadId: randomHex(32) }, deployment)).not.toBe(
      digest,
    );
    expect(threadVoucherDigest(voucher, { ...deployment, chainId: 1 })).not.toBe(digest);
    expect(
      threadVoucherDigest(voucher, { ...deployment, definition: `0x${"c4".repeat(20)}` }),
    ).not.toBe(digest);
    expect(threadVoucherDigest(voucher, { ...deployment, chainId: 1337n })).toBe(digest);
  });

  test("malformed vouchers and deployments are MALFORMED_MESSAGE", () => {
    expectCode(
      () => threadVoucherDigest({ ...voucher, threadId: "0x12" }, deployment),
      "MALFORMED_MESSAGE",
    );
    expectCode(
      () => threadVoucherDigest({ ...voucher, amount: -1n }, deployment),
      "MALFORMED_MESSAGE",
    );
    expectCode(
      () => threadVoucherDigest({ ...voucher, amount: MAX + 1n }, deployment),
      "MALFORMED_MESSAGE",
    );
    expectCode(
      () => threadVoucherDigest({ ...voucher, amount: 1 as never }, deployment),
      "MALFORMED_MESSAGE",
    );
    expectCode(() => threadVoucherDigest(undefined as never, deployment), "MALFORMED_MESSAGE");
    for (const chainId of [-1, 1.5, Number.NaN, "1" as never, -1n, MAX + 1n]) {
      expectCode(
        () => threadVoucherDigest(voucher, { ...deployment, chainId }),
        "MALFORMED_MESSAGE",
      );
    }
    expectCode(
      () => threadVoucherDigest(voucher, { ...deployment, definition: "0x12" }),
      "MALFORMED_MESSAGE",
    );
    expectCode(() => threadVoucherDigest(voucher, undefined as never), "MALFORMED_MESSAGE");
  });
});

describe("thread voucher signatures", () => {
  test("signThreadVoucher signs the digest, as ethers' verifyTypedData recovers", async () => {
    const signer = privateKeySigner(`0x${"42".repeat(32)}`);
    const signed = await signThreadVoucher(voucher, deployment, signer);
    expect(signed).toEqual({ ...voucher, signature: signed.signature });
    expect(signed.signature).toMatch(/^0x[0-9a-f]{130}$/);
    expect(verifyTypedData(domainOf(deployment), TYPES, voucher, signed.signature)).toBe(
      signer.address,
    );
    expect(recoverVoucherSigner(voucher, signed.signature, deployment)).toBe(signer.address);
    expect(() =>
      assertVoucherSigner(voucher, signed.signature, deployment, signer.address.toLowerCase()),
    ).not.toThrow();
  });

  test("the same key and voucher sign the same bytes: deterministic", async () => {
    const signer = privateKeySigner(`0x${"42".repeat(32)}`);
    const a = await signThreadVoucher(voucher, deployment, signer);
    const b = await signThreadVoucher(voucher, deployment, signer);
    expect(a).toEqual(b);
  });

  test("another voucher, chain or definition recovers someone else", () => {
    const key = randomKey();
    const signature = key.sign(threadVoucherDigest(voucher, deployment));
    expect(recoverVoucherSigner(voucher, signature, deployment)).toBe(key.address);
    expect(recoverVoucherSigner({ ...voucher, amount: 1n }, signature, deployment)).not.toBe(
      key.address,
    );
    expect(recoverVoucherSigner(voucher, signature, { ...deployment, chainId: 1 })).not.toBe(
      key.address,
    );
    const message = expectCode(
      () => assertVoucherSigner({ ...voucher, amount: 1n }, signature, deployment, key.address),
      "WRONG_SIGNER",
    );
    expect(message).toContain(key.address);
  });

  test.each([
    ["a high-s", (s: string) => highS(s)],
    ["a v 0/1", (s: string) => rawV(s)],
    ["a 64-byte", (s: string) => s.slice(0, 130)],
    ["a 66-byte", (s: string) => `${s}00`],
    ["an empty", () => "0x"],
    ["a zero", () => `0x${"0".repeat(128)}1b`],
    ["a non-hex", () => `0x${"zz".repeat(65)}`],
  ])("%s signature is INVALID_SIGNATURE", (_, mangle) => {
    const key = randomKey();
    const signature = mangle(key.sign(threadVoucherDigest(voucher, deployment)));
    expectCode(() => recoverVoucherSigner(voucher, signature, deployment), "INVALID_SIGNATURE");
    expectCode(
      () => assertVoucherSigner(voucher, signature, deployment, key.address),
      "INVALID_SIGNATURE",
    );
  });
});
