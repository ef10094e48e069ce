import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { JsonRpcProvider, type Signer, TypedDataEncoder, Wallet } from "ethers";
import { type Anvil, startAnvil } from "../node/chain/anvil";
import {
  type AddressBook,
  ChannelFactory__factory,
  type ChannelMastercopy,
  ChannelMastercopy__factory,
  deployContracts,
  devAccount,
  type TestToken,
  TestToken__factory,
  TransferRegistry__factory,
} from ".";

const ETH = "0x0000000000000000000000000000000000000000";
const WITHDRAW_TYPES = {
  WithdrawData: [
    { name: "channelAddress", type: "address" },
    { name: "assetId", type: "address" },
    { name: "recipient", type: "address" },
    { name: "amount", type: "uint256" },
    { name: "nonce", type: "uint256" },
  ],
};

let anvil: Anvil;
let provider: JsonRpcProvider;
let book: AddressBook;
let deployer: Signer;

beforeAll(async () => {
  anvil = await startAnvil();
  provider = new JsonRpcProvider(anvil.rpcUrl, undefined, {
    staticNetwork: true,
    pollingInterval: 50,
    cacheTimeout: -1, // balances are read right after each transaction
  });
  deployer = devAccount(0, provider);
  book = await deployContracts(deployer, { testToken: true });
});

afterAll(async () => {
  provider?.destroy();
  await anvil?.stop();
});

describe("deployContracts", () => {
  test("deploys the set and registers the transfer definitions", async () => {
    expect(book.chainId).toBe(anvil.chainId);
    for (const address of Object.values(book).filter((v) => typeof v === "string")) {
      expect(await provider.getCode(address as string)).not.toBe("0x");
    }
    const registry = TransferRegistry__factory.connect(book.transferRegistry, provider);
    const definitions = await registry.getTransferDefinitions();
    expect(definitions.map((d) => [d.name, d.definition])).toEqual([
      ["HashlockTransfer", book.hashlockTransfer],
      ["Withdraw", book.withdraw],
      ["ThreadTransfer", book.threadTransfer],
    ]);
    const factory = ChannelFactory__factory.connect(book.channelFactory, provider);
    expect(await factory.getMastercopy()).toBe(book.channelMastercopy);
  });
});

describe("a channel on anvil", () => {
  const alice = devAccount(1);
  const bob = devAccount(2);
  let channel: ChannelMastercopy;
  let token: TestToken;

  beforeAll(async () => {
    const aliceSigner = alice.connect(provider);
    const bobSigner = bob.connect(provider);
    const factory = ChannelFactory__factory.connect(book.channelFactory, aliceSigner);
    const channelAddress = await factory.getChannelAddress(alice.address, bob.address);

    // Bob deposits into the counterfactual address, before the channel exists.
    await (await bobSigner.sendTransaction({ to: channelAddress, value: 2_000_000_000n })).wait();
    await (
      await factory.createChannelAndDepositAlice(alice.address, bob.address, ETH, 3_000_000_000n, {
        value: 3_000_000_000n,
      })
    ).wait();
    channel = ChannelMastercopy__factory.connect(channelAddress, provider);

    token = TestToken__factory.connect(book.testToken as string, aliceSigner);
    await (await token.mint(alice.address, 500n)).wait();
    await (await token.mint(bob.address, 700n)).wait();
    await (await token.approve(channelAddress, 500n)).wait();
    await (await channel.connect(aliceSigner).depositAlice(await token.getAddress(), 500n)).wait();
    await (await token.connect(bobSigner).transfer(channelAddress, 700n)).wait();
  });

  test("counts deposits from both sides, native coin and token", async () => {
    expect(await channel.getAlice()).toBe(alice.address);
    expect(await channel.getBob()).toBe(bob.address);
    expect(await channel.getTotalDepositsAlice(ETH)).toBe(3_000_000_000n);
    expect(await channel.getTotalDepositsBob(ETH)).toBe(2_000_000_000n);
    expect(await channel.getTotalDepositsAlice(await token.getAddress())).toBe(500n);
    expect(await channel.getTotalDepositsBob(await token.getAddress())).toBe(700n);
  });

  test("pays a doubly-signed withdrawal to an outside address, once", async () => {
    const recipient = Wallet.createRandom().address;
    const channelAddress = await channel.getAddress();
    const domain = {
      name: "Connext",
      version: "2",
      chainId: anvil.chainId,
      verifyingContract: channelAddress,
    };
    const submitter = devAccount(3, provider);

    for (const [assetId, amount] of [
      [ETH, 1_234_567_891n],
      [await token.getAddress(), 321n],
    ] as const) {
      const wd = { channelAddress, assetId, recipient, amount, nonce: 7n };
      // The TypeScript digest and the contract's are the same bytes.
      expect(await channel.withdrawDigest(wd)).toBe(
        TypedDataEncoder.hash(domain, WITHDRAW_TYPES, wd),
      );
      const aliceSignature = await alice.signTypedData(domain, WITHDRAW_TYPES, wd);
      const bobSignature = await bob.signTypedData(domain, WITHDRAW_TYPES, wd);
      const heldBefore = await balanceOf(assetId, channelAddress);

      await (await channel.connect(submitter).withdraw(wd, aliceSignature, bobSignature)).wait();

      expect(await balanceOf(assetId, recipient)).toBe(amount);
      expect(await balanceOf(assetId, channelAddress)).toBe(heldBefore - amount);
      expect(await channel.getTotalTransferred(assetId)).toBe(amount);
      // Withdrawals do not change what either side deposited.
      expect(await channel.getTotalDepositsBob(assetId)).toBe(
        assetId === ETH ? 2_000_000_000n : 700n,
      );

      const replay = channel.connect(submitter).withdraw(wd, aliceSignature, bobSignature);
      expect(await revertName(replay)).toBe("WithdrawalAlreadyExecuted");
      expect(await balanceOf(assetId, recipient)).toBe(amount);
    }
  });

  /** The custom error a call reverted with, decoded with the channel's ABI. */
  async function revertName(call: Promise<unknown>): Promise<string | undefined> {
    try {
      await call;
    } catch (error) {
      const data = (error as { data?: string }).data;
      return data ? channel.interface.parseError(data)?.name : undefined;
    }
    throw new Error("the call did not revert");
  }

  async function balanceOf(assetId: string, who: string): Promise<bigint> {
    return assetId === ETH ? provider.getBalance(who) : token.balanceOf(who);
  }
});
