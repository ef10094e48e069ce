import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { JsonRpcProvider, parseEther, Wallet, ZeroAddress } from "ethers";
import {
  type AddressBook,
  ChannelFactory__factory,
  deployContracts,
  devAccount,
  readChannelDeposits,
  type TestToken,
  TestToken__factory,
} from "../../contracts-bindings";
import { type Anvil, startAnvil } from "../../node/chain/anvil";
import { depositAsBob } from "./deposit";
import { ClientChainError, type ClientChainErrorCode } from "./errors";

let anvil: Anvil;
let provider: JsonRpcProvider;
let book: AddressBook;
let token: TestToken;
let tokenAddress: string;
const alice = devAccount(1);

beforeAll(async () => {
  anvil = await startAnvil();
  provider = new JsonRpcProvider(anvil.rpcUrl, undefined, {
    staticNetwork: true,
    pollingInterval: 50,
    cacheTimeout: -1, // balances are read right after each transaction
  });
  book = await deployContracts(devAccount(0, provider), { testToken: true });
  token = TestToken__factory.connect(book.testToken as string, devAccount(0, provider));
  tokenAddress = await token.getAddress();
});

afterAll(async () => {
  provider?.destroy();
  await anvil?.stop();
});

/** A fresh user with `eth` wei and `tokens` test tokens, and its channel address with alice. */
async function freshBob(eth: bigint, tokens: bigint) {
  const bob = Wallet.createRandom().connect(provider);
  const funder = devAccount(0, provider);
  if (eth > 0n) await (await funder.sendTransaction({ to: bob.address, value: eth })).wait();
  if (tokens > 0n) await (await token.mint(bob.address, tokens)).wait();
  const factory = ChannelFactory__factory.connect(book.channelFactory, provider);
  const channelAddress = await factory.getChannelAddress(alice.address, bob.address);
  return { bob, channelAddress };
}

async function expectChainError(
  run: () => Promise<unknown>,
  code: ClientChainErrorCode,
): Promise<ClientChainError> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(ClientChainError);
    expect((error as ClientChainError).code).toBe(code);
    return error as ClientChainError;
  }
  throw new Error(`expected ClientChainError ${code}, nothing was thrown`);
}

describe("depositAsBob", () => {
  test("ETH and token into a counterfactual channel; deployment keeps the totals", async () => {
    const { bob, channelAddress } = await freshBob(parseEther("1"), 1_000n);
    expect(await provider.getCode(channelAddress)).toBe("0x");

    const eth = await depositAsBob({
      signer: bob,
      channelAddress,
      assetId: ZeroAddress,
      amount: parseEther("0.25"),
    });
    const tokens = await depositAsBob({
      signer: bob,
      channelAddress,
      assetId: tokenAddress,
      amount: 400n,
    });
    for (const { transactionHash } of [eth, tokens]) {
      const receipt = await provider.getTransactionReceipt(transactionHash);
      expect(receipt?.status).toBe(1);
      expect(receipt?.from).toBe(bob.address);
    }
    expect(await token.balanceOf(bob.address)).toBe(600n);

    const before = {
      eth: await readChannelDeposits(provider, channelAddress, ZeroAddress),
      token: await readChannelDeposits(provider, channelAddress, tokenAddress),
    };
    expect(before.eth).toEqual({ totalDepositsAlice: 0n, totalDepositsBob: parseEther("0.25") });
    expect(before.token).toEqual({ totalDepositsAlice: 0n, totalDepositsBob: 400n });

    // The node (alice's side) deploys the channel; nothing bob deposited moves or changes.
    const factory = ChannelFactory__factory.connect(book.channelFactory, alice.connect(provider));
    await (await factory.createChannel(alice.address, bob.address)).wait();
    expect(await provider.getCode(channelAddress)).not.toBe("0x");
    expect(await readChannelDeposits(provider, channelAddress, ZeroAddress)).toEqual(before.eth);
    expect(await readChannelDeposits(provider, channelAddress, tokenAddress)).toEqual(before.token);

    // Into the deployed channel, the same plain transfers add up.
    await depositAsBob({ signer: bob, channelAddress, assetId: ZeroAddress, amount: 5n });
    await depositAsBob({ signer: bob, channelAddress, assetId: tokenAddress, amount: 600n });
    expect(await readChannelDeposits(provider, channelAddress, ZeroAddress)).toEqual({
      totalDepositsAlice: 0n,
      totalDepositsBob: parseEther("0.25") + 5n,
    });
    expect(await readChannelDeposits(provider, channelAddress, tokenAddress)).toEqual({
      totalDepositsAlice: 0n,
      totalDepositsBob: 1_000n,
    });
  });

  test("more than the balance is refused before anything is sent, naming asset, amount and balance", async () => {
    const { bob, channelAddress } = await freshBob(parseEther("0.01"), 50n);
    const nonce = await provider.getTransactionCount(bob.address);

    const tokenError = await expectChainError(
      () => depositAsBob({ signer: bob, channelAddress, assetId: tokenAddress, amount: 51n }),
      "INSUFFICIENT_BALANCE",
    );
    expect(tokenError.message).toContain(tokenAddress);
    expect(tokenError.message).toContain("51");
    expect(tokenError.message).toContain("50");
    expect(tokenError.context).toMatchObject({ assetId: tokenAddress, amount: 51n, balance: 50n });

    const ethError = await expectChainError(
      () =>
        depositAsBob({
          signer: bob,
          channelAddress,
          assetId: ZeroAddress,
          amount: parseEther("1"),
        }),
      "INSUFFICIENT_BALANCE",
    );
    expect(ethError.message).toContain("ETH");
    expect(ethError.message).toContain(parseEther("1").toString());
    expect(ethError.message).toContain(parseEther("0.01").toString());

    expect(await provider.getTransactionCount(bob.address)).toBe(nonce);
    expect(await provider.getBalance(bob.address)).toBe(parseEther("0.01"));
    expect(await readChannelDeposits(provider, channelAddress, tokenAddress)).toEqual({
      totalDepositsAlice: 0n,
      totalDepositsBob: 0n,
    });
  });

  test("the whole ETH balance leaves nothing for gas: INSUFFICIENT_BALANCE, nothing sent", async () => {
    const { bob, channelAddress } = await freshBob(1_000_000n, 0n);
    await expectChainError(
      () => depositAsBob({ signer: bob, channelAddress, assetId: ZeroAddress, amount: 1_000_000n }),
      "INSUFFICIENT_BALANCE",
    );
    expect(await provider.getTransactionCount(bob.address)).toBe(0);
  });

  test("bad requests: zero amount, bad addresses, no provider, an asset that is not a token", async () => {
    const { bob, channelAddress } = await freshBob(parseEther("0.01"), 0n);
    const deposit = { signer: bob, channelAddress, assetId: ZeroAddress, amount: 1n };
    await expectChainError(() => depositAsBob({ ...deposit, amount: 0n }), "INVALID_REQUEST");
    await expectChainError(() => depositAsBob({ ...deposit, amount: -1n }), "INVALID_REQUEST");
    await expectChainError(
      () => depositAsBob({ ...deposit, channelAddress: "0x1234" }),
      "INVALID_REQUEST",
    );
    await expectChainError(
      () => depositAsBob({ ...deposit, signer: Wallet.createRandom() }),
      "NO_PROVIDER",
    );
    await expectChainError(
      () => depositAsBob({ ...deposit, assetId: Wallet.createRandom().address }),
      "NOT_A_TOKEN",
    );
    await expectChainError(
      () => depositAsBob({ ...deposit, assetId: book.channelFactory }),
      "NOT_A_TOKEN",
    );
    expect(await provider.getTransactionCount(bob.address)).toBe(0);
  });
});
