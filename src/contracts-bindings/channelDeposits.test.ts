import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { JsonRpcProvider, Wallet, ZeroAddress } from "ethers";
import { type Anvil, startAnvil } from "../node/chain/anvil";
import { freePort } from "../node/net/freePort";
import {
  type AddressBook,
  ChannelDepositsError,
  type ChannelDepositsErrorCode,
  ChannelFactory__factory,
  ChannelMastercopy__factory,
  confirmedBlock,
  deployContracts,
  devAccount,
  readChannelDeposits,
  type TestToken,
  TestToken__factory,
} from ".";

let anvil: Anvil;
let provider: JsonRpcProvider;
let book: AddressBook;
let token: TestToken;
const alice = devAccount(1);
const bob = devAccount(2);

beforeAll(async () => {
  anvil = await startAnvil();
  provider = new JsonRpcProvider(anvil.rpcUrl, undefined, {
    staticNetwork: true,
    pollingInterval: 50,
    cacheTimeout: -1, // balances are read right after each transaction
  });
  book = await deployContracts(devAccount(0, provider), { testToken: true });
  token = TestToken__factory.connect(book.testToken as string, devAccount(0, provider));
  await (await token.mint(alice.address, 1_000n)).wait();
  await (await token.mint(bob.address, 1_000n)).wait();
});

afterAll(async () => {
  provider?.destroy();
  await anvil?.stop();
});

async function expectDepositsError(run: () => Promise<unknown>, code: ChannelDepositsErrorCode) {
  let caught: unknown;
  try {
    await run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ChannelDepositsError);
  expect((caught as ChannelDepositsError).code).toBe(code);
}

describe("readChannelDeposits", () => {
  test("counterfactual, then deployed: bob's sends count for bob, alice's deposits for alice", async () => {
    const aliceSigner = alice.connect(provider);
    const bobSigner = bob.connect(provider);
    const factory = ChannelFactory__factory.connect(book.channelFactory, aliceSigner);
    const channel = await factory.getChannelAddress(alice.address, bob.address);
    const tokenAddress = await token.getAddress();

    expect(await readChannelDeposits(provider, channel, ZeroAddress)).toEqual({
      totalDepositsAlice: 0n,
      totalDepositsBob: 0n,
    });
    const beforeAnyDeposit = await provider.getBlockNumber();

    await (await bobSigner.sendTransaction({ to: channel, value: 5_000n })).wait();
    await (await token.connect(bobSigner).transfer(channel, 300n)).wait();
    expect(await provider.getCode(channel)).toBe("0x");
    expect(await readChannelDeposits(provider, channel, ZeroAddress)).toEqual({
      totalDepositsAlice: 0n,
      totalDepositsBob: 5_000n,
    });
    expect(await readChannelDeposits(provider, channel, tokenAddress.toLowerCase())).toEqual({
      totalDepositsAlice: 0n,
      totalDepositsBob: 300n,
    });
    const counterfactualBlock = await provider.getBlockNumber();

    // The node deploys with a deposit of its own; then alice deposits the token too.
    await (
      await factory.createChannelAndDepositAlice(alice.address, bob.address, ZeroAddress, 7_000n, {
        value: 7_000n,
      })
    ).wait();
    await (await token.connect(aliceSigner).approve(channel, 200n)).wait();
    const deployed = ChannelMastercopy__factory.connect(channel, aliceSigner);
    await (await deployed.depositAlice(tokenAddress, 200n)).wait();
    expect(await provider.getCode(channel)).not.toBe("0x");

    expect(await readChannelDeposits(provider, channel, ZeroAddress)).toEqual({
      totalDepositsAlice: 7_000n,
      totalDepositsBob: 5_000n,
    });
    expect(await readChannelDeposits(provider, channel, tokenAddress)).toEqual({
      totalDepositsAlice: 200n,
      totalDepositsBob: 300n,
    });

    // Reads pinned to an earlier block see the chain as it was then.
    const atCounterfactual = { blockTag: counterfactualBlock };
    expect(await readChannelDeposits(provider, channel, ZeroAddress, atCounterfactual)).toEqual({
      totalDepositsAlice: 0n,
      totalDepositsBob: 5_000n,
    });
    const atStart = { blockTag: beforeAnyDeposit };
    expect(await readChannelDeposits(provider, channel, tokenAddress, atStart)).toEqual({
      totalDepositsAlice: 0n,
      totalDepositsBob: 0n,
    });
  });

  test("a deposit counts only once it has the confirmations asked for", async () => {
    // Bob's own deposit to a fresh (counterfactual) channel, mined in the head block: it has
    // one confirmation, then one more for each block mined on top of it.
    const carol = devAccount(3).connect(provider);
    const factory = ChannelFactory__factory.connect(book.channelFactory, provider);
    const channel = await factory.getChannelAddress(alice.address, carol.address);
    const receipt = await (await carol.sendTransaction({ to: channel, value: 900n })).wait();
    const mined = receipt?.blockNumber as number;
    expect(await provider.getBlockNumber()).toBe(mined);
    const read = (confirmations: number) =>
      readChannelDeposits(provider, channel, ZeroAddress, { confirmations });
    const credited = { totalDepositsAlice: 0n, totalDepositsBob: 900n };
    const nothing = { totalDepositsAlice: 0n, totalDepositsBob: 0n };

    expect(await read(1)).toEqual(credited);
    expect(await read(3)).toEqual(nothing);
    expect(await confirmedBlock(provider, 3)).toBe(mined - 2);
    await provider.send("evm_mine", []);
    expect(await read(2)).toEqual(credited);
    expect(await read(3)).toEqual(nothing);
    await provider.send("evm_mine", []);
    expect(await read(3)).toEqual(credited);
    expect(await read(4)).toEqual(nothing);
    // Deeper than the chain is long: block 0, where nothing was deposited.
    expect(await confirmedBlock(provider, 1_000_000)).toBe(0);
    expect(await read(1_000_000)).toEqual(nothing);
  });

  test("a depth that is not a whole number from 1, or one beside a block tag, is refused", async () => {
    const channel = Wallet.createRandom().address;
    for (const confirmations of [0, -1, 1.5, Number.NaN]) {
      await expectDepositsError(
        () => readChannelDeposits(provider, channel, ZeroAddress, { confirmations }),
        "INVALID_DEPTH",
      );
    }
    await expectDepositsError(
      () => readChannelDeposits(provider, channel, ZeroAddress, { confirmations: 2, blockTag: 1 }),
      "INVALID_DEPTH",
    );
  });

  test("refuses bad addresses and assets that are not tokens", async () => {
    const channel = Wallet.createRandom().address;
    await expectDepositsError(
      () => readChannelDeposits(provider, "0x1234", ZeroAddress),
      "INVALID_ADDRESS",
    );
    await expectDepositsError(
      () => readChannelDeposits(provider, channel, "eth"),
      "INVALID_ADDRESS",
    );
    const noCode = Wallet.createRandom().address;
    await expectDepositsError(() => readChannelDeposits(provider, channel, noCode), "NOT_A_TOKEN");
    // A contract without balanceOf reverts.
    await expectDepositsError(
      () => readChannelDeposits(provider, channel, book.channelFactory),
      "NOT_A_TOKEN",
    );
  });

  test("an RPC that does not answer is READ_FAILED", async () => {
    // A known network, so ethers does not try (and log) network detection first.
    const dead = new JsonRpcProvider(`http://127.0.0.1:${freePort()}`, anvil.chainId, {
      staticNetwork: true,
    });
    try {
      await expectDepositsError(
        () => readChannelDeposits(dead, Wallet.createRandom().address, ZeroAddress),
        "READ_FAILED",
      );
    } finally {
      dead.destroy();
    }
  });
});
