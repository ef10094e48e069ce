import { afterAll, beforeAll, expect, test } from "bun:test";
import { parseEther, ZeroAddress } from "ethers";
import type { ConnextClient } from "../client";
import { NodeApi } from "../client/nodeApi";
import { expectChannelsAgree, waitFor } from "./expectations";
import { type Stack, startStack } from "./stack";

/**
 * Issue 5 §7: the node restarts in the middle of a stream of payments. Afterwards every
 * payment has ended completed or cancelled (refunded), none was paid twice, and both sides of
 * every channel hold the same state.
 */
let stack: Stack;
let a: ConnextClient;
let b: ConnextClient;
const ETH = ZeroAddress;
const AMOUNT = parseEther("0.001");

beforeAll(async () => {
  stack = await startStack();
  a = await stack.client(5, { requestTimeoutMs: 5_000 });
  b = await stack.client(6, { requestTimeoutMs: 5_000 });
  await a.deposit({ assetId: ETH, amount: parseEther("1") });
  // Collateral for b before the stream, so that on-chain waits do not dominate it.
  await a.transfer({ recipient: b.identifier, assetId: ETH, amount: AMOUNT });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

test("a restart in the middle of a stream of payments loses nothing and pays nothing twice", async () => {
  const aStart = a.getBalance(ETH).user;
  // b has only the warm-up payment.
  await waitFor(() => b.getBalance(ETH).user === AMOUNT);
  const bStart = AMOUNT;
  const outcomes: { paymentId?: string; status?: string; error?: string }[] = [];
  const stream = (async () => {
    for (let i = 0; i < 40; i++) {
      try {
        outcomes.push(await a.transfer({ recipient: b.identifier, assetId: ETH, amount: AMOUNT }));
      } catch (error) {
        outcomes.push({ error: error instanceof Error ? error.message : String(error) });
      }
    }
  })();
  await waitFor(() => outcomes.length >= 10, 30_000);
  await stack.restartNode();
  await stream;

  // The node's record of every payment a made: all settle, each exactly once.
  const payments = await waitForSettled(stack, 5);
  const completed = payments.filter((p) => p.status === "completed" && p.sender === a.identifier);
  const ids = payments.map((p) => p.paymentId);
  expect(new Set(ids).size).toBe(ids.length);
  for (const payment of payments) expect(["completed", "cancelled"]).toContain(payment.status);
  const paid = BigInt(completed.length - 1) * AMOUNT; // minus the warm-up payment
  await waitFor(() => a.getBalance(ETH).user === aStart - paid, 30_000);
  await waitFor(() => b.getBalance(ETH).user === bStart + paid, 30_000);
  expect(a.getTransfers()).toEqual([]);
  await expectChannelsAgree(stack, a);
  await expectChannelsAgree(stack, b);
  // Most of the stream went through; a payment caught by the restart may have been refunded.
  expect(completed.length).toBeGreaterThan(30);
}, 180_000);

interface PaymentRow {
  paymentId: string;
  sender: string;
  status: string;
}

/** Polls the node's payment records of dev account `index` until none is pending. */
async function waitForSettled(stack: Stack, index: number): Promise<PaymentRow[]> {
  const wallet = stack.wallet(index);
  const deadline = Date.now() + 90_000;
  for (;;) {
    const api = new NodeApi(stack.node.httpUrl);
    const token = await api.signIn(wallet.address, (m) => wallet.signMessage(m));
    const response = await fetch(`${stack.node.httpUrl}/payments`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const rows = (await response.json()) as PaymentRow[];
    if (rows.every((row) => row.status !== "pending") || Date.now() > deadline) return rows;
    await Bun.sleep(250);
  }
}
