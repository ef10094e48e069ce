import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseEther, ZeroAddress } from "ethers";
import type { ConnextClient } from "../../client";
import { MemoryStore } from "../../client/store/memory";
import type { PayeeThread, PayerThread } from "../../client/threads/handles";
import { expectChannelsAgree, waitFor } from "../expectations";
import { type Stack, startStack } from "../stack";

/**
 * Threads (issue 15, DESIGN §4.8): a payer opens a thread to a payee through the node, pays it
 * with vouchers straight over NATS, and either side closes it; both channels end exact to the
 * wei, and the node's channels agree with the clients'.
 */
const ETH = ZeroAddress;
const LOCK = parseEther("0.01");
const VOUCHERS = 1_000;
const STEP = 7_000_000_000n; // wei per voucher: 1,000 of them pay 7e12, well inside the lock

let stack: Stack;
let payer: ConnextClient;
let payee: ConnextClient;

beforeAll(async () => {
  stack = await startStack();
  [payer, payee] = await Promise.all([stack.client(1), stack.client(2)]);
  await payer.deposit({ assetId: ETH, amount: parseEther("1") });
}, 240_000);

afterAll(async () => {
  await stack?.stop();
});

/** Opens a thread, pays VOUCHERS vouchers of STEP, and returns both handles. */
async function payThrough(): Promise<{
  thread: Awaited<ReturnType<ConnextClient["openThread"]>>;
  received: PayeeThread;
  vouchers: bigint[];
}> {
  const opened: PayeeThread[] = [];
  payee.on("thread.opened", ({ thread }) => opened.push(thread));
  const vouchers: bigint[] = [];
  payee.on("thread.voucher", ({ received }) => vouchers.push(received));
  const thread = await payer.openThread({
    counterparty: payee.identifier,
    assetId: ETH,
    amount: LOCK,
  });
  await waitFor(() => opened.some((t) => t.id === thread.id), 10_000);
  const received = opened.find((t) => t.id === thread.id) as PayeeThread;
  expect(received.counterparty).toBe(payer.identifier);
  expect(received.amount).toBe(LOCK);
  for (let i = 0; i < VOUCHERS; i++) await thread.pay(STEP);
  expect(thread.paid).toBe(STEP * BigInt(VOUCHERS));
  expect(thread.remaining).toBe(LOCK - STEP * BigInt(VOUCHERS));
  expect(received.received).toBe(STEP * BigInt(VOUCHERS));
  return { thread, received, vouchers };
}

describe("a thread", () => {
  test("1,000 vouchers, closed by the payee: both channels exact to the wei", async () => {
    const payerBefore = payer.getBalance(ETH);
    const payeeBefore = payee.getBalance(ETH);
    const { thread, received } = await payThrough();
    expect(payer.getBalance(ETH).user).toBe(payerBefore.user - LOCK);

    const payerClosed: bigint[] = [];
    payer.on("thread.closed", ({ threadId, paid }) => {
      if (threadId === thread.id) payerClosed.push(paid);
    });
    const { paid } = await received.close();
    const total = STEP * BigInt(VOUCHERS);
    expect(paid).toBe(total);
    expect(payee.getBalance(ETH).user).toBe(payeeBefore.user + total);
    // The node resolves the payer's lock with the same voucher.
    await waitFor(() => payerClosed.length === 1, 10_000);
    expect(payerClosed[0]).toBe(total);
    expect(payer.getBalance(ETH).user).toBe(payerBefore.user - total);
    expect(payer.getThreads()).toHaveLength(0);
    expect(payee.getThreads()).toHaveLength(0);
    await expectChannelsAgree(stack, payer);
    await expectChannelsAgree(stack, payee);
  }, 120_000);

  test("1,000 vouchers, closed by the payer", async () => {
    const payerBefore = payer.getBalance(ETH);
    const payeeBefore = payee.getBalance(ETH);
    const { thread } = await payThrough();
    const { paid } = await thread.close();
    const total = STEP * BigInt(VOUCHERS);
    expect(paid).toBe(total);
    expect(payer.getBalance(ETH).user).toBe(payerBefore.user - total);
    await waitFor(() => payee.getBalance(ETH).user === payeeBefore.user + total, 10_000);
    await expectChannelsAgree(stack, payer);
    await expectChannelsAgree(stack, payee);
  }, 120_000);

  test("both clients restart mid-thread: the thread carries on from what the payee stored", async () => {
    const payerStore = new MemoryStore();
    const payeeStore = new MemoryStore();
    let a = await stack.client(3, { store: payerStore });
    let b = await stack.client(4, { store: payeeStore });
    await a.deposit({ assetId: ETH, amount: parseEther("0.1") });
    const opened = new Promise<void>((resolve) => b.on("thread.opened", () => resolve()));
    const thread = await a.openThread({ counterparty: b.identifier, assetId: ETH, amount: LOCK });
    await opened;
    for (let i = 0; i < 10; i++) await thread.pay(STEP);
    await Promise.all([a.close(), b.close()]);

    [a, b] = await Promise.all([
      stack.client(3, { store: payerStore }),
      stack.client(4, { store: payeeStore }),
    ]);
    const [again] = a.getThreads() as PayerThread[];
    const [held] = b.getThreads() as PayeeThread[];
    expect(again?.id).toBe(thread.id);
    expect(held?.received).toBe(STEP * 10n);
    // The payer learns what the payee holds (its own voucher for 10 steps) before it signs on.
    await again?.pay(STEP);
    expect(again?.paid).toBe(STEP * 11n);
    expect(held?.received).toBe(STEP * 11n);
    const { paid } = await (again as PayerThread).close();
    expect(paid).toBe(STEP * 11n);
    await expectChannelsAgree(stack, a);
    await expectChannelsAgree(stack, b);
    await Promise.all([a.close(), b.close()]);
  }, 120_000);
});
