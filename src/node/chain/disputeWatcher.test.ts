import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Provider } from "ethers";
import {
  ChannelFactory__factory,
  ChannelMastercopy__factory,
  devAccount,
} from "../../contracts-bindings";
import {
  type CoreChannelState,
  channelAddressFor,
  channelStateDigest,
  EMPTY_ROOT,
  privateKeySigner,
} from "../../protocol";
import { DisputeRepository } from "../store/disputes";
import { DisputeWatcher } from "./disputeWatcher";
import { type ChainFixture, memoryLogger, startChainFixture } from "./testing/chainFixture";

let chain: ChainFixture;
const alice = devAccount(1);

beforeAll(async () => {
  chain = await startChainFixture();
}, 60_000);

afterAll(async () => {
  await chain?.close();
});

/** Deploys alice's channel with `bob` and records a dispute of its first state. */
async function disputeChannelWith(bobIndex: number): Promise<string> {
  const bob = devAccount(bobIndex);
  const network = {
    chainId: chain.book.chainId,
    channelFactoryAddress: chain.book.channelFactory,
    channelMastercopyAddress: chain.book.channelMastercopy,
    transferRegistryAddress: chain.book.transferRegistry,
  };
  const channelAddress = channelAddressFor(alice.address, bob.address, network);
  const sender = devAccount(3, chain.provider);
  const factory = ChannelFactory__factory.connect(chain.book.channelFactory, sender);
  await (await factory.createChannel(alice.address, bob.address)).wait();
  const state: CoreChannelState = {
    channelAddress,
    alice: alice.address,
    bob: bob.address,
    assetIds: [],
    balances: [],
    processedDepositsA: [],
    processedDepositsB: [],
    defundNonces: [],
    timeout: 3600,
    nonce: 2,
    merkleRoot: EMPTY_ROOT,
  };
  const digest = channelStateDigest(state, chain.book.chainId);
  const [a, b] = await Promise.all(
    [alice, bob].map((wallet) => privateKeySigner(wallet.privateKey).signDigest(digest)),
  );
  const channel = ChannelMastercopy__factory.connect(channelAddress, sender);
  await (await channel.disputeChannel(state, a as string, b as string)).wait();
  return channelAddress;
}

describe("the dispute watcher", () => {
  test("finds disputes of its own channels from the logs, and remembers them across restarts", async () => {
    const ours = await disputeChannelWith(4);
    const theirs = await disputeChannelWith(5);
    const records = new DisputeRepository(chain.database.db);
    const seen: string[] = [];
    const options = {
      provider: chain.provider,
      records,
      isOurs: (address: string) => address === ours,
      onActivity: (address: string) => seen.push(address),
      intervalMs: 60_000,
      logger: memoryLogger().logger,
    };
    const watcher = new DisputeWatcher(options);
    await watcher.start();
    expect(watcher.inDispute(ours)).toBe(true);
    expect(watcher.inDispute(theirs)).toBe(false);
    expect(seen).toContain(ours);
    expect(seen).not.toContain(theirs);
    await watcher.stop();

    // A new process starts from the stored cursor and its stored disputes.
    const again = new DisputeWatcher({ ...options, onActivity: () => {} });
    await again.start();
    expect(again.disputedChannels()).toEqual([ours]);
    await again.stop();
  }, 60_000);

  test("asks for smaller block ranges when the RPC refuses a large one", async () => {
    const ours = await disputeChannelWith(6);
    const ranges: number[] = [];
    // An RPC that refuses log queries over 3 blocks, as public RPCs cap them.
    const provider = {
      getBlockNumber: () => chain.provider.getBlockNumber(),
      getLogs: async (filter: { fromBlock: number; toBlock: number }) => {
        const span = filter.toBlock - filter.fromBlock + 1;
        ranges.push(span);
        if (span > 3) throw new Error("block range too large");
        return chain.provider.getLogs(filter);
      },
    } as unknown as Provider;
    const { logger } = memoryLogger();
    const watcher = new DisputeWatcher({
      provider,
      records: {
        disputedChannels: async () => [],
        markDisputed: async () => {},
        markResumed: async () => {},
        resumedRound: async () => undefined,
        cursor: async () => undefined,
        saveCursor: async () => {},
      },
      isOurs: (address) => address === ours,
      onActivity: () => {},
      intervalMs: 60_000,
      logger,
      maxBlockRange: 64,
    });
    await watcher.start();
    expect(watcher.inDispute(ours)).toBe(true);
    expect(ranges.some((span) => span > 3)).toBe(true);
    expect(ranges.at(-1)).toBeLessThanOrEqual(3);
    await watcher.stop();
  }, 60_000);
});
