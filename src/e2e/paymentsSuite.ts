import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseEther, parseUnits, Wallet, ZeroAddress } from "ethers";
import type { ConnextClient } from "../client";
import { MemoryStore } from "../client/store/memory";
import { expectChannelsAgree, waitFor } from "./expectations";
import { type Stack, type StackOptions, startStack } from "./stack";

/**
 * Issue 5 §7: three clients and one node, on anvil, PGlite and the embedded broker, through
 * the official NATS client. Runs in order: each step builds on the balances of the last.
 */
const ETH = ZeroAddress;

export function paymentsSuite(name: string, options: StackOptions): void {
  let stack: Stack;
  let a: ConnextClient;
  let b: ConnextClient;
  let c: ConnextClient;
  let token: string;

  beforeAll(async () => {
    stack = await startStack(options);
    token = stack.token;
    [a, b, c] = await Promise.all([stack.client(1), stack.client(2), stack.client(3)]);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  describe(`three clients and one node: ${name}`, () => {
    test("native-coin and token deposits from all three", async () => {
      for (const client of [a, b, c]) {
        await client.deposit({ assetId: ETH, amount: parseEther("3") });
        await client.deposit({ assetId: token, amount: parseUnits("500", 18) });
      }
      for (const client of [a, b, c]) {
        expect(client.getBalance(ETH).user).toBe(parseEther("3"));
        expect(client.getBalance(token).user).toBe(parseUnits("500", 18));
        await expectChannelsAgree(stack, client);
      }
    });

    test("100 payments A→B all complete", async () => {
      const amount = parseEther("0.01");
      const received: string[] = [];
      b.on("transfer.received", (event) => received.push(event.paymentId));
      const statuses: string[] = [];
      for (let i = 0; i < 100; i++) {
        const result = await a.transfer({ recipient: b.identifier, assetId: ETH, amount });
        statuses.push(result.status);
      }
      expect(statuses.every((status) => status === "completed")).toBe(true);
      expect(a.getBalance(ETH).user).toBe(parseEther("3") - 100n * amount);
      await waitFor(() => b.getBalance(ETH).user === parseEther("3") + 100n * amount);
      expect(new Set(received).size).toBe(100);
      await expectChannelsAgree(stack, a);
      await expectChannelsAgree(stack, b);
    }, 120_000);

    test("payments B→C while C is offline are delivered when C comes back", async () => {
      await c.close();
      const amount = parseUnits("7", 18);
      const sent: { paymentId: string; status: string }[] = [];
      for (let i = 0; i < 3; i++) {
        sent.push(await b.transfer({ recipient: stack.wallet(3).address, assetId: token, amount }));
      }
      expect(sent.map((s) => s.status)).toEqual(["pending", "pending", "pending"]);
      const tokenBefore = b.getBalance(token).user;

      const resolved: string[] = [];
      b.on("transfer.resolved", (event) => {
        if (event.paymentId) resolved.push(event.paymentId);
      });
      c = await stack.client(3);
      await waitFor(() => sent.every((s) => resolved.includes(s.paymentId)), 30_000);
      expect(b.getBalance(token).user).toBe(tokenBefore);
      await waitFor(() => c.getBalance(token).user === parseUnits("500", 18) + 3n * amount);
      await expectChannelsAgree(stack, b);
      await expectChannelsAgree(stack, c);
    }, 60_000);

    test("withdrawals to outside addresses arrive to the wei", async () => {
      const outsideEth = Wallet.createRandom().address;
      const outsideToken = Wallet.createRandom().address;
      const ethAmount = parseEther("0.123456789");
      const tokenAmount = parseUnits("12.5", 18);
      const before = a.getBalance(ETH).user;

      const confirmed: string[] = [];
      a.on("withdraw.confirmed", (event) => confirmed.push(event.transactionHash));
      const eth = await a.withdraw({ assetId: ETH, amount: ethAmount, recipient: outsideEth });
      const tok = await a.withdraw({
        assetId: token,
        amount: tokenAmount,
        recipient: outsideToken,
      });

      expect(await stack.provider.getBalance(outsideEth)).toBe(ethAmount);
      expect(await stack.tokenBalance(outsideToken)).toBe(tokenAmount);
      expect(a.getBalance(ETH).user).toBe(before - ethAmount);
      expect(confirmed).toContain(eth.transactionHash);
      expect(confirmed).toContain(tok.transactionHash);
      const receipt = await stack.provider.getTransactionReceipt(eth.transactionHash);
      expect(receipt?.status).toBe(1);
      await expectChannelsAgree(stack, a);
    }, 60_000);

    test("a client that loses its store restores from the node and keeps paying", async () => {
      const balance = a.getBalance(ETH);
      const nonce = a.getChannel()?.nonce;
      await a.close();
      a = await stack.client(1, { store: new MemoryStore() });
      expect(a.getChannel()?.nonce).toBe(nonce as number);
      expect(a.getBalance(ETH)).toEqual(balance);
      const result = await a.transfer({
        recipient: b.identifier,
        assetId: ETH,
        amount: parseEther("0.02"),
      });
      expect(result.status).toBe("completed");
      expect(a.getBalance(ETH).user).toBe(balance.user - parseEther("0.02"));
      await expectChannelsAgree(stack, a);
    }, 60_000);

    test("a payment to an uncollateralised recipient triggers collateral and completes", async () => {
      const d = await stack.client(4);
      expect(d.getBalance(token)).toEqual({ user: 0n, node: 0n });
      const amount = parseUnits("150", 18); // above the 100-token target: collateral covers it
      const result = await a.transfer({ recipient: d.identifier, assetId: token, amount });
      expect(result.status).toBe("completed");
      await waitFor(() => d.getBalance(token).user === amount);
      expect(d.getBalance(token).node).toBe(0n);
      await expectChannelsAgree(stack, d);
    }, 60_000);
  });
}
