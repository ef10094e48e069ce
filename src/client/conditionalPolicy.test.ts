import { expect, test } from "bun:test";
import {
  type ChannelView,
  type FullTransferState,
  hashlock,
  hashlockLockHash,
  MerkleTree,
} from "../protocol";
import { type ConditionalPayment, ConditionalPolicy } from "./conditionalPolicy";
import type { ReceivedTerms, TermsVerdict } from "./receivedTerms";

const ME = "0x00000000000000000000000000000000000000B0";
const HASHLOCK = "0x00000000000000000000000000000000000000A1";

function incoming(i: number): FullTransferState {
  return {
    channelAddress: "0x00000000000000000000000000000000000000C1",
    transferId: `0x${i.toString(16).padStart(64, "0")}`,
    transferDefinition: HASHLOCK,
    initiator: "0x00000000000000000000000000000000000000A0",
    responder: ME,
    assetId: "0x0000000000000000000000000000000000000000",
    balance: { to: [ME, ME], amount: [5n, 0n] },
    transferTimeout: 3600,
    initialStateHash: `0x${"00".repeat(32)}`,
    chainId: 1337,
    transferState: hashlock.encodeState({
      lockHash: hashlockLockHash(`0x${"11".repeat(32)}`),
      expiry: 2_000_000_000n,
    }),
    channelNonce: i,
  };
}

const verified = (preImage?: string): TermsVerdict =>
  ({
    status: "verified",
    paymentId: `0x${"aa".repeat(32)}`,
    sender: "0x00000000000000000000000000000000000000D0",
    terms: { ...(preImage ? { preImage } : {}) },
    meta: { order: 7 },
  }) as unknown as TermsVerdict;
const absent: TermsVerdict = {
  status: "absent",
  paymentId: `0x${"bb".repeat(32)}`,
  sender: "0x00000000000000000000000000000000000000D0",
  legacyPreImage: false,
};

function policy(
  held: FullTransferState[],
  verdictOf: (t: FullTransferState) => TermsVerdict,
  options: { accept?: (p: ConditionalPayment) => boolean | Promise<boolean>; maxPending?: number },
) {
  const view: ChannelView = {
    state: undefined,
    transfers: new Map(held.map((t) => [t.transferId, t])),
    tree: new MerkleTree(),
  };
  return new ConditionalPolicy({
    me: ME,
    hashlockAddress: HASHLOCK,
    terms: { check: verdictOf } as unknown as ReceivedTerms,
    view: () => view,
    ...options,
  });
}

test("by default a conditional payment is held only with its payer's signed terms", async () => {
  const p = policy([], () => verified(), {});
  expect(await p.refusal(incoming(1), verified())).toBeUndefined();
  expect(await p.refusal(incoming(1), absent)).toContain("signed no terms");
});

test("the application decides, sees what the terms vouch for, and a throwing policy refuses", async () => {
  const seen: ConditionalPayment[] = [];
  const p = policy([], () => verified(), {
    accept: (payment) => {
      seen.push(payment);
      return payment.amount >= 10n;
    },
  });
  expect(await p.refusal(incoming(1), verified())).toBe("refused by the application's policy");
  expect(seen[0]).toMatchObject({
    amount: 5n,
    sender: "0x00000000000000000000000000000000000000D0",
    meta: { order: 7 },
    expiry: 2_000_000_000,
    verified: true,
  });
  const throwing = policy([], () => verified(), {
    accept: () => {
      throw new Error("database down");
    },
  });
  expect(await throwing.refusal(incoming(1), verified())).toContain("database down");
});

test("at most maxPending conditional payments wait; payments we claim at once do not count", async () => {
  const held = [1, 2, 3].map(incoming);
  const claimable = incoming(4);
  const verdictOf = (t: FullTransferState) =>
    t.transferId === claimable.transferId ? verified(`0x${"11".repeat(32)}`) : verified();
  const p = policy([...held, claimable], verdictOf, { maxPending: 3 });
  expect(await p.refusal(incoming(5), verified())).toContain("3 conditional payments already wait");
  // One of the three itself is judged against the other two.
  expect(await p.refusal(held[0] as FullTransferState, verified())).toBeUndefined();
  expect(ConditionalPolicy.isConditional(verified(`0x${"11".repeat(32)}`))).toBe(false);
  expect(ConditionalPolicy.isConditional({ ...absent, legacyPreImage: true } as TermsVerdict)).toBe(
    false,
  );
});
