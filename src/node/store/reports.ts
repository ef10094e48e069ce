import { and, asc, desc, eq, gte, ilike, inArray, lt, or, type SQL, sql } from "drizzle-orm";
import { rowsOf } from "./channelStore";
import type { StoreDb } from "./database";
import {
  channelDisputes,
  channels,
  channelUpdates,
  type ONCHAIN_STATUSES,
  onchainTransactions,
  type PAYMENT_STATUSES,
  payments,
  transfers,
} from "./schema";

/**
 * Read-only queries for the operator's dashboard (issue 14): aggregates computed in SQL, and
 * pages of rows with keyset cursors, so neither a page nor an export ever loads a whole table.
 * Amounts come back as bigints; asset addresses as stored (checksummed).
 *
 * @example
 * const reports = new ReportRepository(db);
 * const day = await reports.paymentPeriod(new Date(), 86_400);
 * day.current.count; // payments created in the last 24 h
 */
export class ReportRepository {
  constructor(private readonly db: StoreDb) {}

  /**
   * Payments created in the `seconds` before `now`, and in the same span before that: counts by
   * outcome and, per asset, the volume of completed ones.
   */
  async paymentPeriod(now: Date, seconds: number): Promise<PeriodComparison> {
    const currentStart = new Date(now.getTime() - seconds * 1000);
    const previousStart = new Date(now.getTime() - 2 * seconds * 1000);
    const cur = sql`${payments.createdAt} >= ${currentStart.toISOString()}::timestamptz`;
    const prev = sql`${payments.createdAt} < ${currentStart.toISOString()}::timestamptz`;
    const done = sql`${payments.status} = 'completed'`;
    const failed = sql`${payments.status} in ('failed', 'cancelled')`;
    const rows = await this.db
      .select({
        assetId: payments.assetId,
        count: sql<number>`count(*) filter (where ${cur})::int`,
        completed: sql<number>`count(*) filter (where ${cur} and ${done})::int`,
        failed: sql<number>`count(*) filter (where ${cur} and ${failed})::int`,
        volume: sql<string>`coalesce(sum(${payments.amount}) filter (where ${cur} and ${done}), 0)::text`,
        prevCount: sql<number>`count(*) filter (where ${prev})::int`,
        prevCompleted: sql<number>`count(*) filter (where ${prev} and ${done})::int`,
        prevFailed: sql<number>`count(*) filter (where ${prev} and ${failed})::int`,
        prevVolume: sql<string>`coalesce(sum(${payments.amount}) filter (where ${prev} and ${done}), 0)::text`,
      })
      .from(payments)
      .where(
        and(
          gte(payments.createdAt, previousStart),
          sql`${payments.createdAt} <= ${now.toISOString()}::timestamptz`,
        ),
      )
      .groupBy(payments.assetId);
    const current = emptyStats();
    const previous = emptyStats();
    for (const row of rows) {
      add(current, row.assetId, row.count, row.completed, row.failed, row.volume);
      add(previous, row.assetId, row.prevCount, row.prevCompleted, row.prevFailed, row.prevVolume);
    }
    return { seconds, current, previous };
  }

  /** Payments counted per bucket of `bucketSeconds` since `since`, with completed volume per asset. */
  async paymentSeries(since: Date, bucketSeconds: number): Promise<SeriesPoint[]> {
    // A literal, not a parameter: PostgreSQL matches the grouped expression by its text.
    const width = sql.raw(String(Math.max(1, Math.floor(bucketSeconds))));
    const bucket = sql<number>`floor(extract(epoch from ${payments.createdAt}) / ${width})::bigint`;
    const rows = await this.db
      .select({
        bucket,
        assetId: payments.assetId,
        count: sql<number>`count(*)::int`,
        volume: sql<string>`coalesce(sum(${payments.amount}) filter (where ${payments.status} = 'completed'), 0)::text`,
      })
      .from(payments)
      .where(gte(payments.createdAt, since))
      .groupBy(bucket, payments.assetId)
      .orderBy(bucket);
    return rows.map((row) => ({
      start: new Date(Number(row.bucket) * bucketSeconds * 1000),
      assetId: row.assetId,
      count: Number(row.count),
      volume: BigInt(row.volume),
    }));
  }

  /** Channels in all, and those with an update in the last 24 h and 7 days before `now`. */
  async channelActivity(now: Date): Promise<{ total: number; day: number; week: number }> {
    const day = new Date(now.getTime() - 86_400_000).toISOString();
    const week = new Date(now.getTime() - 7 * 86_400_000).toISOString();
    const [row] = await this.db
      .select({
        total: sql<number>`count(*)::int`,
        day: sql<number>`count(*) filter (where ${channels.updatedAt} >= ${day}::timestamptz)::int`,
        week: sql<number>`count(*) filter (where ${channels.updatedAt} >= ${week}::timestamptz)::int`,
      })
      .from(channels);
    return {
      total: Number(row?.total ?? 0),
      day: Number(row?.day ?? 0),
      week: Number(row?.week ?? 0),
    };
  }

  /**
   * Per asset, over every channel's latest state: what the node holds (alice's balance), what
   * users hold (bob's), and the deposits the channels processed.
   */
  async channelBalances(): Promise<AssetBalances[]> {
    const rows = await this.db.execute(sql`
      select a.asset as "assetId",
             count(*)::int as channels,
             coalesce(sum((c.latest_state->'balances'->((a.i - 1)::int)->'amount'->>0)::numeric), 0)::text as node,
             coalesce(sum((c.latest_state->'balances'->((a.i - 1)::int)->'amount'->>1)::numeric), 0)::text as users
      from channels c,
           json_array_elements_text(c.latest_state->'assetIds') with ordinality as a(asset, i)
      group by a.asset
      order by a.asset`);
    return rowsOf<{ assetId: string; channels: number; node: string; users: string }>(rows).map(
      (row) => ({
        assetId: row.assetId,
        channels: Number(row.channels),
        node: BigInt(row.node),
        users: BigInt(row.users),
      }),
    );
  }

  /** The newest payments first. */
  async latestPayments(limit: number): Promise<PaymentRow[]> {
    return (await this.paymentsPage({}, undefined, limit)).rows;
  }

  /**
   * One page of payments matching `filter`, newest first, after `cursor` (the previous page's
   * `next`). `next` is absent on the last page.
   */
  async paymentsPage(
    filter: PaymentFilter,
    cursor: PageCursor | undefined,
    limit: number,
  ): Promise<{ rows: PaymentRow[]; next?: PageCursor }> {
    const rows = await this.db
      .select()
      .from(payments)
      .where(and(...paymentConditions(filter), cursor ? before(cursor) : undefined))
      .orderBy(desc(payments.createdAt), desc(payments.paymentId))
      .limit(limit + 1);
    const page = rows.slice(0, limit).map((row) => ({ ...row, amount: BigInt(row.amount) }));
    const last = page.at(-1);
    return rows.length > limit && last
      ? { rows: page, next: { createdAt: last.createdAt.toISOString(), id: last.paymentId } }
      : { rows: page };
  }

  /** A payment and the transfers on both sides of it (the payer's, and its mirror to the payee). */
  async paymentWithTransfers(
    paymentId: string,
  ): Promise<{ payment: PaymentRow; transfers: TransferRow[] } | undefined> {
    const [row] = await this.db.select().from(payments).where(eq(payments.paymentId, paymentId));
    if (!row) return undefined;
    const ids = [row.senderTransferId, row.recipientTransferId].filter(
      (id): id is string => id !== null,
    );
    const found = await this.db
      .select(transferColumns)
      .from(transfers)
      .where(inArray(transfers.transferId, ids));
    const ordered = ids.flatMap((id) => found.filter((t) => t.transferId === id));
    return { payment: { ...row, amount: BigInt(row.amount) }, transfers: ordered.map(toTransfer) };
  }

  /**
   * One page of channels: `search` matches the channel's or the user's address (any part,
   * any case), sorted by `sort`, `offset` rows in.
   */
  async channelsPage(query: ChannelQuery): Promise<{ rows: ChannelRow[]; total: number }> {
    const where = query.search ? channelSearch(query.search) : undefined;
    const order = CHANNEL_ORDER[query.sort ?? "updated"];
    const rows = await this.db
      .select(channelColumns)
      .from(channels)
      .where(where)
      .orderBy(...order)
      .limit(query.limit)
      .offset(query.offset ?? 0);
    const [count] = await this.db
      .select({ n: sql<number>`count(*)::int` })
      .from(channels)
      .where(where);
    return { rows: rows.map(toChannel), total: Number(count?.n ?? 0) };
  }

  /** Channels by address after `afterAddress` (matching `search`), for the CSV export. */
  async channelsAfter(
    afterAddress: string | undefined,
    limit: number,
    search?: string,
  ): Promise<ChannelRow[]> {
    const rows = await this.db
      .select(channelColumns)
      .from(channels)
      .where(
        and(
          afterAddress ? sql`${channels.address} > ${afterAddress}` : undefined,
          search ? channelSearch(search) : undefined,
        ),
      )
      .orderBy(asc(channels.address))
      .limit(limit);
    return rows.map(toChannel);
  }

  async channel(address: string): Promise<ChannelRow | undefined> {
    const [row] = await this.db
      .select(channelColumns)
      .from(channels)
      .where(sql`lower(${channels.address}) = ${address.toLowerCase()}`);
    return row ? toChannel(row) : undefined;
  }

  /** The channel's doubly-signed updates, newest first. */
  async channelUpdates(
    address: string,
    offset: number,
    limit: number,
  ): Promise<{ rows: UpdateRow[]; total: number }> {
    const rows = await this.db
      .select({
        nonce: channelUpdates.nonce,
        type: channelUpdates.type,
        update: channelUpdates.update,
        createdAt: channelUpdates.createdAt,
      })
      .from(channelUpdates)
      .where(eq(channelUpdates.channelAddress, address))
      .orderBy(desc(channelUpdates.nonce))
      .limit(limit)
      .offset(offset);
    const [count] = await this.db
      .select({ n: sql<number>`count(*)::int` })
      .from(channelUpdates)
      .where(eq(channelUpdates.channelAddress, address));
    return {
      rows: rows.map((row) => {
        const update = row.update as { assetId?: string; details?: Record<string, unknown> };
        return {
          nonce: row.nonce,
          type: row.type,
          // A setup names the zero address: it moves no asset.
          assetId: row.type === "setup" ? null : (update.assetId ?? null),
          createdAt: row.createdAt,
        };
      }),
      total: Number(count?.n ?? 0),
    };
  }

  /** The channel's transfers still active, in tree order. */
  async activeTransfers(address: string): Promise<TransferRow[]> {
    const rows = await this.db
      .select(transferColumns)
      .from(transfers)
      .where(and(eq(transfers.channelAddress, address), eq(transfers.status, "active")))
      .orderBy(asc(transfers.position));
    return rows.map(toTransfer);
  }

  /** Payments the user sent or received, newest first. */
  async paymentsOfUser(user: string, limit: number): Promise<PaymentRow[]> {
    return (await this.paymentsPage({ user }, undefined, limit)).rows;
  }

  /** The dispute on record for the channel, if any. */
  async dispute(
    address: string,
  ): Promise<{ firstBlock: number; resumedRound: number | null; createdAt: Date } | undefined> {
    const [row] = await this.db
      .select({
        firstBlock: channelDisputes.firstBlock,
        resumedRound: channelDisputes.resumedRound,
        createdAt: channelDisputes.createdAt,
      })
      .from(channelDisputes)
      .where(sql`lower(${channelDisputes.channelAddress}) = ${address.toLowerCase()}`);
    return row;
  }

  /** The node's on-chain transactions, newest first, optionally of one status or channel. */
  async transactionsPage(query: {
    status?: (typeof ONCHAIN_STATUSES)[number];
    channelAddress?: string;
    offset?: number;
    limit: number;
  }): Promise<{ rows: TransactionRow[]; total: number }> {
    const where = and(
      query.status ? eq(onchainTransactions.status, query.status) : undefined,
      query.channelAddress
        ? sql`lower(${onchainTransactions.channelAddress}) = ${query.channelAddress.toLowerCase()}`
        : undefined,
    );
    const rows = await this.db
      .select()
      .from(onchainTransactions)
      .where(where)
      .orderBy(desc(onchainTransactions.id))
      .limit(query.limit)
      .offset(query.offset ?? 0);
    const [count] = await this.db
      .select({ n: sql<number>`count(*)::int` })
      .from(onchainTransactions)
      .where(where);
    return { rows, total: Number(count?.n ?? 0) };
  }
}

export type PaymentStatusName = (typeof PAYMENT_STATUSES)[number];

export interface PaymentFilter {
  status?: PaymentStatusName;
  /** Compared without regard to case. */
  assetId?: string;
  /** Sender or recipient, without regard to case. */
  user?: string;
  /** Created at or after. */
  from?: Date;
  /** Created before. */
  to?: Date;
}

/** Where the next page starts: the last row's creation time and id. */
export interface PageCursor {
  createdAt: string;
  id: string;
}

export type PaymentRow = Omit<typeof payments.$inferSelect, "amount"> & { amount: bigint };
export type TransactionRow = typeof onchainTransactions.$inferSelect;

export interface PeriodStats {
  count: number;
  completed: number;
  /** Failed or cancelled. */
  failed: number;
  /** Completed volume per asset, as stored. */
  volume: Record<string, bigint>;
  /** Completed count per asset. */
  completedByAsset: Record<string, number>;
}

export interface PeriodComparison {
  seconds: number;
  current: PeriodStats;
  previous: PeriodStats;
}

export interface SeriesPoint {
  start: Date;
  assetId: string;
  count: number;
  volume: bigint;
}

export interface AssetBalances {
  assetId: string;
  /** Channels holding the asset. */
  channels: number;
  node: bigint;
  users: bigint;
}

export interface ChannelAsset {
  assetId: string;
  node: bigint;
  user: bigint;
  processedNode: bigint;
  processedUser: bigint;
}

export interface ChannelRow {
  address: string;
  alice: string;
  bob: string;
  chainId: number;
  nonce: number;
  timeout: string;
  assets: ChannelAsset[];
  updatedAt: Date;
}

export interface UpdateRow {
  nonce: number;
  type: string;
  assetId: string | null;
  createdAt: Date;
}

export interface TransferRow {
  transferId: string;
  channelAddress: string;
  transferDefinition: string;
  initiator: string;
  responder: string;
  assetId: string;
  initiatorAmount: bigint;
  responderAmount: bigint;
  status: string;
  meta: unknown;
  createdNonce: number;
  resolvedNonce: number | null;
  createdAt: Date;
  resolvedAt: Date | null;
}

export type ChannelSort = "updated" | "nonce" | "address";

export interface ChannelQuery {
  search?: string;
  sort?: ChannelSort;
  offset?: number;
  limit: number;
}

const CHANNEL_ORDER: Record<ChannelSort, SQL[]> = {
  updated: [desc(channels.updatedAt), asc(channels.address)],
  nonce: [desc(channels.latestNonce), asc(channels.address)],
  address: [asc(channels.address)],
};

const channelColumns = {
  address: channels.address,
  alice: channels.alice,
  bob: channels.bob,
  chainId: channels.chainId,
  nonce: channels.latestNonce,
  state: channels.latestState,
  updatedAt: channels.updatedAt,
};

function toChannel(row: {
  address: string;
  alice: string;
  bob: string;
  chainId: number;
  nonce: number;
  state: unknown;
  updatedAt: Date;
}): ChannelRow {
  const state = row.state as {
    assetIds: string[];
    balances: { amount: string[] }[];
    processedDepositsA: string[];
    processedDepositsB: string[];
    timeout: string;
  };
  return {
    address: row.address,
    alice: row.alice,
    bob: row.bob,
    chainId: row.chainId,
    nonce: row.nonce,
    timeout: String(state.timeout),
    updatedAt: row.updatedAt,
    assets: state.assetIds.map((assetId, i) => ({
      assetId,
      node: BigInt(state.balances[i]?.amount[0] ?? "0"),
      user: BigInt(state.balances[i]?.amount[1] ?? "0"),
      processedNode: BigInt(state.processedDepositsA[i] ?? "0"),
      processedUser: BigInt(state.processedDepositsB[i] ?? "0"),
    })),
  };
}

const transferColumns = {
  transferId: transfers.transferId,
  channelAddress: transfers.channelAddress,
  transferDefinition: transfers.transferDefinition,
  initiator: transfers.initiator,
  responder: transfers.responder,
  assetId: transfers.assetId,
  initiatorAmount: transfers.initiatorAmount,
  responderAmount: transfers.responderAmount,
  status: transfers.status,
  meta: transfers.meta,
  createdNonce: transfers.createdNonce,
  resolvedNonce: transfers.resolvedNonce,
  createdAt: transfers.createdAt,
  resolvedAt: transfers.resolvedAt,
};

function toTransfer(
  row: Omit<TransferRow, "initiatorAmount" | "responderAmount"> & {
    initiatorAmount: string;
    responderAmount: string;
  },
): TransferRow {
  return {
    ...row,
    initiatorAmount: BigInt(row.initiatorAmount),
    responderAmount: BigInt(row.responderAmount),
  };
}

function paymentConditions(filter: PaymentFilter): (SQL | undefined)[] {
  return [
    filter.status ? eq(payments.status, filter.status) : undefined,
    filter.assetId ? sql`lower(${payments.assetId}) = ${filter.assetId.toLowerCase()}` : undefined,
    filter.user
      ? or(
          sql`lower(${payments.sender}) = ${filter.user.toLowerCase()}`,
          sql`lower(${payments.recipient}) = ${filter.user.toLowerCase()}`,
        )
      : undefined,
    filter.from ? gte(payments.createdAt, filter.from) : undefined,
    filter.to ? lt(payments.createdAt, filter.to) : undefined,
  ];
}

/** Rows strictly after the cursor in (created_at desc, payment_id desc) order. */
function before(cursor: PageCursor): SQL {
  return sql`(${payments.createdAt}, ${payments.paymentId}) < (${cursor.createdAt}::timestamptz, ${cursor.id})`;
}

function emptyStats(): PeriodStats {
  return { count: 0, completed: 0, failed: 0, volume: {}, completedByAsset: {} };
}

function add(
  stats: PeriodStats,
  assetId: string,
  count: number,
  completed: number,
  failed: number,
  volume: string,
): void {
  stats.count += Number(count);
  stats.completed += Number(completed);
  stats.failed += Number(failed);
  if (Number(completed) > 0) {
    stats.volume[assetId] = (stats.volume[assetId] ?? 0n) + BigInt(volume);
    stats.completedByAsset[assetId] = (stats.completedByAsset[assetId] ?? 0) + Number(completed);
  }
}

/** The channel's or its user's address contains `search`, in any case. */
function channelSearch(search: string): SQL | undefined {
  const pattern = `%${escapeLike(search)}%`;
  return or(ilike(channels.address, pattern), ilike(channels.bob, pattern));
}

/** `%` and `_` typed in a search match themselves. */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
