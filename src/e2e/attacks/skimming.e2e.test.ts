import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseEther } from "ethers";
import type { ConnextClient } from "../../client";
import { lockHashOf, randomPreImage } from "../../client/crypto";
import { type ClientError, isClientError } from "../../client/errors";
import type { RequestInterceptor } from "../../node/engine/engine";
import { NodeError } from "../../node/engine/errors";
import type { RouterDeps } from "../../node/engine/router";
import {
  type ChannelUpdate,
  decodeUpdateMessage,
  type FullTransferState,
  hashlock,
  type UpdateDraft,
} from "../../protocol";
import { paymentStatus, waitFor } from "../expectations";
import { ETH } from "../rawUser";
import { type Stack, startStack } from "../stack";

/**
 * Issue 11, item 1: a node that skims routed payments. The payer pays 0.5 ETH; the node
 * forwards a mirror of 1 wei, or in another asset, or naming another sender, or expiring after
 * the payer's transfer, hoping the payee's client claims it anyway and hands it the pre-image
 * to collect the payer's whole 0.5 ETH. The payer seals its signed terms to the payee; the
 * payee's client claims only a mirror that pays them, so the pre-image never leaves it, the
 * payer is refunded (at the mirror's expiry when the node also refuses the payee's cancel) and
 * never sees `completed`. An honest node's payment still completes, and the payee gets the
 * sender and meta the payer signed.
 *
 * The node is the real one, with its mirror replaced (`replaceMirror`) and, where said, the
 * payee's updates refused (`intercept`).
 */
let stack: Stack;
let forge: ((draft: MirrorDraft) => UpdateDraft) | undefined;
let intercept: RequestInterceptor | undefined;
let a: ConnextClient;
let b: ConnextClient;
const TIMEOUT = 3600;
const AMOUNT = parseEther("0.5");
const ZERO = `0x${"0".repeat(64)}`;

type MirrorDraft = Parameters<NonNullable<RouterDeps["replaceMirror"]>>[0];

/** Every update the payee sends the node, and every error its client reports. */
const fromPayee: ChannelUpdate[] = [];
const payeeErrors: Error[] = [];
/** Every payment of the payer's that resolved, and how. */
const payerResolved: { transferId: string; cancelled: boolean }[] = [];

beforeAll(async () => {
  stack = await startStack({
    node: {
      replaceMirror: (draft) => (forge ? forge(draft) : draft),
      intercept: async (request, handle) => {
        if (request.method === "update" && request.user.toLowerCase() === payee()) {
          fromPayee.push(decodeUpdateMessage(request.data).update);
        }
        return intercept ? intercept(request, handle) : handle();
      },
      sweepIntervalMs: 100,
    },
  });
  [a, b] = await Promise.all([
    stack.client(1, { channelTimeout: TIMEOUT, completionTimeoutMs: 1_000 }),
    stack.client(2, { channelTimeout: TIMEOUT }),
  ]);
  b.on("error", (error) => payeeErrors.push(error));
  a.on("transfer.resolved", ({ transferId, cancelled }) =>
    payerResolved.push({ transferId, cancelled }),
  );
  await a.deposit({ assetId: ETH, amount: parseEther("3") });
  // Token collateral in the payee's channel, for the node's mirror "in another asset".
  await b.deposit({ assetId: stack.token, amount: parseEther("1") });
  await b.requestCollateral(stack.token);
  expect(b.getBalance(stack.token).node).toBeGreaterThanOrEqual(AMOUNT);
}, 120_000);

afterAll(async () => {
  forge = undefined;
  intercept = undefined;
  await stack?.stop();
});

/** The payee, dev account 2 (known before its client connects). */
function payee(): string {
  return stack.wallet(2).address.toLowerCase();
}

/** The malicious node also refuses the payee's cancel: the payer waits for the mirror's expiry. */
const refuseCancels: RequestInterceptor = async (request, handle) => {
  if (request.method !== "update" || request.user.toLowerCase() !== payee()) return handle();
  if (decodeUpdateMessage(request.data).update.type === "resolve") {
    throw new NodeError("PEER_REJECTED", "keeping the mirror");
  }
  return handle();
};

/** Pre-images the payee revealed to the node, in resolves it sent. */
function revealedByPayee(): string[] {
  return fromPayee
    .filter((u) => u.type === "resolve")
    .map((u) => hashlock.decodeResolver((u as ChannelUpdate<"resolve">).details.transferResolver))
    .map((r) => r.preImage)
    .filter((preImage) => preImage !== ZERO);
}

/** The payee's mirror of a payment, once it arrived. */
async function mirrorOf(paymentId: string): Promise<FullTransferState> {
  const find = () =>
    b
      .getTransfers()
      .find((t) => (t.meta?.routing as { paymentId?: string })?.paymentId === paymentId);
  await waitFor(() => find() !== undefined);
  return find() as FullTransferState;
}

function termsError(paymentId: string): ClientError | undefined {
  return payeeErrors.find(
    (e): e is ClientError =>
      isClientError(e, "PAYMENT_TERMS_MISMATCH") && e.context.paymentId === paymentId,
  );
}

const forgeries: [string, (draft: MirrorDraft) => UpdateDraft][] = [
  ["a mirror of 1 wei", (draft) => ({ ...draft, amount: 1n })],
  ["a mirror in another asset", (draft) => ({ ...draft, assetId: stack.token })],
  [
    "a mirror naming another sender",
    (draft) => {
      const routing = draft.meta?.routing as Record<string, unknown>;
      const other = stack.wallet(3).address;
      return { ...draft, meta: { ...draft.meta, routing: { ...routing, sender: other } } };
    },
  ],
  [
    "a mirror expiring after the payer's transfer",
    (draft) => {
      // The mirror's expiry is the payer's less the payer channel's window and buffer.
      const state = hashlock.decodeState(draft.transferInitialState);
      const payerExpiry = state.expiry + BigInt(TIMEOUT + 900);
      return {
        ...draft,
        transferInitialState: hashlock.encodeState({
          lockHash: state.lockHash,
          expiry: payerExpiry + 60n,
        }),
      };
    },
  ],
];

describe("a node that skims routed payments", () => {
  test("a mirror of 1 wei: the payee reveals nothing, cancels it, and the payer is refunded", async () => {
    forge = (draft) => ({ ...draft, amount: 1n });
    fromPayee.length = 0;
    const before = a.getBalance(ETH).user;
    const paid = await a.transfer({ recipient: b.identifier, assetId: ETH, amount: AMOUNT });
    expect(paid.status).not.toBe("completed");
    await waitFor(() => termsError(paid.paymentId) !== undefined);
    // Cancelled by the payee (the pre-image never left it), so refunded at once.
    await waitFor(() => a.getBalance(ETH).user === before, 15_000);
    expect(await paymentStatus(stack, paid.paymentId)).toBe("cancelled");
    expect(revealedByPayee()).toEqual([]);
    expect(payerResolved).toContainEqual({ transferId: paid.transferId, cancelled: true });
    expect(payerResolved).not.toContainEqual({ transferId: paid.transferId, cancelled: false });
    forge = undefined;
  }, 60_000);

  for (const [name, forgery] of forgeries) {
    test(`${name}, cancel refused: nothing revealed, the payer refunded after expiry`, async () => {
      forge = forgery;
      intercept = refuseCancels;
      fromPayee.length = 0;
      const before = a.getBalance(ETH).user;
      const received: string[] = [];
      const onReceived = ({ paymentId }: { paymentId: string }) => received.push(paymentId);
      b.on("transfer.received", onReceived);
      const paid = await a.transfer({
        recipient: b.identifier,
        assetId: ETH,
        amount: AMOUNT,
        meta: { invoice: name },
      });
      expect(paid.status).not.toBe("completed");
      const mirror = await mirrorOf(paid.paymentId);
      await waitFor(() => termsError(paid.paymentId) !== undefined);
      expect(termsError(paid.paymentId)?.context.transferId).toBe(mirror.transferId);
      // The payee tried to cancel (the node refused), and never resolved it with a pre-image.
      await waitFor(() => fromPayee.some((u) => u.type === "resolve"));
      expect(revealedByPayee()).toEqual([]);
      expect(received).not.toContain(paid.paymentId);
      expect(a.getBalance(ETH).user).toBe(before - AMOUNT);
      expect(await paymentStatus(stack, paid.paymentId)).toBe("pending");

      // Past the mirror's expiry (and the node's grace), nobody can claim it: the payer is refunded.
      const { expiry } = hashlock.decodeState(mirror.transferState);
      stack.clock.advance(Number(expiry) - stack.clock.now() + 180);
      await waitFor(() => a.getBalance(ETH).user === before, 20_000);
      await waitFor(() => !a.getTransfers().some((t) => t.transferId === paid.transferId));
      expect(await paymentStatus(stack, paid.paymentId)).toBe("cancelled");
      expect(revealedByPayee()).toEqual([]);
      expect(payerResolved).not.toContainEqual({ transferId: paid.transferId, cancelled: false });
      b.off("transfer.received", onReceived);
      forge = undefined;
      intercept = undefined;
    }, 60_000);
  }

  test("a conditional payment whose mirror pays less: the payee's resolveTransfer refuses it", async () => {
    forge = (draft) => ({ ...draft, amount: 1n });
    intercept = refuseCancels;
    const preImage = randomPreImage();
    const paid = await a.conditionalTransfer({
      type: "hashlock",
      recipient: b.identifier,
      assetId: ETH,
      amount: AMOUNT,
      lockHash: lockHashOf(preImage),
    });
    const mirror = await mirrorOf(paid.paymentId);
    await waitFor(() => termsError(paid.paymentId) !== undefined);
    let refused: unknown;
    try {
      await b.resolveTransfer({ transferId: mirror.transferId, preImage });
    } catch (error) {
      refused = error;
    }
    expect(isClientError(refused, "PAYMENT_TERMS_MISMATCH")).toBe(true);
    expect(revealedByPayee()).not.toContain(preImage);
    // Past the mirror's expiry (and the node's grace), the payer is refunded.
    const { expiry } = hashlock.decodeState(mirror.transferState);
    stack.clock.advance(Number(expiry) - stack.clock.now() + 180);
    await waitFor(() => !a.getTransfers().some((t) => t.transferId === paid.transferId), 20_000);
    expect(await paymentStatus(stack, paid.paymentId)).toBe("cancelled");
    expect(revealedByPayee()).not.toContain(preImage);
    forge = undefined;
    intercept = undefined;
  }, 60_000);

  test("an honest node: the payment completes, with the sender and meta the payer signed", async () => {
    // The attacks before leave refunds on their way: the payer's balance is read once they are in.
    // (The payee may still hold the forged mirrors: cancelling them moves only the node's side.)
    await waitFor(() => a.getTransfers().length === 0);
    const before = { payer: a.getBalance(ETH).user, payee: b.getBalance(ETH).user };
    const received = new Promise<{
      paymentId: string;
      sender: string;
      meta?: Record<string, unknown>;
      verified: boolean;
      amount: bigint;
    }>((resolve) => b.on("transfer.received", resolve));
    const meta = { invoice: "INV-42", lines: [{ sku: "tea", qty: 2 }], note: "thanks ✓" };
    const paid = await a.transfer({ recipient: b.identifier, assetId: ETH, amount: AMOUNT, meta });
    expect(paid.status).toBe("completed");
    const event = await received;
    expect(event).toMatchObject({
      paymentId: paid.paymentId,
      sender: a.identifier,
      meta,
      verified: true,
      amount: AMOUNT,
    });
    await waitFor(() => b.getBalance(ETH).user === before.payee + AMOUNT);
    expect(a.getBalance(ETH).user).toBe(before.payer - AMOUNT);
    expect(await paymentStatus(stack, paid.paymentId)).toBe("completed");
  }, 60_000);

  test("an honest node, a conditional payment: verified terms, and the application resolves", async () => {
    const preImage = randomPreImage();
    const received = new Promise<{ transferId: string; sender: string; verified: boolean }>(
      (resolve) => b.on("transfer.received", resolve),
    );
    const sent = await a.conditionalTransfer({
      type: "hashlock",
      recipient: b.identifier,
      assetId: ETH,
      amount: parseEther("0.1"),
      lockHash: lockHashOf(preImage),
      meta: { order: 7 },
    });
    const completed = new Promise<{ cancelled: boolean }>((resolve) =>
      a.on("transfer.resolved", (event) => {
        if (event.paymentId === sent.paymentId) resolve(event);
      }),
    );
    const event = await received;
    expect(event).toMatchObject({ sender: a.identifier, verified: true });
    await b.resolveTransfer({ transferId: event.transferId, preImage });
    expect((await completed).cancelled).toBe(false);
  }, 60_000);
});
