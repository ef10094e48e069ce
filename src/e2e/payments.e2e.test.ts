import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseEther, ZeroAddress } from "ethers";
import type { ConnextClient } from "../client";
import { type Stack, startStack } from "./stack";

let stack: Stack;
let alice: ConnextClient;
let bob: ConnextClient;

beforeAll(async () => {
  stack = await startStack();
  alice = await stack.client(1);
  bob = await stack.client(2);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe("payments through the node", () => {
  test("a deposit lands in the channel", async () => {
    await alice.deposit({ assetId: ZeroAddress, amount: parseEther("2") });
    expect(alice.getBalance(ZeroAddress).user).toBe(parseEther("2"));
  });

  test("a payment completes and both sides agree", async () => {
    const received = new Promise((resolve) => bob.on("transfer.received", resolve));
    const result = await alice.transfer({
      recipient: bob.identifier,
      assetId: ZeroAddress,
      amount: parseEther("0.5"),
    });
    expect(result.status).toBe("completed");
    await received;
    expect(alice.getBalance(ZeroAddress).user).toBe(parseEther("1.5"));
    // The node collateralised bob's channel just in time.
    await waitFor(() => bob.getBalance(ZeroAddress).user === parseEther("0.5"));
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await Bun.sleep(20);
  }
}
