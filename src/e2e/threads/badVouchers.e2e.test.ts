import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { NatsConnection } from "@nats-io/nats-core";
import { concat, parseEther, Signature, ZeroAddress } from "ethers";
import type { ConnextClient } from "../../client";
import { randomPreImage } from "../../client/crypto";
import type { PayeeThread, PayerThread } from "../../client/threads/handles";
import { expectChannelsAgree, waitFor } from "../expectations";
import { type Stack, startStack } from "../stack";
import {
  askRaw,
  codeOf,
  deploymentOf,
  nodeSide,
  openThread,
  type RawAnswer,
  rawConnection,
  voucher,
} from "./threadHelpers";

/**
 * Bad vouchers (DESIGN §4.8): a payer (or anyone else) sending the payee vouchers that are not
 * the next honest one, over raw NATS. Each is refused with its code, and none moves what the
 * payee holds: its `received`, its `thread.voucher` events, and what the thread finally pays.
 */
const ETH = ZeroAddress;
const LOCK = parseEther("0.01");
const STEP = 1_000_000_000n;
const HONEST = 5;
/** secp256k1's order. */
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

let stack: Stack;
let payer: ConnextClient;
let payee: ConnextClient;
let rawPayer: NatsConnection;
let rawThird: NatsConnection;
let thread: PayerThread;
let received: PayeeThread;
const voucherEvents: bigint[] = [];

beforeAll(async () => {
  stack = await startStack();
  [payer, payee] = await Promise.all([stack.client(1), stack.client(2)]);
  await payer.deposit({ assetId: ETH, amount: parseEther("1") });
  [rawPayer, rawThird] = await Promise.all([rawConnection(stack, 1), rawConnection(stack, 3)]);
  payee.on("thread.voucher", ({ received }) => voucherEvents.push(received));
}, 240_000);

afterAll(async () => {
  await rawPayer?.close();
  await rawThird?.close();
  await stack?.stop();
});

/** What the payee held before the attacks: nothing may move it. */
let held = { received: 0n, events: 0 };

/** The refusal's code; and the payee holds what it held, and announced nothing new. */
function refused(answer: RawAnswer): string {
  if (answer.ok) {
    throw new Error(
      `accepted: latest ${answer.result.latest?.amount}, closed ${answer.result.closed}`,
    );
  }
  expect(received.received).toBe(held.received);
  expect(voucherEvents).toHaveLength(held.events);
  return answer.error.code;
}

describe("bad vouchers to a payee", () => {
  test("each is refused with its code, and none changes what the payee holds", async () => {
    const payerBefore = payer.getBalance(ETH).user;
    const payeeBefore = payee.getBalance(ETH).user;
    ({ thread, received } = await openThread(payer, payee, ETH, LOCK));
    for (let i = 0; i < HONEST; i++) await thread.pay(STEP);
    const total = STEP * BigInt(HONEST);
    expect(received.received).toBe(total);
    await waitFor(() => voucherEvents.length === HONEST);
    const events = [...voucherEvents];
    held = { received: total, events: events.length };

    const deployment = deploymentOf(stack);
    const payerWallet = stack.wallet(1);
    const payeeAddress = payee.identifier;
    const me = payer.identifier;
    const id = thread.id;
    const send = (message: Parameters<typeof askRaw>[3]) =>
      askRaw(rawPayer, payeeAddress, me, message);

    // Another key's signature over the next amount.
    const forged = voucher(stack.wallet(4), id, total + STEP, deployment);
    expect(refused(await send({ type: "voucher", threadId: id, voucher: forged }))).toBe(
      "VOUCHER_FORGED",
    );
    // The payer's own signature, but for another thread id: sent under this id, then under its own.
    const otherId = randomPreImage();
    const elsewhere = voucher(payerWallet, otherId, total + STEP, deployment);
    expect(refused(await send({ type: "voucher", threadId: id, voucher: elsewhere }))).toBe(
      "VOUCHER_FORGED",
    );
    expect(refused(await send({ type: "voucher", threadId: otherId, voucher: elsewhere }))).toBe(
      "THREAD_UNKNOWN",
    );
    // Lower than the latest, rightly signed.
    const lower = voucher(payerWallet, id, total - STEP, deployment);
    expect(refused(await send({ type: "voucher", threadId: id, voucher: lower }))).toBe(
      "VOUCHER_STALE",
    );
    // More than the lock, rightly signed.
    const above = voucher(payerWallet, id, LOCK + 1n, deployment);
    expect(refused(await send({ type: "voucher", threadId: id, voucher: above }))).toBe(
      "VOUCHER_ABOVE_LOCK",
    );
    // The latest again, byte for byte.
    const latest = voucher(payerWallet, id, total, deployment);
    expect(refused(await send({ type: "voucher", threadId: id, voucher: latest }))).toBe(
      "VOUCHER_REPLAYED",
    );
    // Another chain's domain (and another deployment of the definition).
    const otherChain = voucher(payerWallet, id, total + STEP, {
      ...deployment,
      chainId: Number(deployment.chainId) + 1,
    });
    expect(refused(await send({ type: "voucher", threadId: id, voucher: otherChain }))).toBe(
      "VOUCHER_FORGED",
    );
    const otherDefinition = voucher(payerWallet, id, total + STEP, {
      ...deployment,
      definition: stack.book.hashlockTransfer,
    });
    expect(refused(await send({ type: "voucher", threadId: id, voucher: otherDefinition }))).toBe(
      "VOUCHER_FORGED",
    );
    // The payer's real next voucher, its signature made malleable (high s, v flipped): the
    // contract's ECDSA refuses it, so a payee holding it could not claim on-chain.
    const next = voucher(payerWallet, id, total + STEP, deployment);
    const { r, s: low, v } = Signature.from(next.signature);
    const highS = `0x${(N - BigInt(low)).toString(16).padStart(64, "0")}`;
    const malleable = concat([r, highS, v === 27 ? "0x1c" : "0x1b"]);
    expect(
      refused(
        await send({
          type: "voucher",
          threadId: id,
          voucher: { amount: total + STEP, signature: malleable },
        }),
      ),
    ).toBe("VOUCHER_FORGED");
    // …and with v as 0/1 instead of 27/28.
    const zeroV = concat([r, low, v === 27 ? "0x00" : "0x01"]);
    expect(
      refused(
        await send({
          type: "voucher",
          threadId: id,
          voucher: { amount: total + STEP, signature: zeroV },
        }),
      ),
    ).toBe("VOUCHER_FORGED");
    // Not JSON; too large; the wrong shape.
    expect(refused(await send("{not json"))).toBe("MALFORMED_MESSAGE");
    expect(
      refused(
        await send(
          JSON.stringify({
            protocolVersion: "1",
            type: "open",
            threadId: id,
            pad: "x".repeat(2_000),
          }),
        ),
      ),
    ).toBe("MESSAGE_TOO_LARGE");
    expect(
      refused(
        await send(
          JSON.stringify({
            protocolVersion: "1",
            type: "voucher",
            threadId: id,
            voucher: { amount: (total + STEP).toString(), signature: "0x1234" },
          }),
        ),
      ),
    ).toBe("MALFORMED_MESSAGE");
    // A third user, published as itself: its own signature, then the payer's latest replayed.
    const third = stack.wallet(3).address;
    const theirs = voucher(stack.wallet(3), id, total + STEP, deployment);
    expect(
      refused(
        await askRaw(rawThird, payeeAddress, third, {
          type: "voucher",
          threadId: id,
          voucher: theirs,
        }),
      ),
    ).toBe("THREAD_UNKNOWN");
    expect(
      refused(
        await askRaw(rawThird, payeeAddress, third, {
          type: "voucher",
          threadId: id,
          voucher: latest,
        }),
      ),
    ).toBe("THREAD_UNKNOWN");
    // Nor can the third user close the payer's thread.
    expect(
      refused(await askRaw(rawThird, payeeAddress, third, { type: "close", threadId: id })),
    ).toBe("THREAD_UNKNOWN");

    // Nothing moved at the payee.
    expect(received.received).toBe(total);
    expect(voucherEvents).toEqual(events);
    const open = await askRaw(rawPayer, payeeAddress, me, { type: "open", threadId: id });
    if (!open.ok) throw new Error(`open refused: ${open.error.code}`);
    expect(open.result.latest?.amount).toBe(total);
    expect(open.result.closed).toBe(false);

    // The honest payer carries on from where it was: one more voucher, then the payee closes.
    await thread.pay(STEP);
    const honest = total + STEP;
    expect(thread.paid).toBe(honest);
    expect(received.received).toBe(honest);
    const payerClosed: bigint[] = [];
    payer.on("thread.closed", ({ threadId, paid }) => {
      if (threadId === id) payerClosed.push(paid);
    });
    const { paid } = await received.close();
    expect(paid).toBe(honest);
    await waitFor(() => payerClosed.length === 1, 15_000);
    expect(payerClosed[0]).toBe(honest);
    expect(payee.getBalance(ETH).user).toBe(payeeBefore + honest);
    expect(payer.getBalance(ETH).user).toBe(payerBefore - honest);
    expect(payer.getTransfers()).toHaveLength(0);
    expect(payee.getTransfers()).toHaveLength(0);
    expect((await nodeSide(stack, 1, ETH)).user).toBe(payerBefore - honest);
    expect((await nodeSide(stack, 2, ETH)).user).toBe(payeeBefore + honest);
    await expectChannelsAgree(stack, payer);
    await expectChannelsAgree(stack, payee);

    // After the close, even the next honest voucher is refused: the thread is gone.
    held = { received: honest, events: voucherEvents.length };
    const after = voucher(payerWallet, id, honest + STEP, deployment);
    expect(refused(await send({ type: "voucher", threadId: id, voucher: after }))).toBe(
      "THREAD_UNKNOWN",
    );
    expect(payee.getBalance(ETH).user).toBe(payeeBefore + honest);
  }, 120_000);

  test("the whole lock: the last wei is paid, one more is refused on both sides", async () => {
    const payerBefore = payer.getBalance(ETH).user;
    const payeeBefore = payee.getBalance(ETH).user;
    const opened = await openThread(payer, payee, ETH, LOCK);
    thread = opened.thread;
    received = opened.received;
    held = { received: 0n, events: voucherEvents.length };
    await thread.pay(LOCK - 1n);
    await thread.pay(1n);
    expect(thread.paid).toBe(LOCK);
    expect(thread.remaining).toBe(0n);
    expect(received.received).toBe(LOCK);
    held = { received: LOCK, events: voucherEvents.length };
    // The payer's client will not sign beyond the lock…
    expect(await codeOf(thread.pay(1n))).toBe("THREAD_EXHAUSTED");
    expect(thread.paid).toBe(LOCK);
    // …and the payee refuses a voucher that does, however it is signed.
    const beyond = voucher(stack.wallet(1), thread.id, LOCK + 1n, deploymentOf(stack));
    expect(
      refused(
        await askRaw(rawPayer, payee.identifier, payer.identifier, {
          type: "voucher",
          threadId: thread.id,
          voucher: beyond,
        }),
      ),
    ).toBe("VOUCHER_ABOVE_LOCK");

    const { paid } = await thread.close();
    expect(paid).toBe(LOCK);
    await waitFor(() => payee.getBalance(ETH).user === payeeBefore + LOCK, 15_000);
    expect(payer.getBalance(ETH).user).toBe(payerBefore - LOCK);
    expect((await nodeSide(stack, 1, ETH)).user).toBe(payerBefore - LOCK);
    expect((await nodeSide(stack, 2, ETH)).user).toBe(payeeBefore + LOCK);
    await expectChannelsAgree(stack, payer);
    await expectChannelsAgree(stack, payee);
  }, 60_000);

  test("a thread closed with no voucher pays nothing: both locks are cancelled", async () => {
    const payerBefore = payer.getBalance(ETH).user;
    const payeeBefore = payee.getBalance(ETH).user;
    const opened = await openThread(payer, payee, ETH, LOCK);
    expect(payer.getBalance(ETH).user).toBe(payerBefore - LOCK);
    const { paid } = await opened.thread.close();
    expect(paid).toBe(0n);
    await waitFor(() => payer.getBalance(ETH).user === payerBefore, 15_000);
    expect(payee.getBalance(ETH).user).toBe(payeeBefore);
    expect(payer.getTransfers()).toHaveLength(0);
    await waitFor(() => payee.getTransfers().length === 0, 15_000);
    expect((await nodeSide(stack, 1, ETH)).user).toBe(payerBefore);
    expect((await nodeSide(stack, 2, ETH)).user).toBe(payeeBefore);
    await expectChannelsAgree(stack, payer);
    await expectChannelsAgree(stack, payee);
  }, 60_000);
});
