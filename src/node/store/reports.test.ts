import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { ETH, party } from "../../protocol/testing/twoParties";
import { ChannelStore } from "./channelStore";
import { type Database, openDatabase } from "./database";
import { OnchainTransactionRepository } from "./onchainTransactions";
import { ReportRepository } from "./reports";
import { payments } from "./schema";
import { depositDraft, exchangeApplied, setupDraft } from "./testing/channelFixture";

const TOKEN = "0x00000000000000000000000000000000000000D1";
const ALICE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const BOB = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const NOW = new Date("2026-12-05T12:00:00Z");
const HOUR = 3_600_000;

describe("ReportRepository on PGlite", () => {
  let database: Database;
  let reports: ReportRepository;
  let n = 0;

  beforeEach(async () => {
    database = await openDatabase();
    reports = new ReportRepository(database.db);
    n = 0;
  });
  afterEach(async () => {
    await database.close();
  });

  async function payment(
    hoursAgo: number,
    amount: bigint,
    status: "pending" | "completed" | "cancelled" | "failed",
    extra: { assetId?: string; sender?: string; recipient?: string } = {},
  ): Promise<string> {
    n += 1;
    const paymentId = `0x${n.toString(16).padStart(64, "0")}`;
    await database.db.insert(payments).values({
      paymentId,
      senderTransferId: `0x${n.toString(16).padStart(64, "f")}`,
      sender: extra.sender ?? ALICE,
      recipient: extra.recipient ?? BOB,
      assetId: extra.assetId ?? ETH,
      amount: amount.toString(10),
      lockHash: `0x${"ab".repeat(32)}`,
      expiry: 0,
      status,
      createdAt: new Date(NOW.getTime() - hoursAgo * HOUR),
    });
    return paymentId;
  }

  test("a period counts payments by outcome and sums completed volume per asset, beside the period before", async () => {
    await payment(1, 10n, "completed");
    await payment(2, 2n ** 200n, "completed", { assetId: TOKEN });
    await payment(3, 7n, "failed");
    await payment(4, 8n, "cancelled");
    await payment(5, 9n, "pending");
    await payment(30, 100n, "completed"); // the day before
    await payment(40, 5n, "failed"); // the day before
    await payment(60, 1000n, "completed"); // outside both days

    const day = await reports.paymentPeriod(NOW, 86_400);
    expect(day.current).toEqual({
      count: 5,
      completed: 2,
      failed: 2,
      volume: { [ETH]: 10n, [TOKEN]: 2n ** 200n },
      completedByAsset: { [ETH]: 1, [TOKEN]: 1 },
    });
    expect(day.previous).toEqual({
      count: 2,
      completed: 1,
      failed: 1,
      volume: { [ETH]: 100n },
      completedByAsset: { [ETH]: 1 },
    });
    const week = await reports.paymentPeriod(NOW, 7 * 86_400);
    expect(week.current.count).toBe(8);
    expect(week.current.volume[ETH]).toBe(1110n);
    expect(week.previous.count).toBe(0);
  });

  test("a series buckets payments by minute", async () => {
    await payment(0.01, 3n, "completed");
    await payment(0.011, 4n, "completed");
    await payment(0.5, 5n, "failed");
    const series = await reports.paymentSeries(new Date(NOW.getTime() - HOUR), 60);
    expect(series.map((p) => [p.count, p.volume])).toEqual([
      [1, 0n],
      [2, 7n],
    ]);
  });

  test("payments page newest first with a keyset cursor, filtered by status, asset, user and time", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push(await payment(i, BigInt(i + 1), "completed"));
    await payment(1.5, 99n, "failed", { sender: BOB, recipient: ALICE, assetId: TOKEN });

    const seen: string[] = [];
    let cursor: Awaited<ReturnType<typeof reports.paymentsPage>>["next"];
    for (;;) {
      const page = await reports.paymentsPage({ status: "completed" }, cursor, 3);
      seen.push(...page.rows.map((row) => row.paymentId));
      if (!page.next) break;
      cursor = page.next;
    }
    expect(seen).toEqual(ids);

    const token = await reports.paymentsPage({ assetId: TOKEN.toLowerCase() }, undefined, 10);
    expect(token.rows.map((row) => row.amount)).toEqual([99n]);
    const bobs = await reports.paymentsPage({ user: BOB.toLowerCase() }, undefined, 100);
    expect(bobs.rows.length).toBe(8);
    const window = await reports.paymentsPage(
      { from: new Date(NOW.getTime() - 3.5 * HOUR), to: new Date(NOW.getTime() - 0.5 * HOUR) },
      undefined,
      100,
    );
    expect(window.rows.map((row) => row.amount)).toEqual([2n, 99n, 3n, 4n]);
  });

  test("channel activity, balances per asset, search and the update history", async () => {
    const store = new ChannelStore(database.db);
    const addresses: string[] = [];
    for (const key of ["22", "33"]) {
      const node = party(`0x${"11".repeat(32)}`);
      const user = party(`0x${key.repeat(32)}`);
      const { applied } = await exchangeApplied(node, user, "user", setupDraft(node));
      await store.saveApplied(applied);
      addresses.push(applied.state.channelAddress);
      const deposited = await exchangeApplied(node, user, "user", depositDraft, {
        chainDeposits: { totalDepositsAlice: 5n, totalDepositsBob: 2n ** 100n },
      });
      await store.saveApplied(deposited.applied);
    }
    const activity = await reports.channelActivity(new Date());
    expect(activity).toEqual({ total: 2, day: 2, week: 2 });
    expect(await reports.channelActivity(new Date(Date.now() + 8 * 86_400_000))).toEqual({
      total: 2,
      day: 0,
      week: 0,
    });
    expect(await reports.channelBalances()).toEqual([
      { assetId: ETH, channels: 2, node: 10n, users: 2n ** 101n },
    ]);

    const first = addresses[0] as string;
    const found = await reports.channelsPage({
      search: first.slice(4, 14).toLowerCase(),
      limit: 10,
    });
    expect(found.total).toBe(1);
    expect(found.rows[0]?.address).toBe(first);
    const all = await reports.channelsPage({ sort: "address", limit: 1, offset: 1 });
    expect(all.total).toBe(2);
    expect(all.rows[0]?.address).toBe([...addresses].sort()[1] as string);
    expect((await reports.channelsAfter(undefined, 10)).length).toBe(2);

    const history = await reports.channelUpdates(first, 0, 10);
    expect(history.total).toBe(2);
    expect(history.rows.map((row) => [row.nonce, row.type, row.assetId])).toEqual([
      [2, "deposit", ETH],
      [1, "setup", null],
    ]);
    expect(found.rows[0]?.assets).toEqual([
      { assetId: ETH, node: 5n, user: 2n ** 100n, processedNode: 5n, processedUser: 2n ** 100n },
    ]);
    expect((await reports.channel(first.toLowerCase()))?.bob).toBe(found.rows[0]?.bob as string);
  });

  test("on-chain transactions by status and channel", async () => {
    const repo = new OnchainTransactionRepository(database.db);
    const a = await repo.create({ channelAddress: BOB, purpose: "deposit", fromAddress: ALICE });
    await repo.create({ purpose: "deploy", fromAddress: ALICE });
    await repo.markFailed(a, "reverted");
    expect((await reports.transactionsPage({ status: "failed", limit: 10 })).rows[0]?.id).toBe(a);
    expect(
      (await reports.transactionsPage({ channelAddress: BOB.toLowerCase(), limit: 10 })).total,
    ).toBe(1);
    expect((await reports.transactionsPage({ limit: 10 })).total).toBe(2);
  });
});
