import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseEther, ZeroAddress } from "ethers";
import type { ConnextClient } from "../client";
import { depositAsBob } from "../client/chain/deposit";
import { lockHashOf, randomPreImage } from "../client/crypto";
import { MemoryStore } from "../client/store/memory";
import { channelEvents } from "./disputes/clientHelpers";
import { expectChannelsAgree, waitFor } from "./expectations";
import { ADMIN_TOKEN, type Stack, startStack } from "./stack";

/**
 * The rest of a payment's and a channel's life (issue 5 §5–§6): payments that expire are
 * cancelled and refunded, conditional transfers resolved by the application, collateral on
 * request and reclaimed above its threshold, deposits the user never reconciled, metrics.
 * Expiries are moved past with the stack's clock, which the node and the clients share.
 */
/** The node's ETH collateral target (the stack's) and the reclaim threshold set here. */
const TARGET = parseEther("1");
const RECLAIM_THRESHOLD = parseEther("3");
let stack: Stack;
let a: ConnextClient;
let b: ConnextClient;
const ETH = ZeroAddress;

beforeAll(async () => {
  stack = await startStack({
    node: { sweepIntervalMs: 250 },
    ethReclaimThreshold: RECLAIM_THRESHOLD,
  });
  [a, b] = await Promise.all([stack.client(1), stack.client(2)]);
  await a.deposit({ assetId: ETH, amount: parseEther("5") });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe("a payment's and a channel's life", () => {
  test("a payment the recipient never picks up is cancelled at expiry and refunded", async () => {
    const away = await stack.client(3);
    const recipient = away.identifier;
    await away.close();
    const before = a.getBalance(ETH).user;
    const resolved = new Promise<{ cancelled: boolean }>((resolve) =>
      a.on("transfer.resolved", resolve),
    );
    const payment = await a.conditionalTransfer({
      type: "hashlock",
      recipient,
      assetId: ETH,
      amount: parseEther("0.3"),
      lockHash: lockHashOf(randomPreImage()),
    });
    expect(payment.status).toBe("pending");
    expect(a.getBalance(ETH).user).toBe(before - parseEther("0.3"));
    // The payee's hour to claim passes (the rest of the lock is the channels' dispute windows).
    stack.clock.advance(3601);
    expect((await resolved).cancelled).toBe(true);
    expect(a.getBalance(ETH).user).toBe(before);
    expect(a.getTransfers()).toEqual([]);
    await expectChannelsAgree(stack, a);
  }, 30_000);

  test("a conditional transfer is resolved by the recipient's application", async () => {
    const preImage = randomPreImage();
    const received = new Promise<{ transferId: string }>((resolve) =>
      b.on("transfer.received", resolve),
    );
    const before = b.getBalance(ETH).user;
    const sent = await a.conditionalTransfer({
      type: "hashlock",
      recipient: b.identifier,
      assetId: ETH,
      amount: parseEther("0.2"),
      lockHash: lockHashOf(preImage),
    });
    expect(sent.status).toBe("pending");
    const completed = new Promise<{ cancelled: boolean }>((resolve) =>
      a.on("transfer.resolved", (event) => {
        if (event.paymentId === sent.paymentId) resolve(event);
      }),
    );
    const { transferId } = await received;
    expect(b.getBalance(ETH).user).toBe(before);
    await b.resolveTransfer({ transferId, preImage });
    expect((await completed).cancelled).toBe(false);
    expect(b.getBalance(ETH).user).toBe(before + parseEther("0.2"));
    await expectChannelsAgree(stack, a);
    await expectChannelsAgree(stack, b);
  }, 30_000);

  test("collateral on request tops the node's side up to its target", async () => {
    const c = await stack.client(4);
    expect(c.getBalance(ETH).node).toBe(0n);
    // Collateral on request follows the user's own deposits (issue 9 §6): 2 ETH justify the target.
    await c.deposit({ assetId: ETH, amount: parseEther("2") });
    await c.requestCollateral(ETH);
    expect(c.getBalance(ETH).node).toBe(parseEther("1"));
    await expectChannelsAgree(stack, c);
  }, 30_000);

  test("a deposit the user never reconciled is reconciled by the node's watcher", async () => {
    const before = b.getBalance(ETH).user;
    const confirmed = new Promise((resolve) => b.on("deposit.confirmed", resolve));
    await depositAsBob({
      signer: stack.wallet(2),
      channelAddress: b.channelAddress,
      assetId: ETH,
      amount: parseEther("0.4"),
    });
    await confirmed;
    expect(b.getBalance(ETH).user).toBe(before + parseEther("0.4"));
    await expectChannelsAgree(stack, b);
  }, 30_000);

  test("collateral above the reclaim threshold goes back to the node on-chain", async () => {
    // b pays a 3.5 ETH: the node's side of b's channel grows past its 3 ETH threshold, and
    // the node withdraws what is above its 1 ETH target.
    await b.deposit({ assetId: ETH, amount: parseEther("4") });
    const nodeSide = b.getBalance(ETH).node;
    await b.transfer({ recipient: a.identifier, assetId: ETH, amount: parseEther("3.5") });
    // The payment takes the node's side past the threshold (else nothing would be reclaimed)…
    expect(nodeSide + parseEther("3.5")).toBeGreaterThan(RECLAIM_THRESHOLD);
    await waitFor(() => b.getBalance(ETH).node === TARGET, 20_000);
    await waitFor(() => b.getTransfers().length === 0, 20_000);
    await expectChannelsAgree(stack, b);
    // Once the withdrawal is mined, the channel holds on-chain exactly what the two sides own
    // off-chain, to the wei.
    const { user, node } = b.getBalance(ETH);
    let onChain = 0n;
    const deadline = Date.now() + 15_000;
    while (onChain !== user + node && Date.now() < deadline) {
      onChain = await stack.provider.getBalance(b.channelAddress);
      await Bun.sleep(100);
    }
    expect(onChain).toBe(user + node);
    // …and the node took back exactly what was above its target, to itself.
    const withdrawn = await channelEvents(stack, b.channelAddress, "Withdrawn");
    expect(withdrawn.map(({ args }) => [args.recipient, args.amount])).toEqual([
      [stack.node.identifier, nodeSide + parseEther("3.5") - TARGET],
    ]);
  }, 60_000);

  test("a restore carries a channel with a hundred active transfers (beyond 64 KiB)", async () => {
    const away = await stack.client(5);
    const recipient = away.identifier;
    await away.close();
    for (let i = 0; i < 100; i++) {
      await a.conditionalTransfer({
        type: "hashlock",
        recipient,
        assetId: ETH,
        amount: 1000n,
        lockHash: lockHashOf(randomPreImage()),
      });
    }
    const held = a.getChannel();
    expect(a.getTransfers().length).toBe(100);
    await a.close();
    a = await stack.client(1, { store: new MemoryStore() });
    expect(a.getChannel()).toEqual(held);
    expect(a.getTransfers().length).toBe(100);
  }, 60_000);

  test("the operator changes a collateral target at runtime through the admin API", async () => {
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const put = await fetch(`${stack.node.httpUrl}/admin/collateral/${ETH}`, {
      method: "PUT",
      headers: { ...admin, "content-type": "application/json" },
      body: JSON.stringify({
        target: parseEther("2").toString(),
        reclaimThreshold: parseEther("9").toString(),
      }),
    });
    expect(put.status).toBe(200);
    const d = await stack.client(6);
    await d.deposit({ assetId: ETH, amount: parseEther("3") });
    await d.requestCollateral(ETH);
    expect(d.getBalance(ETH).node).toBe(parseEther("2"));
    const channels = (await (
      await fetch(`${stack.node.httpUrl}/admin/channels`, { headers: admin })
    ).json()) as unknown[];
    expect(channels.length).toBeGreaterThanOrEqual(5);
    const refused = await fetch(`${stack.node.httpUrl}/admin/channels`);
    expect(refused.status).toBe(401);
  }, 30_000);

  test("metrics count payments, channels and collateral", async () => {
    // Its own payment, so that the test stands alone; the counts are the store's.
    const paid = await a.transfer({ recipient: b.identifier, assetId: ETH, amount: 1n });
    expect(paid.status).toBe("completed");
    const text = await (await fetch(`${stack.node.httpUrl}/metrics`)).text();
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    for (const status of ["completed", "cancelled", "pending"]) {
      const stored = (await (
        await fetch(`${stack.node.httpUrl}/admin/payments?status=${status}`, { headers: admin })
      ).json()) as unknown[];
      const counted = text.match(new RegExp(`connext_payments\\{status="${status}"\\} (\\d+)`));
      expect(Number(counted?.[1] ?? 0)).toBe(stored.length);
    }
    expect(text).toMatch(/connext_payments\{status="completed"\} [1-9]/);
    const channels = (await (
      await fetch(`${stack.node.httpUrl}/admin/channels`, { headers: admin })
    ).json()) as unknown[];
    expect(text).toContain(`connext_channels ${channels.length}\n`);
    expect(channels.length).toBeGreaterThanOrEqual(2);
    expect(text).toMatch(
      /connext_update_latency_seconds_count\{type="create",role="responder"\} [1-9]/,
    );
    expect(text).toMatch(
      /connext_collateral\{asset="0x0000000000000000000000000000000000000000"\}/,
    );
  });
});
