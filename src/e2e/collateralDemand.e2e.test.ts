import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseEther, Wallet, ZeroAddress } from "ethers";
import { ConnextClient } from "../client";
import { readChannelDeposits } from "../contracts-bindings";
import { expectChannelsAgree, nodeChannel, waitFor } from "./expectations";
import { type Stack, startStack } from "./stack";

/**
 * Issue 9 §6, the Sybil collateral attack and its rules, end to end: fresh unfunded keys asking
 * for collateral get none; a routed payment brings what it needs plus headroom earned by
 * demand, not the full target; a user's own request gets up to its own deposits, once a minute;
 * idle collateral comes back on the timer. The node's clock is moved, not waited for.
 */
let stack: Stack;
let payer: ConnextClient;
const fresh: ConnextClient[] = [];
const ETH = ZeroAddress;
const DAY = 86_400;
/** Seconds the node's clock is ahead of the system's. */
let ahead = 0;

beforeAll(async () => {
  stack = await startStack({
    node: {
      now: () => Math.floor(Date.now() / 1000) + ahead,
      // The timer looks often; what it finds idle is up to the clock.
      idleReclaimIntervalMs: 200,
    },
  });
  payer = await stack.client(1);
  await payer.deposit({ assetId: ETH, amount: parseEther("1") });
}, 120_000);

afterAll(async () => {
  await Promise.allSettled(fresh.map((client) => client.close()));
  await stack?.stop();
});

/** A client for a key made just now: no ETH, no tokens, nothing deposited. */
async function freshClient(): Promise<ConnextClient> {
  const client = await ConnextClient.connect({
    signer: Wallet.createRandom().privateKey,
    nodeUrl: stack.node.httpUrl,
    ethRpcUrl: stack.anvil.rpcUrl,
    completionTimeoutMs: 10_000,
  });
  fresh.push(client);
  return client;
}

async function codeOf(work: Promise<unknown>): Promise<string | undefined> {
  try {
    await work;
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

const deposits = (client: ConnextClient, assetId = ETH) =>
  readChannelDeposits(stack.provider, client.channelAddress, assetId);

describe("collateral follows demand (issue 9 §6)", () => {
  test("fresh, unfunded keys asking for collateral get nothing deposited", async () => {
    const node = stack.node.identifier;
    const balance = await stack.provider.getBalance(node);
    const sent = await stack.provider.getTransactionCount(node);
    const sybils = await Promise.all([freshClient(), freshClient(), freshClient()]);
    for (const sybil of sybils) {
      expect(await stack.provider.getBalance(sybil.identifier)).toBe(0n);
      for (const asset of [ETH, stack.token]) {
        expect(await codeOf(sybil.requestCollateral(asset))).toBe("COLLATERAL_NOT_JUSTIFIED");
        // And asking again at once is refused before anything is looked at.
        expect(await codeOf(sybil.requestCollateral(asset))).toBe("RATE_LIMITED");
      }
    }
    // Not a wei moved, not a transaction sent.
    expect(await stack.provider.getBalance(node)).toBe(balance);
    expect(await stack.provider.getTransactionCount(node)).toBe(sent);
    for (const sybil of sybils) {
      for (const asset of [ETH, stack.token]) {
        expect(await deposits(sybil, asset)).toEqual({
          totalDepositsAlice: 0n,
          totalDepositsBob: 0n,
        });
        expect(sybil.getBalance(asset).node).toBe(0n);
      }
    }
  }, 60_000);

  test("a fresh payee's 1-wei payment brings 1 wei; its next one, headroom for its demand", async () => {
    const payee = await freshClient();
    const first = await payer.transfer({ recipient: payee.identifier, assetId: ETH, amount: 1n });
    expect(first.status).toBe("completed");
    await waitFor(() => payee.getBalance(ETH).user === 1n);
    expect(await deposits(payee)).toEqual({ totalDepositsAlice: 1n, totalDepositsBob: 0n });
    expect(payee.getBalance(ETH).node).toBe(0n);

    // The next payment brings its own 1,000 wei plus twice the wei completed today: 1,002.
    const second = await payer.transfer({
      recipient: payee.identifier,
      assetId: ETH,
      amount: 1_000n,
    });
    expect(second.status).toBe("completed");
    await waitFor(() => payee.getBalance(ETH).user === 1_001n);
    expect(await deposits(payee)).toEqual({ totalDepositsAlice: 1_003n, totalDepositsBob: 0n });
    expect(payee.getBalance(ETH).node).toBe(2n);
    await expectChannelsAgree(stack, payer);
  }, 60_000);

  test("a user who deposited gets collateral up to its deposits, once a minute", async () => {
    const user = await stack.client(3);
    await user.deposit({ assetId: ETH, amount: parseEther("0.4") });
    await user.requestCollateral(ETH);
    expect(user.getBalance(ETH).node).toBe(parseEther("0.4"));
    expect((await deposits(user)).totalDepositsAlice).toBe(parseEther("0.4"));
    expect(await codeOf(user.requestCollateral(ETH))).toBe("RATE_LIMITED");

    // A minute later: nothing more is justified yet, so nothing more comes.
    ahead += 61;
    await user.requestCollateral(ETH);
    expect((await deposits(user)).totalDepositsAlice).toBe(parseEther("0.4"));

    // More of its own money in the channel: up to the 1 ETH target, no further.
    await user.deposit({ assetId: ETH, amount: parseEther("2") });
    ahead += 61;
    await user.requestCollateral(ETH);
    expect(user.getBalance(ETH).node).toBe(parseEther("1"));
    expect((await deposits(user)).totalDepositsAlice).toBe(parseEther("1"));
    await expectChannelsAgree(stack, user);
  }, 60_000);

  test("idle collateral goes back to the node on the timer; an absent user only waits", async () => {
    const user = await stack.client(3);
    expect(user.getBalance(ETH).node).toBe(parseEther("1"));
    // A second user with collateral who is away when its channel turns idle.
    const away = await stack.client(4);
    await away.deposit({ assetId: ETH, amount: parseEther("0.5") });
    await away.requestCollateral(ETH);
    expect(away.getBalance(ETH).node).toBe(parseEther("0.5"));
    await away.close();
    const payerNodeSide = payer.getBalance(ETH).node;
    const nodeBefore = await stack.provider.getBalance(stack.node.identifier);

    ahead += 2 * DAY;
    await waitFor(() => user.getBalance(ETH).node === 0n, 30_000);
    await waitFor(() => user.getTransfers().length === 0, 30_000);
    await expectChannelsAgree(stack, user);
    // Once the withdrawal is mined the channel holds what the user owns, to the wei.
    const expected = user.getBalance(ETH).user;
    let onChain = 0n;
    const deadline = Date.now() + 20_000;
    while (onChain !== expected && Date.now() < deadline) {
      onChain = await stack.provider.getBalance(user.channelAddress);
      await Bun.sleep(100);
    }
    expect(onChain).toBe(expected);
    // The node has its ether back (less the gas of the withdrawal).
    const nodeAfter = await stack.provider.getBalance(stack.node.identifier);
    expect(nodeAfter - nodeBefore).toBeGreaterThan(parseEther("0.99"));

    // The payer's channel holds 1,001 wei of the node's: dust, not worth a transaction.
    expect(payer.getBalance(ETH).node).toBe(payerNodeSide);
    // The absent user's collateral stays where it is until it comes back.
    const awayChannel = (await nodeChannel(stack, 4)) as { balances: { amount: string[] }[] };
    expect(awayChannel.balances[0]?.amount[0]).toBe(parseEther("0.5").toString());
    // And when it does, its idle collateral is reclaimed too.
    const back = await stack.client(4);
    await waitFor(() => back.getBalance(ETH).node === 0n, 30_000);
  }, 120_000);
});
