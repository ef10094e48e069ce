import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type HDNodeWallet, Wallet } from "ethers";
import {
  ChannelFactory__factory,
  ChannelMastercopy__factory,
  devAccount,
  TestToken__factory,
} from "../../contracts-bindings";
import { type WithdrawData, withdrawDigest } from "../../protocol";
import { ChainService, NATIVE_ASSET } from "./chainService";
import { mintDevTokens } from "./devFunding";
import { type ChainErrorCode, isChainError } from "./errors";
import { type ChainFixture, memoryLogger, startChainFixture } from "./testing/chainFixture";

const ETH = NATIVE_ASSET;

async function expectChainError(run: Promise<unknown>, code: ChainErrorCode) {
  try {
    await run;
  } catch (error) {
    if (isChainError(error, code)) return error;
    throw error;
  }
  throw new Error(`expected ChainError ${code}, nothing was thrown`);
}

let fixture: ChainFixture;
let chain: ChainService;
let node: HDNodeWallet;
let token: string;
const { logger } = memoryLogger();

beforeAll(async () => {
  fixture = await startChainFixture();
  node = devAccount(1, fixture.provider);
  token = fixture.book.testToken as string;
  chain = service(node);
  await mintDevTokens({
    testToken: token,
    minter: devAccount(0, fixture.provider),
    recipients: [node.address],
    amount: 1_000_000n,
  });
});
afterAll(async () => {
  await fixture?.close();
});

function service(wallet: HDNodeWallet, book = fixture.book): ChainService {
  return new ChainService({
    provider: fixture.provider,
    wallet,
    addressBook: book,
    db: fixture.database.db,
    logger,
  });
}

/** A new user with some ETH and tokens, so every test has channels of its own. */
async function newBob(): Promise<HDNodeWallet> {
  const bob = Wallet.createRandom(fixture.provider);
  const funder = devAccount(9, fixture.provider);
  await (await funder.sendTransaction({ to: bob.address, value: 10n ** 18n })).wait();
  await mintDevTokens({
    testToken: token,
    minter: funder,
    recipients: [bob.address],
    amount: 1_000n,
  });
  return bob;
}

async function sentTo(hash: string): Promise<string | null | undefined> {
  return (await fixture.provider.getTransaction(hash))?.to;
}

describe("mintDevTokens", () => {
  test("mints the amount to every recipient", async () => {
    const recipients = [Wallet.createRandom().address, Wallet.createRandom().address];
    const hashes = await mintDevTokens({
      testToken: token,
      minter: devAccount(0, fixture.provider),
      recipients,
      amount: 42n,
    });
    expect(hashes).toHaveLength(2);
    for (const recipient of recipients) expect(await chain.balanceOf(token, recipient)).toBe(42n);
  });
});

describe("channel deployment", () => {
  test("the channel address is the factory's", async () => {
    const bob = Wallet.createRandom().address;
    const factory = ChannelFactory__factory.connect(fixture.book.channelFactory, fixture.provider);
    expect(chain.channelAddress(node.address, bob)).toBe(
      await factory.getChannelAddress(node.address, bob),
    );
  });

  test("is idempotent: concurrent calls share one transaction, later calls send none", async () => {
    const bob = Wallet.createRandom().address;
    const channelAddress = chain.channelAddress(node.address, bob);
    expect(await chain.isDeployed(channelAddress)).toBe(false);

    const results = await Promise.all([1, 2, 3].map(() => chain.deployChannel(node.address, bob)));
    expect(results.map((r) => r.channelAddress)).toEqual([
      channelAddress,
      channelAddress,
      channelAddress,
    ]);
    expect(results.filter((r) => r.transactionHash)).toHaveLength(1);
    expect(await chain.isDeployed(channelAddress)).toBe(true);
    expect(
      await ChannelMastercopy__factory.connect(channelAddress, fixture.provider).getBob(),
    ).toBe(bob);

    expect(await chain.deployChannel(node.address, bob)).toEqual({ channelAddress });
    const rows = await chain.transactions.list({ channelAddress });
    expect(rows.map((row) => [row.purpose, row.status])).toEqual([["deploy", "mined"]]);
  });

  test("a deployment raced by another deployer does not fail the caller", async () => {
    const bob = Wallet.createRandom().address;
    // Another process with its own key and nonces deploys the same channel at the same time.
    const other = service(devAccount(2, fixture.provider));
    const [ours, theirs] = await Promise.all([
      chain.deployChannel(node.address, bob),
      other.deployChannel(node.address, bob),
    ]);
    expect(ours.channelAddress).toBe(theirs.channelAddress);
    expect(await chain.isDeployed(ours.channelAddress)).toBe(true);
    // One deployment landed; the loser's call (if it sent one) reverted and was swallowed.
    expect([ours, theirs].filter((r) => r.transactionHash)).toHaveLength(1);
  });
});

describe("depositAlice", () => {
  test("in ETH: through the factory while counterfactual, then on the channel", async () => {
    const bob = Wallet.createRandom().address;
    const channelAddress = chain.channelAddress(node.address, bob);

    const first = await chain.depositAlice({
      alice: node.address,
      bob,
      assetId: ETH,
      amount: 1_000n,
    });
    expect(first.channelAddress).toBe(channelAddress);
    expect(await sentTo(first.transactionHash)).toBe(fixture.book.channelFactory);
    expect(await chain.isDeployed(channelAddress)).toBe(true);
    expect(await chain.readDeposits(channelAddress, ETH)).toEqual({
      totalDepositsAlice: 1_000n,
      totalDepositsBob: 0n,
    });

    const second = await chain.depositAlice({
      alice: node.address,
      bob,
      assetId: ETH,
      amount: 500n,
    });
    expect(await sentTo(second.transactionHash)).toBe(channelAddress);
    expect((await chain.readDeposits(channelAddress, ETH)).totalDepositsAlice).toBe(1_500n);
  });

  test("in tokens: approves the factory, then the channel", async () => {
    const bob = Wallet.createRandom().address;
    const channelAddress = chain.channelAddress(node.address, bob);
    const erc20 = TestToken__factory.connect(token, fixture.provider);

    const first = await chain.depositAlice({
      alice: node.address,
      bob,
      assetId: token,
      amount: 300n,
    });
    expect(await sentTo(first.transactionHash)).toBe(fixture.book.channelFactory);
    const second = await chain.depositAlice({
      alice: node.address,
      bob,
      assetId: token,
      amount: 200n,
    });
    expect(await sentTo(second.transactionHash)).toBe(channelAddress);

    expect(await chain.readDeposits(channelAddress, token)).toEqual({
      totalDepositsAlice: 500n,
      totalDepositsBob: 0n,
    });
    expect(await chain.balanceOf(token, channelAddress)).toBe(500n);
    // Each approval was spent in full.
    expect(await erc20.allowance(node.address, fixture.book.channelFactory)).toBe(0n);
    expect(await erc20.allowance(node.address, channelAddress)).toBe(0n);
    const rows = await chain.transactions.list({ channelAddress });
    expect(rows.map((row) => row.purpose).reverse()).toEqual([
      "approve",
      "deposit",
      "approve",
      "deposit",
    ]);
    expect(rows.every((row) => row.status === "mined")).toBe(true);
  });

  test("ten concurrent deposits all mine, with distinct nonces, each recorded", async () => {
    const bob = Wallet.createRandom().address;
    const channelAddress = chain.channelAddress(node.address, bob);
    const amounts = Array.from({ length: 10 }, (_, i) => BigInt(100 + i));

    const results = await Promise.all(
      amounts.map((amount) =>
        chain.depositAlice({ alice: node.address, bob, assetId: ETH, amount }),
      ),
    );

    expect(new Set(results.map((r) => r.transactionHash)).size).toBe(10);
    const total = amounts.reduce((sum, amount) => sum + amount, 0n);
    expect((await chain.readDeposits(channelAddress, ETH)).totalDepositsAlice).toBe(total);
    const rows = await chain.transactions.list({ channelAddress });
    expect(rows).toHaveLength(10);
    expect(rows.every((row) => row.status === "mined" && row.purpose === "deposit")).toBe(true);
    expect(new Set(rows.map((row) => row.nonce)).size).toBe(10);
    for (const { transactionHash } of results) {
      expect((await fixture.provider.getTransactionReceipt(transactionHash))?.status).toBe(1);
    }
  });

  test("concurrent token deposits through one spender do not overwrite each other's approval", async () => {
    const bob = Wallet.createRandom().address;
    const channelAddress = chain.channelAddress(node.address, bob);
    await chain.deployChannel(node.address, bob);
    await Promise.all(
      [10n, 20n, 30n].map((amount) =>
        chain.depositAlice({ alice: node.address, bob, assetId: token, amount }),
      ),
    );
    expect((await chain.readDeposits(channelAddress, token)).totalDepositsAlice).toBe(60n);
  });

  test("recovers after the node's nonce was used by another wallet with the same key", async () => {
    const bob = Wallet.createRandom().address;
    const channelAddress = chain.channelAddress(node.address, bob);
    await chain.depositAlice({ alice: node.address, bob, assetId: ETH, amount: 1n });
    const sameKey = devAccount(1, fixture.provider);
    await (await sameKey.sendTransaction({ to: sameKey.address, value: 0n })).wait();

    const after = await chain.depositAlice({ alice: node.address, bob, assetId: ETH, amount: 2n });
    expect((await fixture.provider.getTransactionReceipt(after.transactionHash))?.status).toBe(1);
    expect((await chain.readDeposits(channelAddress, ETH)).totalDepositsAlice).toBe(3n);
    const [latest] = await chain.transactions.list({ channelAddress, limit: 1 });
    expect(latest?.attempts).toBe(2);
  });

  test("refuses a zero amount", async () => {
    const bob = Wallet.createRandom().address;
    await expectChainError(
      chain.depositAlice({ alice: node.address, bob, assetId: ETH, amount: 0n }),
      "INVALID_REQUEST",
    );
  });
});

describe("readDeposits", () => {
  test("counts bob's plain transfers before and after deployment", async () => {
    const bob = await newBob();
    const channelAddress = chain.channelAddress(node.address, bob.address);
    const bobToken = TestToken__factory.connect(token, bob);

    expect(await chain.readDeposits(channelAddress, ETH)).toEqual({
      totalDepositsAlice: 0n,
      totalDepositsBob: 0n,
    });
    await (await bob.sendTransaction({ to: channelAddress, value: 777n })).wait();
    await (await bobToken.transfer(channelAddress, 55n)).wait();
    expect(await chain.isDeployed(channelAddress)).toBe(false);
    expect(await chain.readDeposits(channelAddress, ETH)).toEqual({
      totalDepositsAlice: 0n,
      totalDepositsBob: 777n,
    });
    expect((await chain.readDeposits(channelAddress, token)).totalDepositsBob).toBe(55n);

    await chain.deployChannel(node.address, bob.address);
    expect(await chain.readDeposits(channelAddress, ETH)).toEqual({
      totalDepositsAlice: 0n,
      totalDepositsBob: 777n,
    });
    await (await bob.sendTransaction({ to: channelAddress, value: 23n })).wait();
    await chain.depositAlice({ alice: node.address, bob: bob.address, assetId: ETH, amount: 100n });
    expect(await chain.readDeposits(channelAddress, ETH)).toEqual({
      totalDepositsAlice: 100n,
      totalDepositsBob: 800n,
    });
    expect((await chain.readDeposits(channelAddress, token)).totalDepositsBob).toBe(55n);
  });
});

describe("withdraw", () => {
  const sign = (wallet: HDNodeWallet, digest: string) => wallet.signingKey.sign(digest).serialized;

  test("deploys the channel, pays a doubly-signed commitment, then reports it already executed", async () => {
    const bob = await newBob();
    const channelAddress = chain.channelAddress(node.address, bob.address);
    await (await bob.sendTransaction({ to: channelAddress, value: 1_000n })).wait();
    const commitment: WithdrawData = {
      channelAddress,
      assetId: ETH,
      recipient: Wallet.createRandom().address,
      amount: 400n,
      nonce: 1n,
    };
    const digest = withdrawDigest(commitment, fixture.book.chainId);
    const params = {
      alice: node.address,
      bob: bob.address,
      commitment,
      aliceSignature: sign(node, digest),
      bobSignature: sign(bob, digest),
    };

    const paid = await chain.withdraw(params);
    expect(paid.alreadyExecuted).toBe(false);
    expect(paid.transactionHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(await chain.balanceOf(ETH, commitment.recipient)).toBe(400n);
    const channel = ChannelMastercopy__factory.connect(channelAddress, fixture.provider);
    expect(await channel.withdrawDigest(commitment)).toBe(digest);
    expect(await channel.isWithdrawalExecuted(digest)).toBe(true);

    const again = await chain.withdraw(params);
    expect(again).toEqual({ channelAddress, alreadyExecuted: true });
    expect(await chain.balanceOf(ETH, commitment.recipient)).toBe(400n);
    const rows = await chain.transactions.list({ channelAddress });
    expect(rows.map((row) => [row.purpose, row.status]).reverse()).toEqual([
      ["deploy", "mined"],
      ["withdraw", "mined"],
    ]);
  });

  test("a forged signature reverts: TRANSACTION_REVERTED naming InvalidSignature, row failed", async () => {
    const bob = await newBob();
    const channelAddress = chain.channelAddress(node.address, bob.address);
    await (await bob.sendTransaction({ to: channelAddress, value: 1_000n })).wait();
    const commitment: WithdrawData = {
      channelAddress,
      assetId: ETH,
      recipient: bob.address,
      amount: 1_000n,
      nonce: 1n,
    };
    const digest = withdrawDigest(commitment, fixture.book.chainId);
    const forger = Wallet.createRandom();

    const error = await expectChainError(
      chain.withdraw({
        alice: node.address,
        bob: bob.address,
        commitment,
        aliceSignature: sign(node, digest),
        bobSignature: sign(forger, digest),
      }),
      "TRANSACTION_REVERTED",
    );
    expect(error.context.revert).toBe(`InvalidSignature(${bob.address})`);
    const [row] = await chain.transactions.list({ channelAddress, limit: 1 });
    expect(row).toMatchObject({ purpose: "withdraw", status: "failed" });
    expect(row?.error).toContain("InvalidSignature");
    expect(await chain.balanceOf(ETH, channelAddress)).toBe(1_000n);
  });

  test("a commitment for another channel is refused before anything is sent", async () => {
    const bob = Wallet.createRandom().address;
    const elsewhere = chain.channelAddress(node.address, Wallet.createRandom().address);
    await expectChainError(
      chain.withdraw({
        alice: node.address,
        bob,
        commitment: {
          channelAddress: elsewhere,
          assetId: ETH,
          recipient: bob,
          amount: 1n,
          nonce: 1n,
        },
        aliceSignature: "0x",
        bobSignature: "0x",
      }),
      "INVALID_REQUEST",
    );
    expect(await chain.isDeployed(chain.channelAddress(node.address, bob))).toBe(false);
  });
});

describe("balances and network", () => {
  test("reports the node's address and balances", async () => {
    expect(chain.address).toBe(node.address);
    expect(await chain.nativeBalance()).toBe(await fixture.provider.getBalance(node.address));
    const erc20 = TestToken__factory.connect(token, fixture.provider);
    expect(await chain.balanceOf(token, node.address)).toBe(await erc20.balanceOf(node.address));
  });

  test("refuses to send on another chain than the address book's", async () => {
    const wrong = service(devAccount(3, fixture.provider), { ...fixture.book, chainId: 1 });
    await expectChainError(
      wrong.depositAlice({
        alice: node.address,
        bob: Wallet.createRandom().address,
        assetId: ETH,
        amount: 1n,
      }),
      "WRONG_NETWORK",
    );
  });
});
