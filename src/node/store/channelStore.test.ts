import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import {
  type AppliedUpdate,
  type ChannelView,
  type FullTransferState,
  MerkleTree,
  transferStateHash,
} from "../../protocol";
import { ETH, type Party, party } from "../../protocol/testing/twoParties";
import { ChannelStore } from "./channelStore";
import { type Database, openDatabase } from "./database";
import { isStoreError, type StoreErrorCode } from "./errors";
import { EMBEDDED_MIGRATIONS } from "./migrations";
import {
  depositDraft,
  exchangeApplied,
  hashlockDraft,
  resolveDraft,
  setupDraft,
} from "./testing/channelFixture";
import {
  POSTGRES_MISSING,
  type PostgresServer,
  postgresAvailable,
  startPostgres,
} from "./testing/postgresServer";

const NODE_KEY = `0x${"11".repeat(32)}`;
const USER_KEY = `0x${"22".repeat(32)}`;
const preImage = (n: number) => `0x${n.toString(16).padStart(2, "0").repeat(32)}`;
const UINT256_MAX = 2n ** 256n - 1n;
const DEPOSITS = { chainDeposits: { totalDepositsAlice: 10n, totalDepositsBob: 50n } };

async function expectStoreError(run: () => Promise<unknown>, code: StoreErrorCode) {
  try {
    await run();
  } catch (error) {
    if (isStoreError(error, code)) return;
    throw error;
  }
  throw new Error(`expected StoreError ${code}, nothing was thrown`);
}

/** What a reload must reproduce of the node's in-memory view. */
function expectSameView(loaded: ChannelView | undefined, expected: ChannelView) {
  expect(loaded).toBeDefined();
  expect(loaded?.state).toEqual(expected.state as NonNullable<ChannelView["state"]>);
  expect(loaded?.tree.root()).toBe(expected.tree.root());
  expect(loaded?.tree.leafHashes).toEqual(expected.tree.leafHashes);
  expect([...(loaded?.transfers.entries() ?? [])].sort()).toEqual(
    [...expected.transfers.entries()].sort(),
  );
}

/** The repository suite, run once per database engine. */
function repositorySuite(name: string, open: () => Promise<Database>) {
  describe(`ChannelStore on ${name}`, () => {
    let database: Database;
    let store: ChannelStore;
    let node: Party;
    let user: Party;

    beforeEach(async () => {
      database = await open();
      store = new ChannelStore(database.db);
      node = party(NODE_KEY);
      user = party(USER_KEY);
    });
    afterEach(async () => {
      await database.close();
    });

    /** Runs one update and stores the node's result, as the engine will. */
    async function step(
      proposer: "node" | "user",
      draft: Parameters<typeof exchangeApplied>[3],
      overrides = {},
    ) {
      const result = await exchangeApplied(node, user, proposer, draft, overrides);
      await store.saveApplied(result.applied);
      return result;
    }

    test("a channel stored after every update reloads equal, creates and resolves included", async () => {
      const channelAddress = () => node.view.state?.channelAddress as string;
      const ids = () => [...node.view.transfers.keys()];
      const check = async () =>
        expectSameView(await store.loadChannelView(channelAddress()), node.view);

      await step("user", setupDraft(node));
      await check();
      await step("user", depositDraft, DEPOSITS);
      await check();
      for (const n of [1, 2, 3]) {
        await step("user", hashlockDraft(BigInt(n), preImage(n)));
        await check();
      }
      // Resolving the first moves the last leaf into its slot: stored positions must follow.
      await step("node", resolveDraft(ids()[0] as string, preImage(1)));
      await check();
      await step("user", hashlockDraft(4n, preImage(4)));
      await check();
      const second = ids()[1] as string;
      await step("node", resolveDraft(second, preImageOf(node, second)));
      await check();

      expect(node.view.transfers.size).toBe(2);
      expect(await store.loadChannelView(`0x${"00".repeat(19)}99`)).toBeUndefined();
    });

    test("a nonce that is not latest + 1 is refused, and nothing of it is written", async () => {
      const setup = await step("user", setupDraft(node));
      const deposit = await exchangeApplied(node, user, "user", depositDraft, DEPOSITS);
      const create = await exchangeApplied(node, user, "user", hashlockDraft(1n, preImage(1)));
      const address = setup.applied.state.channelAddress;

      await expectStoreError(() => store.saveApplied(create.applied), "NONCE_NOT_SEQUENTIAL");
      await expectStoreError(() => store.saveApplied(setup.applied), "NONCE_NOT_SEQUENTIAL");
      expect((await store.loadChannelView(address))?.state?.nonce).toBe(1);
      expect((await store.getUpdates(address)).map((u) => u.nonce)).toEqual([1]);
      const rows = await database.db.execute(sql`select count(*)::int as n from transfers`);
      expect(countOf(rows)).toBe(0);

      await store.saveApplied(deposit.applied);
      await store.saveApplied(create.applied);
      expect((await store.getUpdates(address)).map((u) => u.nonce)).toEqual([1, 2, 3]);
    });

    test("two writers of the same first update: one stores it, the other is refused", async () => {
      const { applied } = await exchangeApplied(node, user, "user", setupDraft(node));
      const results = await Promise.allSettled([
        store.saveApplied(applied),
        store.saveApplied(applied),
      ]);
      expect(results.filter((r) => r.status === "fulfilled").length).toBe(1);
      const refused = results.find((r) => r.status === "rejected");
      expect(isStoreError(refused?.reason, "NONCE_NOT_SEQUENTIAL")).toBe(true);
      expect((await store.getUpdates(applied.state.channelAddress)).length).toBe(1);
    });

    test("a nonce already in the history is refused even when the channel row lags", async () => {
      const setup = await step("user", setupDraft(node));
      const { applied } = await exchangeApplied(node, user, "user", depositDraft, DEPOSITS);
      const address = setup.applied.state.channelAddress;
      // What a racing writer leaves behind: history row 2 committed first.
      await database.db.execute(
        sql`insert into channel_updates (channel_address, nonce, type, update) values (${address}, 2, 'deposit', '{}'::json)`,
      );
      await expectStoreError(() => store.saveApplied(applied), "NONCE_NOT_SEQUENTIAL");
      expect((await store.loadChannelView(address))?.state?.nonce).toBe(1);
    });

    test("a write that fails part-way is rolled back whole", async () => {
      await step("user", setupDraft(node));
      await step("user", depositDraft, DEPOSITS);
      const { applied } = await step("user", hashlockDraft(1n, preImage(1)));
      // Next nonce, but the same transfer again: the transfer insert fails after the channel
      // row and the history row were written in the same transaction.
      const replay = structuredClone(applied);
      replay.state.nonce += 1;
      replay.state.latestUpdate.nonce += 1;
      replay.tree = applied.tree;
      await expect(store.saveApplied(replay)).rejects.toThrow();

      const address = applied.state.channelAddress;
      expectSameView(await store.loadChannelView(address), node.view);
      expect((await store.getUpdates(address)).map((u) => u.nonce)).toEqual([1, 2, 3]);
    });

    test("amounts near 2^256 - 1 round-trip exactly", async () => {
      const setup = await exchangeApplied(node, user, "user", setupDraft(node));
      const state = structuredClone(setup.applied.state);
      state.assetIds = [ETH];
      state.balances = [{ to: [state.alice, state.bob], amount: [UINT256_MAX, UINT256_MAX - 1n] }];
      state.processedDepositsA = [UINT256_MAX];
      state.processedDepositsB = [UINT256_MAX - 12345678901234567890n];
      state.defundNonces = [UINT256_MAX];
      await store.saveApplied({ ...setup.applied, state });

      // A transfer with huge amounts, committed to by the next state's root.
      const transfer: FullTransferState = {
        channelAddress: state.channelAddress,
        transferId: `0x${"7".repeat(64)}`,
        transferDefinition: state.alice,
        initiator: state.bob,
        responder: state.alice,
        assetId: ETH,
        balance: { to: [state.bob, state.alice], amount: [UINT256_MAX, UINT256_MAX - 2n] },
        transferTimeout: 3600,
        initialStateHash: `0x${"8".repeat(64)}`,
        chainId: state.networkContext.chainId,
        transferState: "0x1234",
        channelNonce: 2,
      };
      const tree = new MerkleTree([transferStateHash(transfer)]);
      const next = structuredClone(state);
      next.nonce = 2;
      next.merkleRoot = tree.root();
      next.latestUpdate = {
        ...structuredClone(state.latestUpdate),
        nonce: 2,
        type: "create",
      } as never;
      next.latestUpdate.details = {
        transferId: transfer.transferId,
        transferDefinition: transfer.transferDefinition,
        transferBalance: transfer.balance,
        transferTimeout: 3600,
        transferInitialState: "0x1234",
        merkleRoot: tree.root(),
      };
      next.latestUpdate.balance = { to: [state.alice, state.bob], amount: [UINT256_MAX, 0n] };
      const applied: AppliedUpdate = { state: next, tree, transfer };
      await store.saveApplied(applied);

      const loaded = await store.loadChannelView(state.channelAddress);
      expect(loaded?.state).toEqual(next);
      expect(loaded?.transfers.get(transfer.transferId)).toEqual(transfer);
      expect((await store.getUpdates(state.channelAddress, 2))[0]).toEqual(next.latestUpdate);
      const rows = await database.db.execute(
        sql`select initiator_amount::text as a, responder_amount::text as b from transfers`,
      );
      const row = rowsOf(rows)[0] as { a: string; b: string };
      expect([row.a, row.b]).toEqual([UINT256_MAX.toString(), (UINT256_MAX - 2n).toString()]);
    });

    test("history and channel listing", async () => {
      const updates = [
        (await step("user", setupDraft(node))).update,
        (await step("user", depositDraft, DEPOSITS)).update,
        (await step("user", hashlockDraft(2n, preImage(2)))).update,
      ];
      const transferId = [...node.view.transfers.keys()][0] as string;
      updates.push((await step("node", resolveDraft(transferId, preImage(2)))).update);
      const address = node.view.state?.channelAddress as string;

      expect(await store.getUpdates(address)).toEqual(updates);
      expect(await store.getUpdates(address, 3)).toEqual(updates.slice(2));
      expect(await store.getUpdates(address, 9)).toEqual([]);
      expect((await store.getUpdates(address)).map((u) => u.type)).toEqual([
        "setup",
        "deposit",
        "create",
        "resolve",
      ]);
      expect(await store.listChannels()).toEqual([
        {
          channelAddress: address,
          alice: node.signer.address,
          bob: user.signer.address,
          chainId: 1337,
          nonce: 4,
        },
      ]);
      // The resolved transfer keeps its resolver and resolving nonce.
      const rows = await database.db.execute(
        sql`select status, resolver, resolved_nonce, position from transfers`,
      );
      expect(rowsOf(rows)).toEqual([
        {
          status: "resolved",
          resolver: resolveTransferResolver(preImage(2)),
          resolved_nonce: 4,
          position: null,
        },
      ]);
    });

    test("stored transfers that do not give the state's root are refused on load", async () => {
      await step("user", setupDraft(node));
      await step("user", depositDraft, DEPOSITS);
      await step("user", hashlockDraft(1n, preImage(1)));
      await database.db.execute(sql`update transfers set status = 'resolved', position = null`);
      await expectStoreError(
        () => store.loadChannelView(node.view.state?.channelAddress as string),
        "MERKLE_MISMATCH",
      );
    });
  });
}

function preImageOf(node: Party, transferId: string): string {
  // Transfers 2, 3 and 4 were locked with preImage(n) for amount n.
  const amount = node.view.transfers.get(transferId)?.balance.amount[0] ?? 0n;
  return preImage(Number(amount));
}

function resolveTransferResolver(image: string): string {
  const draft = resolveDraft("0x", image);
  return draft.type === "resolve" ? draft.transferResolver : "";
}

/** Rows from db.execute: PGlite returns { rows }, postgres.js an array. */
function rowsOf(result: unknown): Record<string, unknown>[] {
  return Array.isArray(result) ? result : (result as { rows: Record<string, unknown>[] }).rows;
}
const countOf = (result: unknown) => Number(rowsOf(result)[0]?.n);

repositorySuite("PGlite (in memory)", () => openDatabase());

const postgresMissing = !postgresAvailable();
if (postgresMissing) console.warn(`\n!!! ${POSTGRES_MISSING}\n`);

describe.skipIf(postgresMissing)("on a PostgreSQL server the test starts", () => {
  let server: PostgresServer;
  let admin: postgres.Sql;
  let count = 0;
  beforeAll(async () => {
    server = await startPostgres();
    admin = postgres(server.url, { onnotice: () => {} });
  }, 60_000);
  afterAll(async () => {
    await admin?.end();
    await server?.stop();
  });
  // A fresh database per test, so every test starts from an empty, freshly migrated schema.
  repositorySuite("PostgreSQL", async () => {
    const name = `store_test_${++count}`;
    await admin.unsafe(`create database ${name}`);
    return openDatabase({ databaseUrl: server.url.replace(/\/postgres$/, `/${name}`) });
  });
});

describe("PGlite data directory", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "store-pglite-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("reopening keeps the data; folder and embedded migrations agree", async () => {
    const node = party(NODE_KEY);
    const user = party(USER_KEY);
    let database = await openDatabase({ dataDir: dir });
    let store = new ChannelStore(database.db);
    for (const [proposer, draft, overrides] of [
      ["user", setupDraft(node), {}],
      ["user", depositDraft, DEPOSITS],
      ["user", hashlockDraft(1n, preImage(1)), {}],
    ] as const) {
      await store.saveApplied(
        (await exchangeApplied(node, user, proposer, draft, overrides)).applied,
      );
    }
    await database.close();

    // Reopened through drizzle's folder migrator: it must see the embedded run as done.
    database = await openDatabase({ dataDir: dir, migrationsFolder: "drizzle" });
    store = new ChannelStore(database.db);
    const address = node.view.state?.channelAddress as string;
    expectSameView(await store.loadChannelView(address), node.view);
    expect((await store.getUpdates(address)).length).toBe(3);
    const applied = await database.db.execute(
      sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
    );
    expect(countOf(applied)).toBe(EMBEDDED_MIGRATIONS.journal.entries.length);
    await database.close();
  });
});
