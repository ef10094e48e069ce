import { and, asc, desc, eq, inArray, isNotNull, sql } from "drizzle-orm";
import type { StoreDb } from "./database";
import { ONCHAIN_STATUSES, onchainTransactions } from "./schema";

export type OnchainStatus = (typeof ONCHAIN_STATUSES)[number];
export type OnchainTransactionRecord = typeof onchainTransactions.$inferSelect;

export interface NewOnchainTransaction {
  channelAddress?: string;
  /** e.g. deploy, deposit, approve, withdraw. */
  purpose: string;
  fromAddress: string;
}

export interface SubmittedTransaction {
  hash: string;
  nonce: number;
  /** Broadcasts it took, retries and nonce re-syncs included. */
  attempts: number;
}

/** A transaction signed and about to be broadcast (several node processes: DESIGN §3). */
export interface SignedTransaction extends SubmittedTransaction {
  /** The signed transaction, as broadcast. */
  raw: string;
}

export interface ListOnchainTransactions {
  channelAddress?: string;
  /** Newest first; 100 when absent. */
  limit?: number;
}

const DEFAULT_LIST_LIMIT = 100;

/**
 * The node's record of every transaction it sends: `pending` before it has a nonce,
 * `submitted` once broadcast, then `mined` or `failed`. The dashboard and operators read it;
 * the sender writes it.
 *
 * @example
 * const id = await repo.create({ purpose: "deploy", fromAddress: wallet.address });
 * await repo.markSubmitted(id, { hash, nonce, attempts: 1 });
 * await repo.markMined(id);
 */
export class OnchainTransactionRepository {
  constructor(private readonly db: StoreDb) {}

  async create(record: NewOnchainTransaction): Promise<number> {
    const [row] = await this.db
      .insert(onchainTransactions)
      .values({
        channelAddress: record.channelAddress ?? null,
        purpose: record.purpose,
        fromAddress: record.fromAddress,
        status: "pending",
      })
      .returning({ id: onchainTransactions.id });
    if (!row) throw new Error("insert into onchain_transactions returned no row");
    return row.id;
  }

  async markSubmitted(id: number, submitted: SubmittedTransaction): Promise<void> {
    await this.update(id, {
      status: "submitted",
      transactionHash: submitted.hash,
      nonce: submitted.nonce,
      attempts: submitted.attempts,
    });
  }

  /**
   * Written before a broadcast: the row stays `pending` but holds what is about to go out, so
   * that if this process dies before `markSubmitted`, the next sender can finish it
   * (`unconfirmedSigned`).
   */
  async markSigned(id: number, signed: SignedTransaction): Promise<void> {
    await this.update(id, {
      transactionHash: signed.hash,
      nonce: signed.nonce,
      attempts: signed.attempts,
      rawTransaction: signed.raw,
    });
  }

  /** The signed transaction was not broadcast after all (the send failed): nothing to finish. */
  async clearSigned(id: number): Promise<void> {
    await this.update(id, { rawTransaction: null });
  }

  /** Rows of `fromAddress` signed but never said to be out: a sender died mid-broadcast. */
  async unconfirmedSigned(fromAddress: string): Promise<OnchainTransactionRecord[]> {
    return this.db
      .select()
      .from(onchainTransactions)
      .where(
        and(
          eq(onchainTransactions.fromAddress, fromAddress),
          eq(onchainTransactions.status, "pending"),
          isNotNull(onchainTransactions.rawTransaction),
        ),
      )
      .orderBy(asc(onchainTransactions.nonce));
  }

  /**
   * The channel's transactions for `purpose` that went out (or were about to) and have no
   * outcome recorded: still in flight, or left by a process that stopped.
   */
  async inFlight(channelAddress: string, purpose: string): Promise<OnchainTransactionRecord[]> {
    return this.db
      .select()
      .from(onchainTransactions)
      .where(
        and(
          eq(onchainTransactions.channelAddress, channelAddress),
          eq(onchainTransactions.purpose, purpose),
          inArray(onchainTransactions.status, ["pending", "submitted"]),
          isNotNull(onchainTransactions.transactionHash),
        ),
      )
      .orderBy(asc(onchainTransactions.id));
  }

  /** Mined; `gasUsed` from its receipt. */
  async markMined(id: number, gasUsed?: bigint): Promise<void> {
    await this.update(id, {
      status: "mined",
      error: null,
      ...(gasUsed !== undefined ? { gasUsed: gasUsed.toString() } : {}),
    });
  }

  /** Failed; `gasUsed` when it was mined and reverted (the gas is spent all the same). */
  async markFailed(id: number, error: string, gasUsed?: bigint): Promise<void> {
    await this.update(id, {
      status: "failed",
      error,
      ...(gasUsed !== undefined ? { gasUsed: gasUsed.toString() } : {}),
    });
  }

  /** The latest transaction sent for `purpose` on the channel, if any. */
  async latestFor(
    channelAddress: string,
    purpose: string,
  ): Promise<OnchainTransactionRecord | undefined> {
    const [row] = await this.db
      .select()
      .from(onchainTransactions)
      .where(
        and(
          eq(onchainTransactions.channelAddress, channelAddress),
          eq(onchainTransactions.purpose, purpose),
        ),
      )
      .orderBy(desc(onchainTransactions.id))
      .limit(1);
    return row;
  }

  async get(id: number): Promise<OnchainTransactionRecord | undefined> {
    const [row] = await this.db
      .select()
      .from(onchainTransactions)
      .where(eq(onchainTransactions.id, id));
    return row;
  }

  async list(options: ListOnchainTransactions = {}): Promise<OnchainTransactionRecord[]> {
    const query = this.db.select().from(onchainTransactions);
    const filtered = options.channelAddress
      ? query.where(eq(onchainTransactions.channelAddress, options.channelAddress))
      : query;
    return filtered
      .orderBy(desc(onchainTransactions.id))
      .limit(options.limit ?? DEFAULT_LIST_LIMIT);
  }

  /** Every status with its count, zeros included, so a dashboard can show them all. */
  async countByStatus(): Promise<Record<OnchainStatus, number>> {
    const rows = await this.db
      .select({ status: onchainTransactions.status, count: sql<number>`count(*)::int` })
      .from(onchainTransactions)
      .groupBy(onchainTransactions.status);
    const counts = Object.fromEntries(ONCHAIN_STATUSES.map((status) => [status, 0])) as Record<
      OnchainStatus,
      number
    >;
    for (const row of rows) counts[row.status] = Number(row.count);
    return counts;
  }

  private async update(
    id: number,
    values: Partial<typeof onchainTransactions.$inferInsert>,
  ): Promise<void> {
    await this.db
      .update(onchainTransactions)
      .set({ ...values, updatedAt: new Date() })
      .where(eq(onchainTransactions.id, id));
  }
}
