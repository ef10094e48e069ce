import { describe, expect, test } from "bun:test";
import { Wallet } from "ethers";
import { encodeWire, payeeRoutingSchema, payerRoutingSchema } from "../protocol/messaging";
import { MAX_META_BYTES } from "../protocol/schemas";
import { checkAppMeta, MAX_APP_META_BYTES } from "./appMeta";
import { lockHashOf, paymentMetaHash, randomPreImage, sealPaymentTerms } from "./crypto";
import { isClientError } from "./errors";

function refusal(meta: unknown): string | undefined {
  try {
    checkAppMeta(meta);
    return undefined;
  } catch (error) {
    expect(isClientError(error)).toBe(true);
    return `${(error as { code: string }).code}: ${(error as Error).message}`;
  }
}

/** A meta of exactly `bytes` bytes of JSON, padded with a two-byte character. */
function metaOf(bytes: number): Record<string, unknown> {
  const frame = encodeWire({ note: "" }).length; // {"note":""}
  const body = bytes - frame;
  return { note: "é".repeat(Math.floor(body / 2)) + "x".repeat(body % 2) };
}

describe("the application's meta of a payment", () => {
  test("plain JSON passes unchanged, bigints included (they travel as decimal strings)", () => {
    const meta = { invoice: "INV-42", lines: [{ sku: "tea", qty: 2, price: 10n }], paid: null };
    expect(checkAppMeta(meta)).toBe(meta);
    expect(checkAppMeta(undefined)).toBeUndefined();
    expect(checkAppMeta(Object.assign(Object.create(null), { a: 1 }))).toBeDefined();
  });

  test("what would not arrive as it was sent is INVALID_META, naming where it sits", () => {
    expect(refusal([1, 2])).toStartWith("INVALID_META: meta must be a plain object, not an array");
    expect(refusal("note")).toStartWith("INVALID_META: meta must be a plain object, not a string");
    expect(refusal(null)).toStartWith("INVALID_META");
    expect(refusal({ at: new Date() })).toBe("INVALID_META: meta.at is a Date, not a plain object");
    expect(refusal({ lines: [{ qty: Number.NaN }] })).toBe(
      "INVALID_META: meta.lines[0].qty is NaN, which JSON cannot carry",
    );
    expect(refusal({ gone: undefined })).toStartWith("INVALID_META: meta.gone is undefined");
    expect(refusal({ f: () => 1 })).toStartWith("INVALID_META: meta.f is a function");
    expect(refusal({ m: new Map() })).toStartWith("INVALID_META: meta.m is a Map");
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(refusal(cyclic)).toContain("nests deeper than 16 levels");
  });

  test("more than MAX_APP_META_BYTES of UTF-8 JSON is META_TOO_LARGE; exactly that passes", () => {
    expect(encodeWire(metaOf(MAX_APP_META_BYTES)).length).toBeLessThan(MAX_APP_META_BYTES);
    expect(refusal(metaOf(MAX_APP_META_BYTES))).toBeUndefined();
    expect(refusal(metaOf(MAX_APP_META_BYTES + 1))).toStartWith(
      "META_TOO_LARGE: meta is 3073 bytes of JSON",
    );
  });

  test("the largest meta fits a transfer's whole meta, with the largest sealed terms, on both sides", () => {
    const payer = Wallet.createRandom();
    const payee = Wallet.createRandom();
    const app = metaOf(MAX_APP_META_BYTES);
    const preImage = randomPreImage();
    const encryptedTerms = sealPaymentTerms(
      {
        paymentId: `0x${"ab".repeat(32)}`,
        recipient: payee.address.toLowerCase(),
        assetId: `0x${"cd".repeat(20)}`,
        amount: 2n ** 256n - 1n,
        lockHash: lockHashOf(preImage),
        expiry: 2 ** 40,
        metaHash: paymentMetaHash(app),
        preImage,
      },
      payer,
      payee.signingKey.publicKey,
    );
    const paymentId = `0x${"ab".repeat(32)}`;
    const payerSide = { routing: { paymentId, recipient: payee.address, encryptedTerms }, app };
    const mirror = {
      routing: { paymentId, sender: payer.address, encryptedTerms, encryptedPreImage: "0x" },
      app,
    };
    expect(payerRoutingSchema.safeParse(payerSide.routing).success).toBe(true);
    expect(payeeRoutingSchema.safeParse(mirror.routing).success).toBe(true);
    for (const meta of [payerSide, mirror]) {
      expect(new TextEncoder().encode(encodeWire(meta)).byteLength).toBeLessThanOrEqual(
        MAX_META_BYTES,
      );
    }
  });
});
