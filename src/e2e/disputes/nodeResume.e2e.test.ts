import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseEther } from "ethers";
import type { ConnextClient } from "../../client";
import { lockHashOf, randomPreImage } from "../../client/crypto";
import { ChannelFactory__factory } from "../../contracts-bindings";
import { waitFor } from "../expectations";
import { ETH, paymentDraft, RawUser } from "../rawUser";
import { type Stack, startStack } from "../stack";

/**
 * Issue 10 §4 from the node's side, with a user built from the protocol's functions: a user
 * disputes, the node carries its side through, and once the dispute has run its course the
 * node proposes the resume; the channel then takes deposits and payments again, and a second
 * dispute of the resumed state pays out exactly.
 */
const TIMEOUT = 3600;
let stack: Stack;
let user: RawUser;
let payee: ConnextClient;

beforeAll(async () => {
  stack = await startStack();
  user = await RawUser.connect(stack, 3, TIMEOUT);
  // The raw user signs no payment terms: this payee's application takes its payments anyway.
  payee = await stack.client(4, { channelTimeout: TIMEOUT, acceptConditional: () => true });
  await user.deposit(parseEther("1"));
}, 120_000);

afterAll(async () => {
  await user?.close();
  await stack?.stop();
});

async function pay(amount: bigint) {
  const preImage = randomPreImage();
  await user.propose(
    paymentDraft(stack, {
      recipient: payee.identifier,
      amount,
      lockHash: lockHashOf(preImage),
      paymentId: randomPreImage(),
    }),
  );
  const before = payee.getBalance(ETH).user;
  await waitFor(() => payee.getTransfers().length === 1);
  const [mirror] = payee.getTransfers();
  await payee.resolveTransfer({ transferId: mirror?.transferId as string, preImage });
  await waitFor(() => user.view.transfers.size === 0);
  expect(payee.getBalance(ETH).user).toBe(before + amount);
}

async function passTime(seconds: number) {
  await stack.provider.send("evm_increaseTime", [seconds]);
  await stack.provider.send("evm_mine", []);
}

async function waitForChain(condition: () => Promise<boolean>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`chain condition not met within ${timeoutMs} ms`);
    await Bun.sleep(100);
  }
}

/** The user disputes its latest state, exits its share; returns what it got. */
async function disputeAndExit(): Promise<bigint> {
  const channel = user.channel;
  if ((await stack.provider.getCode(user.state.channelAddress)) === "0x") {
    const factory = ChannelFactory__factory.connect(stack.book.channelFactory, stack.wallet(3));
    await (await factory.createChannel(stack.node.identifier, user.address)).wait();
  }
  const state = user.state;
  await (
    await channel.disputeChannel(
      state,
      state.latestUpdate.aliceSignature as string,
      state.latestUpdate.bobSignature as string,
    )
  ).wait();
  await passTime(TIMEOUT + 1);
  // The node defunds the channel (both shares become exitable) and exits its own.
  await waitForChain(async () => (await channel.getExitableAmount(ETH, user.address)) > 0n);
  const owed = await channel.getExitableAmount(ETH, user.address);
  await (await channel.exit(ETH, user.address, user.address)).wait();
  await waitForChain(
    async () => (await channel.getExitableAmount(ETH, stack.node.identifier)) === 0n,
  );
  return owed;
}

describe("a channel lives on after a dispute", () => {
  test("dispute, resume, deposits and payments again, and a second dispute pays exactly", async () => {
    await pay(parseEther("0.3"));
    const balance = () => user.state.balances[0]?.amount ?? [0n, 0n];
    expect(balance()).toEqual([parseEther("0.3"), parseEther("0.7")]);

    expect(await disputeAndExit()).toBe(parseEther("0.7"));
    // After the defund window, the node proposes the resume; the user takes it.
    const nonce = user.state.nonce;
    await passTime(TIMEOUT + 1);
    await waitFor(() => user.state.nonce === nonce + 1, 20_000);
    expect(user.state.latestUpdate.type).toBe("resume");
    expect(balance()).toEqual([0n, 0n]);
    expect(user.state.defundNonces[0]).toBe(2n);

    // Back to normal: a deposit and payments.
    await user.deposit(parseEther("0.5"));
    expect(balance()).toEqual([0n, parseEther("0.5")]);
    for (let i = 0; i < 3; i++) await pay(parseEther("0.05"));
    expect(balance()).toEqual([parseEther("0.15"), parseEther("0.35")]);

    // A second dispute pays out exactly what the resumed channel holds.
    expect(await disputeAndExit()).toBe(parseEther("0.35"));
    expect(await stack.provider.getBalance(user.state.channelAddress)).toBe(0n);
  }, 120_000);
});
