import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseEther } from "ethers";
import type { ConnextClient } from "../../client";
import { waitFor } from "../expectations";
import { ETH } from "../rawUser";
import { type Stack, startStack } from "../stack";
import { DisputeLog, exitedTo, freshRecipient, passTime, until } from "./clientHelpers";

/**
 * Issue 10 §3, the client's side: off-chain while a dispute runs, and after. From the dispute
 * on, the client neither proposes nor answers anything but a resume; once the dispute has run
 * its course and its own steps are done, the channel resumes from the state on record and
 * deposits, payments and withdrawals work again, through the same channel, and a later
 * dispute still pays out exactly.
 */
const TIMEOUT = 3600;
let stack: Stack;
let a: ConnextClient;
let b: ConnextClient;

beforeAll(async () => {
  stack = await startStack();
  const options = { channelTimeout: TIMEOUT, disputePollMs: 200 };
  [a, b] = await Promise.all([stack.client(1, options), stack.client(2, options)]);
  await a.deposit({ assetId: ETH, amount: parseEther("2") });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

async function pay(from: ConnextClient, to: ConnextClient, amount: bigint) {
  const { status } = await from.transfer({ recipient: to.identifier, assetId: ETH, amount });
  expect(status).toBe("completed");
}

/** The client's dispute, carried through to its exit and past the defund window. */
async function disputeToTheEnd(client: ConnextClient, log: DisputeLog, recipient: string) {
  const owed = client.getBalance(ETH).user;
  const exitedBefore = log.exitedTotal(ETH);
  await client.dispute({ recipient });
  // Frozen while the dispute runs: no deposit, no payment, no withdrawal.
  await expect(client.deposit({ assetId: ETH, amount: 1n })).rejects.toMatchObject({
    code: "CHANNEL_IN_DISPUTE",
  });
  await expect(
    client.transfer({ recipient: a.identifier, assetId: ETH, amount: 1n }),
  ).rejects.toMatchObject({ code: "CHANNEL_IN_DISPUTE" });
  await expect(client.withdraw({ assetId: ETH, amount: 1n })).rejects.toMatchObject({
    code: "CHANNEL_IN_DISPUTE",
  });
  await passTime(stack, TIMEOUT + 1);
  await until(() => log.exitedTotal(ETH) - exitedBefore === owed, "the user's exit");
  await passTime(stack, TIMEOUT + 1);
  return owed;
}

describe("after a dispute, the channel resumes", () => {
  test("a finished dispute, then a deposit and ten payments through the same channel, then a second dispute that pays out exactly", async () => {
    await b.deposit({ assetId: ETH, amount: parseEther("0.5") });
    await pay(a, b, parseEther("0.1"));
    await waitFor(() => b.getTransfers().length === 0 && a.getTransfers().length === 0);
    const channel = b.channelAddress;
    const log = new DisputeLog().listen(b);

    // 1. The first dispute, to its end.
    const first = freshRecipient();
    const owedFirst = await disputeToTheEnd(b, log, first);
    expect(await stack.provider.getBalance(first)).toBe(owedFirst);
    await until(() => log.resumed.length === 1, "the channel resumes", 30_000);
    expect(b.getChannel()?.latestUpdate.type).toBe("resume");
    expect(log.resumed[0]?.nonce).toBe(b.getChannel()?.nonce as number);
    expect(b.getBalance(ETH)).toEqual({ user: 0n, node: 0n });
    expect(b.getDispute()).toMatchObject({ status: "exited", resumed: true });
    await until(
      async () => (await stack.provider.getBalance(channel)) === 0n,
      "the node exits its share too",
    );

    // 2. Off-chain again: a deposit, ten payments both ways, a withdrawal.
    await b.deposit({ assetId: ETH, amount: parseEther("0.3") });
    expect(b.getBalance(ETH).user).toBe(parseEther("0.3"));
    for (let i = 0; i < 5; i++) {
      await pay(a, b, parseEther("0.02"));
      await pay(b, a, parseEther("0.01"));
    }
    await waitFor(() => b.getTransfers().length === 0 && a.getTransfers().length === 0);
    expect(b.getBalance(ETH).user).toBe(parseEther("0.35"));
    const { transactionHash } = await b.withdraw({ assetId: ETH, amount: parseEther("0.05") });
    expect(transactionHash).toMatch(/^0x/);
    expect(b.getBalance(ETH).user).toBe(parseEther("0.3"));

    // 3. A second dispute: the latest balances exit exactly, on both sides.
    const nodeExitedBefore = await exitedTo(stack, channel, stack.node.identifier);
    const nodeBalance = b.getBalance(ETH).node;
    const second = freshRecipient();
    const owedSecond = await disputeToTheEnd(b, log, second);
    expect(owedSecond).toBe(parseEther("0.3"));
    expect(await stack.provider.getBalance(second)).toBe(owedSecond);
    await until(
      async () =>
        (await exitedTo(stack, channel, stack.node.identifier)) - nodeExitedBefore === nodeBalance,
      "the node exits exactly its balance",
    );
    expect(await stack.provider.getBalance(channel)).toBe(0n);
    await until(() => log.resumed.length === 2, "the channel resumes again", 30_000);
  }, 120_000);
});
