import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseEther, ZeroAddress } from "ethers";
import type { ConnextClient } from "../../client";
import { expectChannelsAgree, waitFor } from "../expectations";
import { productionBackendMissing, type Stack, startStack } from "../stack";
import { codeOf, nodeSide, openThread } from "./threadHelpers";

/**
 * Threads with the node down, on a NATS server of their own (PostgreSQL and nats-server, the
 * production backend): vouchers go straight from payer to payee, so `pay()` goes on working
 * while the node is stopped; a close needs the node, fails cleanly while it is away (nothing
 * resolved), and succeeds after the restart with the latest voucher, both channels exact.
 */
const ETH = ZeroAddress;
const LOCK = parseEther("0.01");
const STEP = 9_000_000_000n;

const missing = productionBackendMissing();
if (missing) {
  console.warn(`\n!!! ${missing}\n!!! Threads with the node down are SKIPPED.\n`);
}

let stack: Stack;
let payer: ConnextClient;
let payee: ConnextClient;

describe.skipIf(missing !== undefined)("threads while the node is down (nats-server)", () => {
  beforeAll(async () => {
    stack = await startStack({ backend: "production" });
    [payer, payee] = await Promise.all([
      stack.client(1, { requestTimeoutMs: 3_000 }),
      stack.client(2, { requestTimeoutMs: 3_000 }),
    ]);
    await payer.deposit({ assetId: ETH, amount: parseEther("1") });
  }, 240_000);

  afterAll(async () => {
    await stack?.stop();
  });

  test("vouchers flow without the node; the close waits for it and is exact", async () => {
    const payerBefore = payer.getBalance(ETH).user;
    const payeeBefore = payee.getBalance(ETH).user;
    const { thread, received } = await openThread(payer, payee, ETH, LOCK);
    for (let i = 0; i < 3; i++) await thread.pay(STEP);
    const payeeLock = payee.getTransfers().map((t) => t.transferId);
    const payerLock = payer.getTransfers().map((t) => t.transferId);

    await stack.node.stop();
    for (let i = 0; i < 20; i++) await thread.pay(STEP);
    const total = STEP * 23n;
    expect(thread.paid).toBe(total);
    expect(received.received).toBe(total);

    // Closing needs the node: refused while it is away, and nothing moves.
    expect(await codeOf(received.close())).toBe("NODE_UNREACHABLE");
    expect(payee.getTransfers().map((t) => t.transferId)).toEqual(payeeLock);
    expect(payer.getTransfers().map((t) => t.transferId)).toEqual(payerLock);
    expect(payee.getBalance(ETH).user).toBe(payeeBefore);
    expect(payer.getBalance(ETH).user).toBe(payerBefore - LOCK);
    // The close failed, so the thread is open again: vouchers still flow without the node.
    await thread.pay(STEP);
    const paidNow = total + STEP;
    expect(thread.paid).toBe(paidNow);
    expect(received.received).toBe(paidNow);

    await stack.restartNode();
    const [ofPayer, ofPayee] = await Promise.all([
      nodeSide(stack, 1, ETH),
      nodeSide(stack, 2, ETH),
    ]);
    expect(ofPayer.transferIds).toEqual(payerLock);
    expect(ofPayee.transferIds).toEqual(payeeLock);
    expect(ofPayee.user).toBe(payeeBefore);

    const closed: bigint[] = [];
    payer.on("thread.closed", ({ threadId, paid }) => {
      if (threadId === thread.id) closed.push(paid);
    });
    // The payee's messaging never went away (nats-server's): the close goes through at once.
    const { paid } = await received.close();
    expect(paid).toBe(paidNow);
    await waitFor(() => closed.length === 1, 30_000);
    expect(closed[0]).toBe(paidNow);
    await waitFor(() => payer.getBalance(ETH).user === payerBefore - paidNow, 30_000);
    expect(payee.getBalance(ETH).user).toBe(payeeBefore + paidNow);
    expect(payer.getTransfers()).toHaveLength(0);
    expect(payee.getTransfers()).toHaveLength(0);
    expect((await nodeSide(stack, 1, ETH)).user).toBe(payerBefore - paidNow);
    expect((await nodeSide(stack, 2, ETH)).user).toBe(payeeBefore + paidNow);
    await expectChannelsAgree(stack, payer);
    await expectChannelsAgree(stack, payee);
  }, 120_000);
});
