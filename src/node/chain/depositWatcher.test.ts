import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type HDNodeWallet, Wallet } from "ethers";
import { devAccount } from "../../contracts-bindings";
import { ChainService, NATIVE_ASSET } from "./chainService";
import { type DepositEvent, DepositWatcher } from "./depositWatcher";
import { type ChainFixture, memoryLogger, startChainFixture } from "./testing/chainFixture";

const ETH = NATIVE_ASSET;

let fixture: ChainFixture;
let chain: ChainService;
let node: HDNodeWallet;
let funder: HDNodeWallet;

beforeAll(async () => {
  fixture = await startChainFixture();
  node = devAccount(1, fixture.provider);
  funder = devAccount(2, fixture.provider);
  chain = new ChainService({
    provider: fixture.provider,
    wallet: node,
    addressBook: fixture.book,
    db: fixture.database.db,
    logger: memoryLogger().logger,
  });
});
afterAll(async () => {
  await fixture?.close();
});

/** A user's channel address, and a way for the user to deposit by a plain transfer. */
function newChannel() {
  const bob = Wallet.createRandom().address;
  const channelAddress = chain.channelAddress(node.address, bob);
  const bobDeposits = async (value: bigint) => {
    // The funder stands in for bob: whoever sends to the channel address, it counts as bob's.
    await (await funder.sendTransaction({ to: channelAddress, value })).wait();
  };
  return { bob, channelAddress, bobDeposits };
}

async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await Bun.sleep(10);
  }
}

describe("DepositWatcher", () => {
  test("reports a bob deposit while running", async () => {
    const { channelAddress, bobDeposits } = newChannel();
    const events: DepositEvent[] = [];
    const watcher = new DepositWatcher({
      chain,
      intervalMs: 30,
      logger: memoryLogger().logger,
      onDeposit: (event) => {
        events.push(event);
      },
    });
    watcher.watch(channelAddress, [ETH]);
    watcher.start();
    try {
      await Bun.sleep(100);
      expect(events).toEqual([]);
      await bobDeposits(5_000n);
      await until(() => events.length > 0);
      expect(events).toEqual([
        { channelAddress, assetId: ETH, totalDepositsAlice: 0n, totalDepositsBob: 5_000n },
      ]);
    } finally {
      await watcher.stop();
    }
  });

  test("the first poll reports what is already there; unchanged totals are not reported again", async () => {
    const { bob, channelAddress, bobDeposits } = newChannel();
    await bobDeposits(100n);
    const events: DepositEvent[] = [];
    const watcher = new DepositWatcher({
      chain,
      intervalMs: 1_000,
      logger: memoryLogger().logger,
      onDeposit: (event) => {
        events.push(event);
      },
    });
    // Lowercase in, checksummed out.
    watcher.watch(channelAddress.toLowerCase(), [ETH]);

    await watcher.poll();
    expect(events).toEqual([
      { channelAddress, assetId: ETH, totalDepositsAlice: 0n, totalDepositsBob: 100n },
    ]);
    await watcher.poll();
    expect(events).toHaveLength(1);

    await chain.depositAlice({ alice: node.address, bob, assetId: ETH, amount: 40n });
    await watcher.poll();
    expect(events[1]).toEqual({
      channelAddress,
      assetId: ETH,
      totalDepositsAlice: 40n,
      totalDepositsBob: 100n,
    });

    watcher.unwatch(channelAddress);
    await bobDeposits(1n);
    await watcher.poll();
    expect(events).toHaveLength(2);
  });

  test("a failing read is logged and the other channels are still polled", async () => {
    const good = newChannel();
    await good.bobDeposits(7n);
    const { logger, lines } = memoryLogger();
    const events: DepositEvent[] = [];
    const watcher = new DepositWatcher({
      chain,
      intervalMs: 1_000,
      logger,
      onDeposit: (event) => {
        events.push(event);
      },
    });
    // An account without code as the "token": balanceOf returns nothing and cannot be decoded.
    const notAToken = Wallet.createRandom().address;
    watcher.watch(newChannel().channelAddress, [notAToken]);
    watcher.watch(good.channelAddress, [ETH]);

    await watcher.poll();
    expect(events.map((event) => event.channelAddress)).toEqual([good.channelAddress]);
    const failure = lines.find((line) => line.msg === "deposit poll failed");
    expect(failure?.assetId).toBe(notAToken);
  });

  test("a deposit whose handler threw is reported again on the next poll", async () => {
    const { channelAddress, bobDeposits } = newChannel();
    await bobDeposits(9n);
    let calls = 0;
    const { logger, lines } = memoryLogger();
    const watcher = new DepositWatcher({
      chain,
      intervalMs: 1_000,
      logger,
      onDeposit: async () => {
        calls += 1;
        if (calls === 1) throw new Error("engine busy");
      },
    });
    watcher.watch(channelAddress, [ETH]);
    await watcher.poll();
    await watcher.poll();
    await watcher.poll();
    expect(calls).toBe(2);
    const failure = lines.find((line) => line.msg === "deposit handler failed");
    expect(failure?.err).toBe("engine busy");
  });

  test("stop waits for the poll in flight and no poll starts after it", async () => {
    const { channelAddress, bobDeposits } = newChannel();
    await bobDeposits(3n);
    let entered = false;
    let finished = false;
    let polls = 0;
    const watcher = new DepositWatcher({
      chain: {
        readDeposits: (address, assetId) => {
          polls += 1;
          return chain.readDeposits(address, assetId);
        },
      },
      intervalMs: 20,
      logger: memoryLogger().logger,
      onDeposit: async () => {
        entered = true;
        await Bun.sleep(200);
        finished = true;
      },
    });
    watcher.watch(channelAddress, [ETH]);
    watcher.start();
    await until(() => entered);
    await watcher.stop();
    expect(finished).toBe(true);
    const pollsAtStop = polls;
    await Bun.sleep(100);
    expect(polls).toBe(pollsAtStop);
  });
});
