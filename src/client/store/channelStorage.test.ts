import { beforeEach, describe, expect, test } from "bun:test";
import {
  type ChannelView,
  type FullChannelState,
  hashlock,
  hashlockLockHash,
  transfersInTreeOrder,
} from "../../protocol";
import {
  context,
  ETH,
  exchange,
  HASHLOCK_ADDRESS,
  type Party,
  party,
  setupChannel,
} from "../../protocol/testing/twoParties";
import { encodeChannelRecord } from "./channelRecord";
import { ChannelStorage, storedChannelState } from "./channelStorage";
import { ClientStoreError } from "./errors";
import { MemoryStore } from "./memory";

/** A small seeded generator: the same runs every time. */
function randomSource(seed: number) {
  let state = seed >>> 0;
  return {
    int(below: number): number {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return (((t ^ (t >>> 14)) >>> 0) % below) as number;
    },
  };
}

const HEAD = "channel:node:user";
const SLOTS = "transfers:node:user";

/** A memory store that counts writes, keeps their sizes, and can fail the n-th write. */
class RecordingStore extends MemoryStore {
  writes: { key: string; bytes: number }[] = [];
  failAt: number | undefined;

  override async set(key: string, value: string): Promise<void> {
    if (this.failAt !== undefined && this.writes.length + 1 >= this.failAt) {
      this.failAt = undefined;
      throw new Error("crash");
    }
    this.writes.push({ key, bytes: value.length });
    await super.set(key, value);
  }
}

let node: Party;
let user: Party;
let store: RecordingStore;
let storage: ChannelStorage;

beforeEach(async () => {
  node = party(`0x${"11".repeat(32)}`);
  user = party(`0x${"22".repeat(32)}`);
  store = new RecordingStore();
  storage = new ChannelStorage(store, HEAD, SLOTS);
  await setupChannel(node, user);
  await exchange(
    user,
    node,
    { type: "deposit", assetId: ETH },
    { chainDeposits: { totalDepositsAlice: 0n, totalDepositsBob: 10n ** 20n } },
  );
  await storage.save(user.view);
});

async function create(i: number): Promise<void> {
  await exchange(user, node, {
    type: "create",
    assetId: ETH,
    amount: 1n,
    transferDefinition: HASHLOCK_ADDRESS,
    transferInitialState: hashlock.encodeState({ lockHash: preImageHash(i), expiry: 0n }),
    transferTimeout: 3600,
    meta: { paymentId: `payment-${i}`, note: "x".repeat(2000) },
  });
}

async function resolveAt(position: number): Promise<void> {
  const transfer = transfersInTreeOrder(user.view)[position];
  if (!transfer) throw new Error(`no transfer at ${position}`);
  // The node cancels it: a zero pre-image returns the amount to the user.
  await exchange(node, user, {
    type: "resolve",
    transferId: transfer.transferId,
    transferResolver: hashlock.encodeResolver({ preImage: `0x${"00".repeat(32)}` }),
  });
}

function preImageHash(i: number) {
  return hashlockLockHash(`0x${(i + 1).toString(16).padStart(64, "0")}`);
}

/** What a fresh client finds in the store. */
async function reload(): Promise<ChannelView | undefined> {
  return new ChannelStorage(store, HEAD, SLOTS).load(context(), user.signer.address);
}

function summary(view: ChannelView | undefined) {
  return {
    nonce: view?.state?.nonce,
    root: view?.state?.merkleRoot,
    transfers: view ? transfersInTreeOrder(view).map((t) => t.transferId) : [],
  };
}

/** Saves the user's view and returns the writes that took. */
async function saveCounting(): Promise<{ key: string; bytes: number }[]> {
  const before = store.writes.length;
  await storage.save(user.view);
  return store.writes.slice(before);
}

describe("the client's channel storage", () => {
  test("a create or resolve writes the head and at most one slot, whatever the number of transfers", async () => {
    const heads: number[] = [];
    for (let i = 0; i < 120; i++) {
      await create(i);
      const writes = await saveCounting();
      expect(writes.length).toBeLessThanOrEqual(2);
      expect(writes.at(-1)?.key).toBe(HEAD);
      heads.push(writes.at(-1)?.bytes ?? 0);
    }
    // The head carries the state and one transfer: the 120th is no larger than the 2nd, give
    // or take a few digits of the nonce.
    expect(Math.max(...heads) - (heads[1] ?? 0)).toBeLessThan(64);
    expect(summary(await reload())).toEqual(summary(user.view));

    const random = randomSource(7);
    while (user.view.transfers.size > 0) {
      await resolveAt(random.int(user.view.transfers.size));
      const writes = await saveCounting();
      expect(writes.length).toBeLessThanOrEqual(2);
      if (user.view.transfers.size % 17 === 0) {
        expect(summary(await reload())).toEqual(summary(user.view));
      }
    }
    expect(summary(await reload())).toEqual(summary(user.view));
  });

  test("a crash at any write leaves the channel before or after the update, never a mix", async () => {
    const random = randomSource(11);
    for (let step = 0; step < 60; step++) {
      const before = summary(user.view);
      if (user.view.transfers.size < 4 || random.int(3) > 0) await create(step);
      else await resolveAt(random.int(user.view.transfers.size));
      const after = summary(user.view);
      store.failAt = store.writes.length + 1 + random.int(2);
      const saved = await storage.save(user.view).then(
        () => true,
        () => false,
      );
      store.failAt = undefined;
      const found = summary(await reload());
      expect(found).toEqual(saved ? after : before);
      // A client restarts after the crash: it loads and carries on from there.
      if (!saved) {
        storage = new ChannelStorage(store, HEAD, SLOTS);
        await storage.load(context(), user.signer.address);
        await storage.save(user.view);
        expect(summary(await reload())).toEqual(after);
      }
    }
  });

  test("a replace (restore) writes a new generation first: a crash keeps the old channel", async () => {
    for (let i = 0; i < 10; i++) {
      await create(i);
      await storage.save(user.view);
    }
    const before = summary(user.view);
    for (let i = 10; i < 15; i++) await create(i);
    for (let failAt = 1; failAt <= 6; failAt++) {
      store.failAt = store.writes.length + failAt;
      await expect(storage.replace(user.view)).rejects.toThrow("crash");
      expect(summary(await reload())).toEqual(before);
      storage = new ChannelStorage(store, HEAD, SLOTS);
      await storage.load(context(), user.signer.address);
    }
    await storage.replace(user.view);
    expect(summary(await reload())).toEqual(summary(user.view));
    // The new generation holds the 15 transfers; the old one's slots are gone.
    const head = JSON.parse((await store.get(HEAD)) as string);
    expect(head.count).toBe(15);
    for (let slot = 0; slot < 15; slot++) {
      expect(await store.get(`${SLOTS}:${head.generation - 1}:${slot}`)).toBeUndefined();
      expect(await store.get(`${SLOTS}:${head.generation}:${slot}`)).toBeDefined();
    }
  });

  test("a record in the earlier one-record format is read and rewritten as head and slots", async () => {
    for (let i = 0; i < 3; i++) await create(i);
    await store.set(
      HEAD,
      encodeChannelRecord({
        channel: user.view.state as FullChannelState,
        activeTransfers: transfersInTreeOrder(user.view),
      }),
    );
    expect(summary(await reload())).toEqual(summary(user.view));
    const head = JSON.parse((await store.get(HEAD)) as string);
    expect(head.version).toBe(2);
    expect(head.count).toBe(3);
    expect(storedChannelState((await store.get(HEAD)) as string).nonce).toBe(
      user.view.state?.nonce as number,
    );
    expect(summary(await reload())).toEqual(summary(user.view));
  });

  test("a missing or tampered slot is CORRUPT_RECORD", async () => {
    for (let i = 0; i < 3; i++) {
      await create(i);
      await storage.save(user.view);
    }
    const slot = `${SLOTS}:1:0`;
    const original = (await store.get(slot)) as string;
    await store.set(slot, original.replace('"amount":["1"', '"amount":["2"'));
    await expectCorrupt();
    await store.delete(slot);
    await expectCorrupt();
    await store.set(slot, "{not json");
    await expectCorrupt();
  });
});

async function expectCorrupt(): Promise<void> {
  const caught = await reload().catch((error: unknown) => error);
  expect(caught).toBeInstanceOf(ClientStoreError);
  expect((caught as ClientStoreError).code).toBe("CORRUPT_RECORD");
}
