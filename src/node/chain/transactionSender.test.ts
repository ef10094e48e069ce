import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Wallet } from "ethers";
import { devAccount, TestToken__factory } from "../../contracts-bindings";
import { freePort } from "../net/freePort";
import { OnchainTransactionRepository } from "../store/onchainTransactions";
import { type ChainError, type ChainErrorCode, isChainError } from "./errors";
import {
  type ChainFixture,
  memoryLogger,
  startChainFixture,
  testProvider,
} from "./testing/chainFixture";
import { TransactionSender, type TransactionSenderOptions } from "./transactionSender";

async function expectChainError(run: Promise<unknown>, code: ChainErrorCode): Promise<ChainError> {
  try {
    await run;
  } catch (error) {
    if (isChainError(error, code)) return error;
    throw error;
  }
  throw new Error(`expected ChainError ${code}, nothing was thrown`);
}

describe("TransactionSender on an automining anvil", () => {
  let fixture: ChainFixture;
  let repository: OnchainTransactionRepository;
  const { logger, lines } = memoryLogger();

  beforeAll(async () => {
    fixture = await startChainFixture();
    repository = new OnchainTransactionRepository(fixture.database.db);
  });
  afterAll(async () => {
    await fixture?.close();
  });

  function sender(index: number, options: Partial<TransactionSenderOptions> = {}) {
    return new TransactionSender({
      wallet: devAccount(index, fixture.provider),
      provider: fixture.provider,
      repository,
      logger,
      pollIntervalMs: 20,
      ...options,
    });
  }

  test("records a transaction from pending to mined, with its hash and nonce", async () => {
    const account = devAccount(1, fixture.provider);
    const nonceBefore = await fixture.provider.getTransactionCount(account.address);
    const recipient = Wallet.createRandom().address;

    const sent = await sender(1).send(
      { to: recipient, value: 1234n },
      { purpose: "fund", channelAddress: recipient },
    );

    expect(sent.nonce).toBe(nonceBefore);
    expect(sent.attempts).toBe(1);
    expect(sent.receipt.status).toBe(1);
    expect(sent.receipt.hash).toBe(sent.hash);
    expect(await fixture.provider.getBalance(recipient)).toBe(1234n);
    expect(await repository.get(sent.id)).toMatchObject({
      purpose: "fund",
      channelAddress: recipient,
      fromAddress: account.address,
      status: "mined",
      transactionHash: sent.hash,
      nonce: nonceBefore,
      attempts: 1,
      error: null,
      // A plain value transfer: exactly the intrinsic 21,000 gas, from its receipt.
      gasUsed: "21000",
    });
    expect(sent.receipt.gasUsed).toBe(21_000n);
  });

  test("re-reads the nonce after another wallet with the same key used it", async () => {
    const nodeSender = sender(2);
    const first = await nodeSender.send(
      { to: Wallet.createRandom().address, value: 1n },
      { purpose: "fund" },
    );

    // The same key, outside the sender: the sender's local nonce is now taken.
    const outsider = devAccount(2, fixture.provider);
    const external = await outsider.sendTransaction({ to: outsider.address, value: 0n });
    await external.wait();
    expect(external.nonce).toBe(first.nonce + 1);

    const second = await nodeSender.send(
      { to: Wallet.createRandom().address, value: 1n },
      { purpose: "fund" },
    );
    expect(second.nonce).toBe(first.nonce + 2);
    expect(second.attempts).toBe(2);
    expect((await repository.get(second.id))?.status).toBe("mined");
    expect(lines.some((line) => line.msg === "nonce taken: re-reading it from the chain")).toBe(
      true,
    );
  });

  test("a reverting call is recorded as failed and throws TRANSACTION_REVERTED, naming the error", async () => {
    const token = TestToken__factory.connect(fixture.book.testToken as string, fixture.provider);
    const call = await token.transfer.populateTransaction(Wallet.createRandom().address, 5n);
    const tokenSender = sender(3, { errorInterfaces: [TestToken__factory.createInterface()] });

    const error = await expectChainError(
      tokenSender.send(call, { purpose: "transfer" }),
      "TRANSACTION_REVERTED",
    );
    expect(error.context.revert).toStartWith("ERC20InsufficientBalance(");
    const [row] = await repository.list({ limit: 1 });
    expect(row).toMatchObject({ purpose: "transfer", status: "failed", transactionHash: null });
    expect(row?.error).toContain("ERC20InsufficientBalance");

    // A failed send does not spoil the next one.
    const next = await tokenSender.send(
      { to: Wallet.createRandom().address, value: 1n },
      { purpose: "fund" },
    );
    expect(next.receipt.status).toBe(1);
  });

  test("a transaction mined with status 0 is failed too", async () => {
    const token = TestToken__factory.connect(fixture.book.testToken as string, fixture.provider);
    const call = await token.transfer.populateTransaction(Wallet.createRandom().address, 5n);
    // An explicit gas limit skips estimation, so the revert happens on-chain.
    const error = await expectChainError(
      sender(4, { errorInterfaces: [TestToken__factory.createInterface()] }).send(
        { ...call, gasLimit: 100_000n },
        { purpose: "transfer" },
      ),
      "TRANSACTION_REVERTED",
    );
    expect(error.context.transactionHash).toMatch(/^0x[0-9a-f]{64}$/);
    const receipt = await fixture.provider.getTransactionReceipt(
      error.context.transactionHash as string,
    );
    expect(receipt?.status).toBe(0);
    const [row] = await repository.list({ limit: 1 });
    expect(row).toMatchObject({
      status: "failed",
      transactionHash: error.context.transactionHash,
      // Reverted on-chain: the gas is spent all the same, and recorded.
      gasUsed: receipt?.gasUsed.toString(),
    });
    // Named by calling it again on the state after its block.
    expect(error.context.revert).toStartWith("ERC20InsufficientBalance(");
    expect(row?.error).toContain("ERC20InsufficientBalance");
  });

  test("an account without funds gets INSUFFICIENT_FUNDS", async () => {
    const broke = new TransactionSender({
      wallet: Wallet.createRandom().connect(fixture.provider),
      provider: fixture.provider,
      repository,
      logger,
    });
    await expectChainError(
      broke.send({ to: broke.address, value: 10n ** 18n }, { purpose: "fund" }),
      "INSUFFICIENT_FUNDS",
    );
    const [row] = await repository.list({ limit: 1 });
    expect(row).toMatchObject({ fromAddress: broke.address, status: "failed" });
  });

  test("an unreachable RPC is retried with backoff, then RPC_UNAVAILABLE", async () => {
    const dead = testProvider(`http://127.0.0.1:${freePort()}`, fixture.anvil.chainId);
    try {
      const unreachable = new TransactionSender({
        wallet: devAccount(5, dead),
        provider: dead,
        repository,
        logger,
        retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 20 },
      });
      const started = Date.now();
      await expectChainError(
        unreachable.send({ to: unreachable.address, value: 1n }, { purpose: "fund" }),
        "RPC_UNAVAILABLE",
      );
      // Two pauses (10 ms, 20 ms) between three tries.
      expect(Date.now() - started).toBeGreaterThanOrEqual(30);
      const [row] = await repository.list({ limit: 1 });
      expect(row?.status).toBe("failed");
      expect(row?.error).toContain("3 times");
    } finally {
      dead.destroy();
    }
  });
});

describe("TransactionSender on a chain with 1-second blocks", () => {
  let fixture: ChainFixture;
  let repository: OnchainTransactionRepository;
  const { logger } = memoryLogger();

  beforeAll(async () => {
    fixture = await startChainFixture({ blockTime: 1 });
    repository = new OnchainTransactionRepository(fixture.database.db);
  });
  afterAll(async () => {
    await fixture?.close();
  });

  test("pipelines: ten concurrent sends are all broadcast before the first is mined", async () => {
    const pipelined = new TransactionSender({
      wallet: devAccount(1, fixture.provider),
      provider: fixture.provider,
      repository,
      logger,
      pollIntervalMs: 50,
    });
    const sent = await Promise.all(
      Array.from({ length: 10 }, () =>
        pipelined.send({ to: Wallet.createRandom().address, value: 1n }, { purpose: "fund" }),
      ),
    );
    const nonces = sent.map((tx) => tx.nonce).sort((a, b) => a - b);
    const first = nonces[0] as number;
    expect(nonces).toEqual(Array.from({ length: 10 }, (_, i) => first + i));
    // One block (two if the sends straddled a block boundary), not ten.
    expect(new Set(sent.map((tx) => tx.receipt.blockNumber)).size).toBeLessThanOrEqual(2);
    const rows = await repository.list({ limit: 10 });
    expect(rows.every((row) => row.status === "mined")).toBe(true);
    expect(new Set(rows.map((row) => row.nonce)).size).toBe(10);
  });

  test("a transaction with its nonce already in the pool is re-sent with the next one", async () => {
    const nodeSender = new TransactionSender({
      wallet: devAccount(2, fixture.provider),
      provider: fixture.provider,
      repository,
      logger,
      pollIntervalMs: 50,
    });
    const first = await nodeSender.send(
      { to: Wallet.createRandom().address, value: 1n },
      { purpose: "fund" },
    );
    // Waiting in the pool with the nonce the sender will pick next.
    const outsider = devAccount(2, fixture.provider);
    const external = await outsider.sendTransaction({ to: outsider.address, value: 0n });
    expect(external.nonce).toBe(first.nonce + 1);

    const second = await nodeSender.send(
      { to: Wallet.createRandom().address, value: 1n },
      { purpose: "fund" },
    );
    expect(second.nonce).toBe(first.nonce + 2);
    expect(second.attempts).toBeGreaterThanOrEqual(2);
    expect((await external.wait())?.status).toBe(1);
  });

  test("waits for the configured confirmations", async () => {
    const confirming = new TransactionSender({
      wallet: devAccount(3, fixture.provider),
      provider: fixture.provider,
      repository,
      logger,
      confirmations: 2,
      pollIntervalMs: 50,
    });
    const sent = await confirming.send(
      { to: Wallet.createRandom().address, value: 1n },
      { purpose: "fund" },
    );
    expect(await fixture.provider.getBlockNumber()).toBeGreaterThanOrEqual(
      sent.receipt.blockNumber + 1,
    );
  });
});
