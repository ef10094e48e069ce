import { describe, expect, test } from "bun:test";
import { Wallet } from "ethers";
import { type FullTransferState, hashlock } from "../protocol";
import { hexToBytes } from "../protocol/bytes";
import {
  encodePaymentTerms,
  encryptToPublicKey,
  lockHashOf,
  type PaymentTerms,
  paymentMetaHash,
  randomPreImage,
  sealPaymentTerms,
} from "./crypto";
import { isClientError } from "./errors";
import { checkMirrorTerms, ReceivedTerms, type TermsVerdict } from "./receivedTerms";

/** The payee's checks of a mirror against its payer's signed terms (issue 11). */
const HASHLOCK = "0x00000000000000000000000000000000000000A1";
const ETH = "0x0000000000000000000000000000000000000000";
const TOKEN = "0x00000000000000000000000000000000000000E2";
const me = new Wallet(`0x${"22".repeat(32)}`);
const node = new Wallet(`0x${"11".repeat(32)}`);
const payer = new Wallet(`0x${"33".repeat(32)}`);
const other = new Wallet(`0x${"44".repeat(32)}`);
const PAYMENT_ID = `0x${"ab".repeat(32)}`;
const EXPIRY = 1_800_000_000;
const AMOUNT = 5n * 10n ** 17n;
const preImage = randomPreImage();
const app = { invoice: "INV-7", lines: [1, 2] };

function terms(fields: Partial<Omit<PaymentTerms, "sender">> = {}): Omit<PaymentTerms, "sender"> {
  return {
    paymentId: PAYMENT_ID,
    recipient: me.address,
    assetId: ETH,
    amount: AMOUNT,
    lockHash: lockHashOf(preImage),
    expiry: EXPIRY,
    metaHash: paymentMetaHash(app),
    preImage,
    ...fields,
  };
}

/** The node's mirror to us: by default exactly what the terms say, mirror expiry an hour less. */
function mirror(
  fields: {
    amount?: bigint;
    assetId?: string;
    lockHash?: string;
    expiry?: number;
    paymentId?: string;
    sender?: string;
    app?: unknown;
    encryptedTerms?: string | null;
    encryptedPreImage?: string;
    routing?: unknown;
  } = {},
): FullTransferState {
  const encryptedTerms =
    fields.encryptedTerms === undefined
      ? sealPaymentTerms(terms(), payer, me.signingKey.publicKey)
      : fields.encryptedTerms;
  const routing = fields.routing ?? {
    paymentId: fields.paymentId ?? PAYMENT_ID,
    sender: fields.sender ?? payer.address,
    ...(encryptedTerms ? { encryptedTerms } : {}),
    ...(fields.encryptedPreImage ? { encryptedPreImage: fields.encryptedPreImage } : {}),
  };
  const appMeta = "app" in fields ? fields.app : app;
  return {
    channelAddress: "0x00000000000000000000000000000000000000C1",
    transferId: `0x${"01".repeat(32)}`,
    transferDefinition: HASHLOCK,
    initiator: node.address,
    responder: me.address,
    assetId: fields.assetId ?? ETH,
    balance: { to: [node.address, me.address], amount: [fields.amount ?? AMOUNT, 0n] },
    transferTimeout: 7200,
    initialStateHash: `0x${"00".repeat(32)}`,
    transferState: hashlock.encodeState({
      lockHash: fields.lockHash ?? lockHashOf(preImage),
      expiry: BigInt(fields.expiry ?? EXPIRY - 3600),
    }),
    meta: { routing, ...(appMeta !== undefined ? { app: appMeta } : {}) },
  } as unknown as FullTransferState;
}

function reason(verdict: TermsVerdict): string {
  if (verdict.status !== "mismatch") throw new Error(`expected a mismatch, got ${verdict.status}`);
  return verdict.reason;
}

describe("checkMirrorTerms", () => {
  test("a mirror that pays its terms: verified, with the payer's sender, meta and pre-image", () => {
    const verdict = checkMirrorTerms(mirror(), me);
    if (verdict.status !== "verified") throw new Error(`not verified: ${JSON.stringify(verdict)}`);
    expect(verdict.sender).toBe(payer.address);
    expect(verdict.meta).toEqual(app);
    expect(verdict.terms.preImage).toBe(preImage);
    expect(verdict.paymentId).toBe(PAYMENT_ID);
    // An earlier mirror expiry is the node's business (it is checked for our own claim apart).
    expect(checkMirrorTerms(mirror({ expiry: EXPIRY - 86_400 }), me).status).toBe("verified");
    expect(checkMirrorTerms(mirror({ expiry: EXPIRY }), me).status).toBe("verified");
    // Keys reordered on the way (a database), and the same meta still verifies.
    const reordered = checkMirrorTerms(mirror({ app: { lines: [1, 2], invoice: "INV-7" } }), me);
    expect(reordered.status).toBe("verified");
  });

  test("a mirror of 1 wei, another asset, another sender or a later expiry is a mismatch", () => {
    expect(reason(checkMirrorTerms(mirror({ amount: 1n }), me))).toContain("pays 1");
    expect(reason(checkMirrorTerms(mirror({ assetId: TOKEN }), me))).toContain("asset");
    expect(reason(checkMirrorTerms(mirror({ sender: other.address }), me))).toContain("sender");
    expect(reason(checkMirrorTerms(mirror({ expiry: EXPIRY + 1 }), me))).toContain("expires");
    expect(reason(checkMirrorTerms(mirror({ expiry: 0 }), me))).toContain("expires");
  });

  test("another lock, payment id or meta, or no meta where the terms bind one, is a mismatch", () => {
    expect(
      reason(checkMirrorTerms(mirror({ lockHash: lockHashOf(randomPreImage()) }), me)),
    ).toContain("lock");
    expect(reason(checkMirrorTerms(mirror({ paymentId: `0x${"cd".repeat(32)}` }), me))).toContain(
      "payment",
    );
    expect(reason(checkMirrorTerms(mirror({ app: { invoice: "INV-8" } }), me))).toContain("meta");
    expect(reason(checkMirrorTerms(mirror({ app: undefined }), me))).toContain("meta");
  });

  test("terms for someone else, not signed by the payer, or not for our key are a mismatch", () => {
    const forOther = sealPaymentTerms(
      terms({ recipient: other.address }),
      payer,
      me.signingKey.publicKey,
    );
    expect(reason(checkMirrorTerms(mirror({ encryptedTerms: forOther }), me))).toContain("not us");
    // The node's own terms naming the payer, sealed to us: it cannot sign as the payer.
    const forged = encryptToPublicKey(
      me.signingKey.publicKey,
      encodePaymentTerms(terms({ amount: 1n }), {
        address: payer.address,
        privateKey: node.privateKey,
      }),
    );
    expect(reason(checkMirrorTerms(mirror({ amount: 1n, encryptedTerms: forged }), me))).toContain(
      "signed by",
    );
    // The node's own terms signed as itself: the sender it names in the mirror is the payer.
    const ownTerms = sealPaymentTerms(terms({ amount: 1n }), node, me.signingKey.publicKey);
    expect(
      reason(checkMirrorTerms(mirror({ amount: 1n, encryptedTerms: ownTerms }), me)),
    ).toContain("sender");
    const notOurs = sealPaymentTerms(terms(), payer, other.signingKey.publicKey);
    expect(checkMirrorTerms(mirror({ encryptedTerms: notOurs }), me).status).toBe("mismatch");
  });

  test("no terms: absent, with the node's word for the sender; malformed routing: a mismatch", () => {
    const conditional = checkMirrorTerms(mirror({ encryptedTerms: null }), me);
    expect(conditional).toEqual({
      status: "absent",
      paymentId: PAYMENT_ID,
      sender: payer.address,
      legacyPreImage: false,
      meta: app,
    });
    const legacy = checkMirrorTerms(
      mirror({
        encryptedTerms: null,
        encryptedPreImage: encryptToPublicKey(me.signingKey.publicKey, hexToBytes(preImage)),
      }),
      me,
    );
    expect(legacy.status === "absent" && legacy.legacyPreImage).toBe(true);
    expect(checkMirrorTerms(mirror({ routing: "poison" }), me).status).toBe("mismatch");
    const bare = { ...mirror(), meta: {} } as FullTransferState;
    expect(checkMirrorTerms(bare, me).status).toBe("mismatch");
  });
});

describe("ReceivedTerms", () => {
  const received = () =>
    new ReceivedTerms({
      address: me.address,
      privateKey: me.privateKey,
      hashlockAddress: HASHLOCK,
    });

  test("a verdict is computed once per transfer and again when the transfer changes", () => {
    const terms = received();
    const transfer = mirror();
    const first = terms.check(transfer);
    expect(terms.check({ ...transfer })).toBe(first);
    const changed = terms.check(mirror({ amount: 1n }));
    expect(changed).not.toBe(first);
    expect(changed.status).toBe("mismatch");
    expect(terms.firstReport(transfer.transferId)).toBe(true);
    expect(terms.firstReport(transfer.transferId)).toBe(false);
    terms.forget(transfer.transferId);
    expect(terms.check(transfer)).not.toBe(first);
  });

  test("requireRevealable refuses a mismatch and a legacy pre-image, and lets others through", () => {
    const terms = received();
    const codeOf = (transfer: FullTransferState) => {
      try {
        terms.requireRevealable(transfer);
        return "ok";
      } catch (error) {
        return isClientError(error) ? error.code : String(error);
      }
    };
    expect(codeOf(mirror())).toBe("ok");
    expect(codeOf({ ...mirror({ amount: 1n }), transferId: `0x${"02".repeat(32)}` })).toBe(
      "PAYMENT_TERMS_MISMATCH",
    );
    const legacy = mirror({
      encryptedTerms: null,
      encryptedPreImage: encryptToPublicKey(me.signingKey.publicKey, hexToBytes(preImage)),
    });
    expect(codeOf({ ...legacy, transferId: `0x${"03".repeat(32)}` })).toBe("PAYMENT_TERMS_MISSING");
    expect(
      codeOf({ ...mirror({ encryptedTerms: null }), transferId: `0x${"04".repeat(32)}` }),
    ).toBe("ok");
    // Not a payment to us: ours to the node, or another definition.
    const ours = { ...mirror({ amount: 1n }), initiator: me.address, responder: node.address };
    expect(codeOf({ ...ours, transferId: `0x${"05".repeat(32)}` })).toBe("ok");
  });
});
