import { and, asc, eq, gte, type SQL, sql } from "drizzle-orm";
import {
  type AppliedUpdate,
  type ChannelUpdate,
  type ChannelView,
  type FullChannelState,
  type FullTransferState,
  MerkleTree,
  transferStateHash,
  type UpdateType,
} from "../../protocol";
import {
  channelStateSchema,
  channelUpdateSchema,
  transferStateSchema,
} from "../../protocol/schemas";
import { fromJson, jsonText } from "./codec";
import type { StoreDb } from "./database";
import { StoreError } from "./errors";
import { channels, channelUpdates, transfers } from "./schema";

export interface StoredChannel {
  channelAddress: string;
  alice: string;
  bob: string;
  chainId: number;
  nonce: number;
}

/**
 * The engine's channel repository. `saveApplied` is the "persist" of DESIGN §4.4: the new
 * state, its update and its transfer land in one transaction or not at all.
 */
export class ChannelStore {
  constructor(private readonly db: StoreDb) {}

  /**
   * Stores an applied update. `alongside` runs in the same transaction (e.g. the payment record
   * a routed transfer opens), so both land or neither does.
   */
  async saveApplied(applied: AppliedUpdate, alongside?: (tx: Tx) => Promise<void>): Promise<void> {
    const { state } = applied;
    const update = state.latestUpdate;
    try {
      await this.write(applied, alongside);
    } catch (error) {
      // A first update (no row to lock yet) raced by another writer loses on the history key.
      if (violates(error, HISTORY_KEY) || violates(error, CHANNEL_KEY)) {
        throw new StoreError(
          "NONCE_NOT_SEQUENTIAL",
          `nonce ${update.nonce} of ${state.channelAddress} is already stored`,
          { got: update.nonce },
        );
      }
      throw error;
    }
  }

  private async write(
    applied: AppliedUpdate,
    alongside: ((tx: Tx) => Promise<void>) | undefined,
  ): Promise<void> {
    const { state, transfer } = applied;
    const update = state.latestUpdate;
    await this.db.transaction(async (tx) => {
      if (update.nonce !== state.nonce) {
        throw new StoreError(
          "NONCE_NOT_SEQUENTIAL",
          `the update has nonce ${update.nonce}, its state ${state.nonce}`,
          { got: state.nonce },
        );
      }
      // One statement per update (issue: fewer statements per payment): the channel row, its
      // history entry and the transfer it moved, as data-modifying CTEs. Plain parameterised
      // SQL: the hot path, where Drizzle's query builder cost more than the statements.
      const stateJson = jsonText(state);
      const moved =
        state.nonce === 1
          ? // A second first writer loses on the primary key.
            sql`insert into channels (address, alice, bob, chain_id, latest_nonce, latest_state)
                values (${state.channelAddress}, ${state.alice}, ${state.bob},
                        ${state.networkContext.chainId}, 1, ${stateJson}::json)
                returning address`
          : // Only on top of the previous nonce: the row lock queues a second writer (another
            // node process), which then finds the nonce moved and writes nothing.
            sql`update channels set latest_nonce = ${state.nonce}, latest_state = ${stateJson}::json,
                                    updated_at = now()
                where address = ${state.channelAddress} and latest_nonce = ${state.nonce - 1}
                returning address`;
      const write = transfer ? TRANSFER_WRITES[update.type]?.(transfer, applied) : undefined;
      const [row] = rowsOf<{ moved: number; position?: number | null }>(
        await tx.execute(sql`
          with moved as (${moved}),
          history as (
            insert into channel_updates (channel_address, nonce, type, update)
            select address, ${update.nonce}::integer, ${update.type}::text,
                   ${jsonText(update)}::json
            from moved
          )${write ? sql`, transfer as (${write})` : sql``}
          select (select count(*) from moved)::integer as moved${
            write?.returnsPosition ? sql`, (select position from transfer) as position` : sql``
          }`),
      );
      if (Number(row?.moved ?? 0) === 0) {
        const [current] = await tx
          .select({ nonce: channels.latestNonce })
          .from(channels)
          .where(eq(channels.address, state.channelAddress));
        const expected = (current?.nonce ?? 0) + 1;
        throw new StoreError(
          "NONCE_NOT_SEQUENTIAL",
          `expected nonce ${expected} for ${state.channelAddress}, got ${state.nonce}`,
          { expected, got: state.nonce },
        );
      }
      if (write?.returnsPosition && transfer) {
        await movedLastLeaf(tx, transfer, row?.position, applied.tree.size);
      }
      // A resume drops the transfers settled on-chain, one removal after the other, as the tree
      // did: each removal's last position is the size the tree had after it.
      const dropped = applied.dropped ?? [];
      for (const [i, gone] of dropped.entries()) {
        const lastPosition = applied.tree.size + dropped.length - 1 - i;
        await resolveTransfer(tx, gone, state.nonce, lastPosition, "disputed");
      }
      if (alongside) await alongside(tx);
    });
  }

  /**
   * The channel as the protocol needs it, checked: the stored transfers must give its root.
   * State and transfers are read in one snapshot, so a writer in between (another process,
   * or a reader without the channel's lock) cannot tear them apart.
   */
  async loadChannelView(channelAddress: string): Promise<ChannelView | undefined> {
    const read = await this.db.transaction(
      async (tx) => {
        const [row] = await tx
          .select({ latestState: channels.latestState })
          .from(channels)
          .where(eq(channels.address, channelAddress));
        if (!row) return undefined;
        return { row, active: await activeTransfersOf(tx, channelAddress) };
      },
      { isolationLevel: "repeatable read", accessMode: "read only" },
    );
    if (!read) return undefined;
    const { row, active } = read;
    const state = fromJson<FullChannelState>(channelStateSchema, row.latestState, "channel state");
    const tree = new MerkleTree(active.map((transfer) => transferStateHash(transfer)));
    if (tree.root() !== state.merkleRoot) {
      throw new StoreError(
        "MERKLE_MISMATCH",
        `stored transfers of ${channelAddress} give root ${tree.root()}, its state has ${state.merkleRoot}`,
        { channelAddress, nonce: state.nonce, activeTransfers: active.length },
      );
    }
    return { state, transfers: new Map(active.map((t) => [t.transferId, t])), tree };
  }

  /** Active transfers in merkle-tree order. */
  async activeTransfers(channelAddress: string): Promise<FullTransferState[]> {
    return activeTransfersOf(this.db, channelAddress);
  }

  /** The stored nonce of a channel (0 when unknown): a cheap check that a cached view is current. */
  async latestNonce(channelAddress: string): Promise<number> {
    const [row] = await this.db
      .select({ nonce: channels.latestNonce })
      .from(channels)
      .where(eq(channels.address, channelAddress));
    return row?.nonce ?? 0;
  }

  /** Resolved transfers of one definition, resolved at or after `since`, oldest first. */
  async resolvedTransfers(definition: string, since: Date): Promise<FullTransferState[]> {
    const rows = await this.db
      .select({ state: transfers.state })
      .from(transfers)
      .where(
        and(
          sql`lower(${transfers.transferDefinition}) = ${definition.toLowerCase()}`,
          eq(transfers.status, "resolved"),
          gte(transfers.resolvedAt, since),
        ),
      )
      .orderBy(asc(transfers.resolvedAt));
    return rows.map((r) => fromJson<FullTransferState>(transferStateSchema, r.state, "transfer"));
  }

  /** One transfer, active or resolved. */
  async getTransfer(transferId: string): Promise<
    | {
        transfer: FullTransferState;
        active: boolean;
        /** Left the channel at a resume: settled on-chain in a dispute. */
        disputed: boolean;
      }
    | undefined
  > {
    const [row] = await this.db
      .select({ state: transfers.state, status: transfers.status })
      .from(transfers)
      .where(eq(transfers.transferId, transferId));
    if (!row) return undefined;
    return {
      transfer: fromJson<FullTransferState>(transferStateSchema, row.state, "transfer"),
      active: row.status === "active",
      disputed: row.status === "disputed",
    };
  }

  /** The node's (alice's) balance per asset summed over every channel, for metrics. */
  async nodeBalances(): Promise<Record<string, bigint>> {
    const rows = await this.db.select({ latestState: channels.latestState }).from(channels);
    const totals: Record<string, bigint> = {};
    for (const row of rows) {
      const state = row.latestState as { assetIds: string[]; balances: { amount: string[] }[] };
      state.assetIds.forEach((asset, i) => {
        totals[asset] = (totals[asset] ?? 0n) + BigInt(state.balances[i]?.amount[0] ?? "0");
      });
    }
    return totals;
  }

  /**
   * Channels without an update since `before` where the node (alice) holds a free balance,
   * with that balance per asset: idle collateral (issue 9 §6), oldest first.
   */
  async idleChannels(
    before: Date,
  ): Promise<{ channelAddress: string; bob: string; nodeBalances: Record<string, bigint> }[]> {
    const rows = await this.db
      .select({ channelAddress: channels.address, bob: channels.bob, state: channels.latestState })
      .from(channels)
      .where(
        sql`${channels.updatedAt} < ${before.toISOString()}::timestamptz and exists (
          select 1 from json_array_elements(${channels.latestState}->'balances') as b
          where (b->'amount'->>0)::numeric > 0)`,
      )
      .orderBy(asc(channels.updatedAt));
    return rows.map(({ channelAddress, bob, state }) => {
      const { assetIds, balances } = state as {
        assetIds: string[];
        balances: { amount: string[] }[];
      };
      const nodeBalances: Record<string, bigint> = {};
      assetIds.forEach((asset, i) => {
        const amount = BigInt(balances[i]?.amount[0] ?? "0");
        if (amount > 0n) nodeBalances[asset] = amount;
      });
      return { channelAddress, bob, nodeBalances };
    });
  }

  async listChannels(): Promise<StoredChannel[]> {
    const rows = await this.db
      .select({
        channelAddress: channels.address,
        alice: channels.alice,
        bob: channels.bob,
        chainId: channels.chainId,
        nonce: channels.latestNonce,
      })
      .from(channels)
      .orderBy(asc(channels.address));
    return rows;
  }

  /** Doubly-signed updates from `fromNonce` on, oldest first. */
  async getUpdates(channelAddress: string, fromNonce = 1): Promise<ChannelUpdate[]> {
    const rows = await this.db
      .select({ update: channelUpdates.update })
      .from(channelUpdates)
      .where(
        and(
          eq(channelUpdates.channelAddress, channelAddress),
          gte(channelUpdates.nonce, fromNonce),
        ),
      )
      .orderBy(asc(channelUpdates.nonce));
    return rows.map((r) => fromJson<ChannelUpdate>(channelUpdateSchema, r.update, "update"));
  }
}

const HISTORY_KEY = "channel_updates_channel_address_nonce_pk";
const CHANNEL_KEY = "channels_pkey";

/** Whether `error` (or its cause, as drizzle wraps driver errors) breaks `constraint`. */
function violates(error: unknown, constraint: string): boolean {
  for (let e = error; e instanceof Error; e = e.cause) {
    const fields = e as { code?: unknown; constraint?: unknown; constraint_name?: unknown };
    // postgres.js names it constraint_name, PGlite constraint.
    const name = fields.constraint_name ?? fields.constraint;
    if (fields.code === "23505" && name === constraint) return true;
  }
  return false;
}

async function activeTransfersOf(
  executor: StoreDb | Tx,
  channelAddress: string,
): Promise<FullTransferState[]> {
  const rows = await executor
    .select({ state: transfers.state })
    .from(transfers)
    .where(and(eq(transfers.channelAddress, channelAddress), eq(transfers.status, "active")))
    .orderBy(asc(transfers.position));
  return rows.map((r) => fromJson<FullTransferState>(transferStateSchema, r.state, "transfer"));
}

/** Rows of a raw statement: PGlite answers `{ rows }`, postgres.js an array of rows. */
export function rowsOf<T = Record<string, unknown>>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

/** A transaction of the store's database. */
export type Tx = Parameters<Parameters<StoreDb["transaction"]>[0]>[0];

/** A transfer write, a CTE of the update's statement, reading the channel row it moved. */
type TransferWrite = SQL & { returnsPosition?: boolean };

/**
 * How each update type writes the transfer it moved: a create adds it as the tree's last leaf,
 * a resolve marks it resolved where its leaf was. Both only when the channel row moved.
 */
const TRANSFER_WRITES: Partial<
  Record<UpdateType, (transfer: FullTransferState, applied: AppliedUpdate) => TransferWrite>
> = {
  create: (transfer, applied) => insertTransfer(transfer, applied.tree.size - 1),
  resolve: (transfer, applied) => {
    const write: TransferWrite = resolveTransferSql(transfer, applied.state.nonce, "resolved");
    write.returnsPosition = true;
    return write;
  },
};

function insertTransfer(transfer: FullTransferState, position: number): SQL {
  const meta = transfer.meta === undefined ? null : jsonText(transfer.meta);
  return sql`
    insert into transfers (transfer_id, channel_address, transfer_definition, initiator, responder,
                           asset_id, initiator_amount, responder_amount, state, status, position,
                           created_nonce, meta)
    select ${transfer.transferId}::text, ${transfer.channelAddress}::text,
           ${transfer.transferDefinition}::text, ${transfer.initiator}::text,
           ${transfer.responder}::text, ${transfer.assetId}::text,
           ${transfer.balance.amount[0].toString(10)}::numeric,
           ${transfer.balance.amount[1].toString(10)}::numeric,
           ${jsonText(transfer)}::json, 'active', ${position}::integer,
           ${transfer.channelNonce}::integer, ${meta}::json
    from moved`;
}

/**
 * Marks the transfer resolved, returning the position it had: a subquery in RETURNING reads
 * the statement's snapshot, so it gives the position from before this update cleared it.
 * Inside the update's statement, only when the channel row moved.
 */
function resolveTransferSql(
  transfer: FullTransferState,
  nonce: number,
  status: "resolved" | "disputed",
  inUpdate = true,
): SQL {
  return sql`
    update transfers set state = ${jsonText(transfer)}::json,
                         resolver = ${transfer.transferResolver ?? null}::text,
                         status = ${status}, position = null,
                         resolved_nonce = ${nonce}::integer, resolved_at = now()
    where transfer_id = ${transfer.transferId} and status = 'active'${
      inUpdate ? sql` and exists (select 1 from moved)` : sql``
    }
    returning (select t.position from transfers t
               where t.transfer_id = ${transfer.transferId}) as position`;
}

/**
 * Marks the transfer resolved and mirrors MerkleTree.remove (see movedLastLeaf). `lastPosition`
 * is the tree's size after the removal, i.e. the old last index.
 */
async function resolveTransfer(
  tx: Tx,
  transfer: FullTransferState,
  nonce: number,
  lastPosition: number,
  status: "resolved" | "disputed" = "resolved",
) {
  const [found] = rowsOf<{ position: number | null }>(
    await tx.execute(resolveTransferSql(transfer, nonce, status, false)),
  );
  await movedLastLeaf(tx, transfer, found?.position, lastPosition);
}

/**
 * After a transfer left the tree from `position`, mirrors MerkleTree.remove: the last leaf
 * moves into the freed slot, so stored positions keep the tree's order. No position: the
 * transfer was not active.
 */
async function movedLastLeaf(
  tx: Tx,
  transfer: FullTransferState,
  position: number | null | undefined,
  lastPosition: number,
) {
  if (position == null) {
    throw new StoreError("UNKNOWN_TRANSFER", `no active transfer ${transfer.transferId}`, {
      transferId: transfer.transferId,
    });
  }
  if (position !== lastPosition) {
    await tx
      .update(transfers)
      .set({ position })
      .where(
        and(
          eq(transfers.channelAddress, transfer.channelAddress),
          eq(transfers.status, "active"),
          eq(transfers.position, lastPosition),
        ),
      );
  }
}
