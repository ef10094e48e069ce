import { describe, expect, test } from "bun:test";
import { Wallet } from "ethers";
import { encodeWire, payeeRoutingSchema, payerRoutingSchema } from "../../protocol/messaging";
import { MAX_META_BYTES } from "../../protocol/schemas";
import { decryptWithPrivateKey, encryptToPublicKey } from "./ecies";
import { CryptoError, type CryptoErrorCode } from "./errors";
import {
  decodePaymentTerms,
  encodePaymentTerms,
  MAX_SEALED_PAYMENT_TERMS_BYTES,
  NO_META_HASH,
  openPaymentTerms,
  PAYMENT_TERMS_BYTES,
  PAYMENT_TERMS_WITH_PRE_IMAGE_BYTES,
  type PaymentTerms,
  paymentMetaHash,
  sealPaymentTerms,
} from "./paymentTerms";
import { lockHashOf, randomPreImage } from "./preImage";

const payer = Wallet.createRandom();
const payee = Wallet.createRandom();
const node = Wallet.createRandom();
const preImage = randomPreImage();

function termsFor(
  fields: Partial<Omit<PaymentTerms, "sender">> = {},
): Omit<PaymentTerms, "sender"> {
  return {
    paymentId: `0x${"ab".repeat(32)}`,
    recipient: payee.address,
    assetId: "0x0000000000000000000000000000000000000000",
    amount: 5n * 10n ** 17n,
    lockHash: lockHashOf(preImage),
    expiry: 1_800_000_000,
    metaHash: paymentMetaHash({ invoice: 42 }),
    preImage,
    ...fields,
  };
}

function expectCryptoError(run: () => unknown, ...codes: CryptoErrorCode[]): CryptoError {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(CryptoError);
  expect(codes).toContain((caught as CryptoError).code);
  return caught as CryptoError;
}

function hexBytes(hex: string): number {
  return (hex.length - 2) / 2;
}

describe("payment terms: the codec", () => {
  test("round trip, with the pre-image and without, sealed to the payee", () => {
    const terms = termsFor();
    const sealed = sealPaymentTerms(terms, payer, payee.signingKey.publicKey);
    expect(hexBytes(sealed)).toBe(MAX_SEALED_PAYMENT_TERMS_BYTES);
    expect(openPaymentTerms(sealed, payee.privateKey)).toEqual({
      ...terms,
      recipient: payee.address.toLowerCase(),
      sender: payer.address.toLowerCase(),
    });
    const { preImage: _, ...conditional } = terms;
    const plain = encodePaymentTerms(conditional, payer);
    expect(plain.length).toBe(PAYMENT_TERMS_BYTES);
    const decoded = decodePaymentTerms(plain);
    expect(decoded.preImage).toBeUndefined();
    expect(decoded.amount).toBe(terms.amount);
    expect(decoded.sender).toBe(payer.address.toLowerCase());
    expect(encodePaymentTerms(terms, payer).length).toBe(PAYMENT_TERMS_WITH_PRE_IMAGE_BYTES);
  });

  test("the extremes of every field round-trip", () => {
    const terms = termsFor({
      amount: (1n << 256n) - 1n,
      expiry: Number.MAX_SAFE_INTEGER,
      metaHash: NO_META_HASH,
      assetId: `0x${"ff".repeat(20)}`,
    });
    const decoded = decodePaymentTerms(encodePaymentTerms(terms, payer));
    expect(decoded.amount).toBe((1n << 256n) - 1n);
    expect(decoded.expiry).toBe(Number.MAX_SAFE_INTEGER);
    expect(decoded.metaHash).toBe(NO_META_HASH);
    expect(decodePaymentTerms(encodePaymentTerms(termsFor({ amount: 1n }), payer)).amount).toBe(1n);
  });

  test("every tampered byte is refused: the signature, or the pre-image's lock", () => {
    const plain = encodePaymentTerms(termsFor(), payer);
    for (let index = 0; index < plain.length; index++) {
      const tampered = plain.slice();
      tampered[index] = (tampered[index] as number) ^ 0x01;
      expectCryptoError(
        () => decodePaymentTerms(tampered),
        "WRONG_SIGNER",
        "INVALID_PAYMENT_TERMS",
      );
    }
    // The amount in particular: a node cannot make 0.5 ETH read as 1 wei.
    const amount = plain.slice();
    amount[124] = (amount[124] as number) ^ 0x01;
    expectCryptoError(() => decodePaymentTerms(amount), "WRONG_SIGNER");
  });

  test("a tampered ciphertext, or one for another key, does not open", () => {
    const sealed = sealPaymentTerms(termsFor(), payer, payee.signingKey.publicKey);
    const flipped = `${sealed.slice(0, -2)}${sealed.endsWith("00") ? "01" : "00"}`;
    expectCryptoError(() => openPaymentTerms(flipped, payee.privateKey), "DECRYPTION_FAILED");
    expectCryptoError(() => openPaymentTerms(sealed, node.privateKey), "DECRYPTION_FAILED");
  });

  test("the wrong signer: terms naming the payer but signed by the node are refused", () => {
    // The node can encrypt to the payee's public key, but cannot sign as the payer.
    const forged = encodePaymentTerms(termsFor({ amount: 1n }), {
      address: payer.address,
      privateKey: node.privateKey,
    });
    const sealed = encryptToPublicKey(payee.signingKey.publicKey, forged);
    const error = expectCryptoError(
      () => openPaymentTerms(sealed, payee.privateKey),
      "WRONG_SIGNER",
    );
    expect(error.message).toContain(node.address);
    // Signed by the node as itself, they say so: the payee checks the sender against the mirror.
    const own = decodePaymentTerms(encodePaymentTerms(termsFor(), node));
    expect(own.sender).toBe(node.address.toLowerCase());
  });

  test("oversize, undersize, another version, and a pre-image that is not the lock's", () => {
    const plain = encodePaymentTerms(termsFor(), payer);
    for (const size of [
      0,
      1,
      PAYMENT_TERMS_BYTES - 1,
      PAYMENT_TERMS_BYTES + 1,
      plain.length + 1,
      4096,
    ]) {
      const bytes = new Uint8Array(size);
      bytes.set(plain.subarray(0, Math.min(size, plain.length)));
      expectCryptoError(() => decodePaymentTerms(bytes), "INVALID_PAYMENT_TERMS");
    }
    const version = plain.slice();
    version[0] = 2;
    expectCryptoError(() => decodePaymentTerms(version), "INVALID_PAYMENT_TERMS");
    const otherPreImage = plain.slice();
    otherPreImage.set(crypto.getRandomValues(new Uint8Array(32)), PAYMENT_TERMS_BYTES);
    expectCryptoError(() => decodePaymentTerms(otherPreImage), "INVALID_PAYMENT_TERMS");
    // An oversize plaintext sealed to the payee opens, and is refused as terms.
    const big = encryptToPublicKey(payee.signingKey.publicKey, new Uint8Array(1000));
    expect(decryptWithPrivateKey(payee.privateKey, big).length).toBe(1000);
    expectCryptoError(() => openPaymentTerms(big, payee.privateKey), "INVALID_PAYMENT_TERMS");
    // …and the routing schemas refuse it before that.
    const routing = {
      paymentId: `0x${"ab".repeat(32)}`,
      sender: payer.address,
      encryptedTerms: big,
    };
    expect(payeeRoutingSchema.safeParse(routing).success).toBe(false);
  });

  test("malformed terms are not signed", () => {
    for (const fields of [
      { preImage: randomPreImage() },
      { amount: -1n },
      { amount: 1n << 256n },
      { expiry: 1.5 },
      { expiry: -1 },
      { expiry: Number.MAX_SAFE_INTEGER + 1 },
      { paymentId: "0x1234" },
      { recipient: "not an address" },
      { lockHash: `0x${"zz".repeat(32)}` },
      { metaHash: "0x" },
    ] as Partial<PaymentTerms>[]) {
      expectCryptoError(() => encodePaymentTerms(termsFor(fields), payer), "INVALID_PAYMENT_TERMS");
    }
    expectCryptoError(
      () => encodePaymentTerms(termsFor(), { address: payer.address, privateKey: "0x12" }),
      "INVALID_PRIVATE_KEY",
    );
  });

  test("sealed terms fit the routing schemas, and the whole meta stays within MAX_META_BYTES", () => {
    const sealed = sealPaymentTerms(termsFor(), payer, payee.signingKey.publicKey);
    const payerRouting = {
      paymentId: `0x${"ab".repeat(32)}`,
      recipient: payee.address,
      encryptedTerms: sealed,
    };
    expect(payerRoutingSchema.safeParse(payerRouting).success).toBe(true);
    const mirrorRouting = {
      paymentId: `0x${"ab".repeat(32)}`,
      sender: payer.address,
      encryptedTerms: sealed,
    };
    expect(payeeRoutingSchema.safeParse(mirrorRouting).success).toBe(true);
    // What the terms take of a meta: the application keeps more than 3 KiB.
    const used = encodeWire({ routing: payerRouting, app: {} }).length;
    expect(used).toBeLessThan(MAX_META_BYTES - 3 * 1024);
  });
});

describe("payment terms: the meta hash", () => {
  test("independent of key order at every level, and of bigint versus its decimal string", () => {
    const a = paymentMetaHash({ b: 1, a: { y: [1, { q: true, p: null }], x: "é" }, n: 10n });
    const b = paymentMetaHash({ n: "10", a: { x: "é", y: [1, { p: null, q: true }] }, b: 1 });
    expect(a).toBe(b);
    // As read back from JSON (a database may reorder keys).
    expect(
      paymentMetaHash(
        JSON.parse(JSON.stringify({ a: { x: "é", y: [1, { p: null, q: true }] }, b: 1, n: "10" })),
      ),
    ).toBe(a);
  });

  test("any other value, an array order, or none hashes otherwise", () => {
    const base = paymentMetaHash({ invoice: 42, items: [1, 2] });
    expect(paymentMetaHash({ invoice: 43, items: [1, 2] })).not.toBe(base);
    expect(paymentMetaHash({ invoice: 42, items: [2, 1] })).not.toBe(base);
    expect(paymentMetaHash({ invoice: "42", items: [1, 2] })).not.toBe(base);
    expect(paymentMetaHash({})).not.toBe(NO_META_HASH);
    expect(paymentMetaHash(undefined)).toBe(NO_META_HASH);
  });
});
