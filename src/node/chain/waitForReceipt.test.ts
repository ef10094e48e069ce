import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type JsonRpcProvider, Transaction, Wallet } from "ethers";
import { devAccount } from "../../contracts-bindings";
import { type Anvil, startAnvil } from "./anvil";
import { isChainError } from "./errors";
import { memoryLogger, testProvider } from "./testing/chainFixture";
import { type WaitForReceiptParams, waitForReceipt } from "./waitForReceipt";

let anvil: Anvil;
let provider: JsonRpcProvider;
const { logger } = memoryLogger();

beforeAll(async () => {
  anvil = await startAnvil();
  provider = testProvider(anvil.rpcUrl, anvil.chainId);
});
afterAll(async () => {
  provider?.destroy();
  await anvil?.stop();
});

/** A signed transfer that is never broadcast, and its hash. */
async function unsent(nonce: number): Promise<string> {
  const account = devAccount(1, provider);
  const fees = await provider.getFeeData();
  const signed = await account.signTransaction({
    to: Wallet.createRandom().address,
    value: 1n,
    nonce,
    gasLimit: 21_000n,
    chainId: anvil.chainId,
    maxFeePerGas: fees.maxFeePerGas,
    maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
  });
  return Transaction.from(signed).hash as string;
}

function params(hash: string, nonce: number): WaitForReceiptParams {
  return {
    provider,
    logger,
    from: devAccount(1).address,
    hash,
    nonce,
    confirmations: 1,
    pollIntervalMs: 10,
    timeoutMs: 200,
  };
}

describe("waitForReceipt", () => {
  test("returns the receipt of a mined transaction", async () => {
    const sent = await devAccount(1, provider).sendTransaction({
      to: Wallet.createRandom().address,
      value: 1n,
    });
    const receipt = await waitForReceipt(params(sent.hash, sent.nonce));
    expect(receipt.hash).toBe(sent.hash);
    expect(receipt.status).toBe(1);
  });

  test("TRANSACTION_FAILED when another transaction took the nonce", async () => {
    const account = devAccount(1, provider);
    const nonce = await provider.getTransactionCount(account.address, "pending");
    const ours = await unsent(nonce);
    await (await account.sendTransaction({ to: account.address, value: 0n, nonce })).wait();

    const error = await waitForReceipt(params(ours, nonce)).catch((e: unknown) => e);
    expect(isChainError(error, "TRANSACTION_FAILED")).toBe(true);
    expect((error as Error).message).toContain("replaced");
  });

  test("CONFIRMATION_TIMEOUT when nothing arrives in time", async () => {
    const nonce = (await provider.getTransactionCount(devAccount(1).address, "pending")) + 100;
    const started = Date.now();
    const error = await waitForReceipt(params(await unsent(nonce), nonce)).catch((e: unknown) => e);
    expect(isChainError(error, "CONFIRMATION_TIMEOUT")).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
  });
});
