import { afterAll, beforeAll, expect, test } from "bun:test";
import { parseEther, ZeroAddress } from "ethers";
import type { ConnextClient } from "../client";
import { NodeApi } from "../client/nodeApi";
import { expectChannelsAgree, waitFor } from "./expectations";
import { type NodeProcess, nodeAsProcess } from "./nodeProcess";
import { type Stack, startStack } from "./stack";

/**
 * DESIGN §6, "crash anywhere, restart, resume": the node runs as its own process
 * (`connext-node start`), is killed with SIGKILL in the middle of a stream of payments, and
 * is started again on the same data. Every payment ends completed or refunded, none is paid
 * twice, and both sides of each channel agree.
 */
let stack: Stack;
let a: ConnextClient;
let b: ConnextClient;
let nodeProcess: NodeProcess;
const ETH = ZeroAddress;
const AMOUNT = parseEther("0.001");

beforeAll(async () => {
  stack = await startStack();
  // The same node, data and ports, from now on as a process of its own.
  nodeProcess = await nodeAsProcess(stack);
  await nodeProcess.start();
  a = await stack.client(1, { requestTimeoutMs: 5_000 });
  b = await stack.client(2, { requestTimeoutMs: 5_000 });
  await a.deposit({ assetId: ETH, amount: parseEther("1") });
  await a.transfer({ recipient: b.identifier, assetId: ETH, amount: AMOUNT });
}, 120_000);

afterAll(async () => {
  await a?.close();
  await b?.close();
  await nodeProcess?.kill();
  // The in-process node is stopped already; stop() stops it again harmlessly.
  await stack?.stop();
});

test("SIGKILL in the middle of a stream of payments: nothing lost, nothing paid twice", async () => {
  await waitFor(() => b.getBalance(ETH).user === AMOUNT);
  const aStart = a.getBalance(ETH).user;
  const PAYMENTS = 40;
  let sent = 0;
  // Like an application would: a payment that fails because the node is away is retried
  // with the same payment id, so the node sees it at most once.
  const stream = (async () => {
    for (let i = 0; i < PAYMENTS; i++) {
      const paymentId = `0x${(0xc0ffee00 + i).toString(16).padStart(64, "0")}`;
      for (let attempt = 0; ; attempt++) {
        try {
          await a.transfer({ recipient: b.identifier, assetId: ETH, amount: AMOUNT, paymentId });
          break;
        } catch (error) {
          const code = (error as { code?: string }).code;
          if (code === "PAYMENT_EXISTS") break; // the first attempt reached the node
          if (code !== "NODE_UNREACHABLE" || attempt > 100) throw error;
          await Bun.sleep(100);
        }
      }
      sent++;
    }
  })();
  await waitFor(() => sent >= 10, 30_000);
  await nodeProcess.kill();
  await nodeProcess.start();
  await stream;

  const payments = await settledPayments(stack, 1);
  const ids = payments.map((p) => p.paymentId);
  expect(new Set(ids).size).toBe(ids.length);
  expect(ids.length).toBe(PAYMENTS + 1); // and the warm-up payment
  for (const payment of payments) expect(payment.status).toBe("completed");
  const paid = BigInt(PAYMENTS) * AMOUNT;
  await waitFor(() => a.getBalance(ETH).user === aStart - paid, 30_000);
  await waitFor(() => b.getBalance(ETH).user === AMOUNT + paid, 30_000);
  await waitFor(() => a.getTransfers().length === 0 && b.getTransfers().length === 0, 30_000);
  await expectChannelsAgree(stack, a);
  await expectChannelsAgree(stack, b);
}, 180_000);

async function settledPayments(stack: Stack, index: number) {
  const wallet = stack.wallet(index);
  const deadline = Date.now() + 90_000;
  for (;;) {
    const token = await new NodeApi(stack.node.httpUrl).signIn(wallet.address, (m) =>
      wallet.signMessage(m),
    );
    const response = await fetch(`${stack.node.httpUrl}/payments`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const rows = (await response.json()) as { paymentId: string; status: string }[];
    if (rows.every((row) => row.status !== "pending") || Date.now() > deadline) return rows;
    await Bun.sleep(250);
  }
}
