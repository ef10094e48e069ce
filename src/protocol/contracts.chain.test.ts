import { afterAll, beforeAll, expect, test } from "bun:test";
import { hexlify, JsonRpcProvider, randomBytes, ZeroAddress } from "ethers";
import {
  ChannelFactory__factory,
  type ChannelMastercopy,
  ChannelMastercopy__factory,
  deployContracts,
  devAccount,
} from "../contracts-bindings";
import { type Anvil, startAnvil } from "../node/chain/anvil";
import { channelAddressFor } from "./channelAddress";
import {
  channelStateDigest,
  channelStateHash,
  transferResolutionDigest,
  transferStateHash,
  withdrawDigest,
} from "./hashing";
import { MerkleTree } from "./merkle";
import { privateKeySigner } from "./signatures";
import {
  randomAddress,
  randomBytes32,
  randomChannelState,
  randomTransferState,
  randomUint,
} from "./testing/random";
import type { CoreChannelState, CoreTransferState } from "./types";

// The contract is the ground truth: the TypeScript hashes must equal its views byte for byte.

let anvil: Anvil;
let provider: JsonRpcProvider;
let channel: ChannelMastercopy;
let channelAddress: string;
let book: Awaited<ReturnType<typeof deployContracts>>;

beforeAll(async () => {
  anvil = await startAnvil();
  provider = new JsonRpcProvider(anvil.rpcUrl, undefined, {
    staticNetwork: true,
    cacheTimeout: -1,
  });
  const deployer = devAccount(0, provider);
  book = await deployContracts(deployer);
  const factory = ChannelFactory__factory.connect(book.channelFactory, deployer);
  const [alice, bob] = [devAccount(1).address, devAccount(2).address];
  await (await factory.createChannel(alice, bob)).wait();
  channelAddress = await factory.getChannelAddress(alice, bob);
  channel = ChannelMastercopy__factory.connect(channelAddress, provider);
});

afterAll(async () => {
  provider?.destroy();
  await anvil?.stop();
});

const randomState = (assets: number) =>
  randomChannelState(assets, Math.random() < 0.5 ? channelAddress : randomAddress());
const randomTransfer = () => randomTransferState();

test("channel state digests and hashes equal the contract's for 240 random states", async () => {
  const states = Array.from({ length: 240 }, (_, i) => randomState(i % 6));
  const onChain = await Promise.all(
    states.map(async (state) => [
      await channel.channelStateDigest(state),
      await channel.channelStateHash(state),
    ]),
  );
  states.forEach((state, i) => {
    expect([
      channelStateDigest(state, anvil.chainId, channelAddress),
      channelStateHash(state),
    ]).toEqual(onChain[i] as string[]);
  });
});

test("transfer state hashes equal the contract's for 200 random transfers", async () => {
  const transfers = Array.from({ length: 200 }, randomTransfer);
  const onChain = await Promise.all(
    transfers.map((transfer) => channel.transferStateHash(transfer)),
  );
  transfers.forEach((transfer, i) => {
    expect(transferStateHash(transfer)).toBe(onChain[i] as string);
  });
});

test("withdrawal and transfer-resolution digests equal the contract's", async () => {
  for (let i = 0; i < 50; i++) {
    const data = {
      channelAddress: randomAddress(),
      assetId: randomAddress(),
      recipient: randomAddress(),
      amount: randomUint(),
      nonce: randomUint(),
    };
    expect(withdrawDigest(data, anvil.chainId, channelAddress)).toBe(
      await channel.withdrawDigest(data),
    );
    const transferId = randomBytes32();
    const resolver = hexlify(randomBytes(i * 7));
    expect(transferResolutionDigest(transferId, resolver, anvil.chainId, channelAddress)).toBe(
      await channel.transferResolutionDigest(transferId, resolver),
    );
  }
});

test("channel addresses equal the factory's CREATE2 prediction", async () => {
  const factory = ChannelFactory__factory.connect(book.channelFactory, provider);
  const network = {
    chainId: anvil.chainId,
    channelFactoryAddress: book.channelFactory,
    channelMastercopyAddress: book.channelMastercopy,
    transferRegistryAddress: book.transferRegistry,
  };
  for (let i = 0; i < 20; i++) {
    const [alice, bob] = [randomAddress(), randomAddress()];
    expect(channelAddressFor(alice, bob, network)).toBe(
      await factory.getChannelAddress(alice, bob),
    );
  }
});

test("the channel accepts every merkle proof of the TypeScript tree in a dispute", async () => {
  const [alice, bob] = [devAccount(1), devAccount(2)];
  // The transfers' asset is in the state: a transfer is disputed only once its asset has been
  // defunded in the same dispute round.
  const transfers = Array.from({ length: 7 }, () => ({
    ...randomTransfer(),
    channelAddress,
    assetId: ZeroAddress,
  }));
  const tree = new MerkleTree(transfers.map(transferStateHash));
  tree.remove(transferStateHash(transfers[2] as CoreTransferState)); // exercise the incremental path
  const active = transfers.filter((_, i) => i !== 2);

  const state: CoreChannelState = {
    channelAddress,
    alice: alice.address,
    bob: bob.address,
    assetIds: [ZeroAddress],
    balances: [{ to: [alice.address, bob.address], amount: [0n, 0n] }],
    processedDepositsA: [0n],
    processedDepositsB: [0n],
    defundNonces: [1n],
    timeout: 60,
    nonce: 5,
    merkleRoot: tree.root(),
  };
  const digest = channelStateDigest(state, anvil.chainId);
  const signatures = await Promise.all(
    [alice, bob].map((wallet) => privateKeySigner(wallet.privateKey).signDigest(digest)),
  );
  const submitter = channel.connect(devAccount(3, provider));
  await (
    await submitter.disputeChannel(state, signatures[0] as string, signatures[1] as string)
  ).wait();
  await provider.send("evm_increaseTime", [60]);
  await provider.send("evm_mine", []);
  const first = active[0] as CoreTransferState;
  await expect(
    submitter.disputeTransfer.staticCall(first, tree.proof(transferStateHash(first))),
  ).rejects.toThrow(/AssetNotDefundedThisRound/);
  await (await submitter.defundChannel(state, [ZeroAddress], [0])).wait();

  for (const transfer of active) {
    await (
      await submitter.disputeTransfer(transfer, tree.proof(transferStateHash(transfer)))
    ).wait();
    expect((await channel.getTransferDispute(transfer.transferId)).transferStateHash).toBe(
      transferStateHash(transfer),
    );
  }
  // The removed transfer has no proof against this root.
  const removed = transfers[2] as CoreTransferState;
  await expect(
    submitter.disputeTransfer.staticCall(
      removed,
      tree.proof(transferStateHash(active[0] as CoreTransferState)),
    ),
  ).rejects.toThrow(/TransferNotInMerkleRoot/);
});
