import { asc, eq, sql } from "drizzle-orm";
import { rowsOf, type Tx } from "./channelStore";
import type { StoreDb } from "./database";
import { pendingWithdrawals } from "./schema";

/** A commitment to send (again), as claimed by one sender. */
export interface PendingWithdrawal {
  transferId: string;
  channelAddress: string;
  /** Sends that failed before this one. */
  attempts: number;
  lastError: string | null;
  createdAt: Date;
}

/**
 * The withdrawals the node must still see executed (issue 11): a row is written in the same
 * transaction as the resolve that gave the node both signatures, and removed once the chain
 * says the commitment is executed. Rows are claimed for a while before being sent, so that two
 * node processes on one database do not both send the same commitment at once; a failed send
 * makes its row due again later, never dropped. Every query reads what is pending only.
 *
 * @example
 * await pending.add(tx, { transferId, channelAddress }, 300_000);
 * for (const row of await pending.claimDue(50, 300_000)) await send(row);
 */
export class PendingWithdrawalRepository {
  constructor(private readonly db: StoreDb) {}

  /** Records a commitment to send, held `holdMs` for the sender that is about to send it. */
  async add(
    executor: StoreDb | Tx,
    row: { transferId: string; channelAddress: string },
    holdMs: number,
  ): Promise<void> {
    await executor.execute(sql`
      insert into pending_withdrawals (transfer_id, channel_address, next_attempt_at)
      values (${row.transferId}, ${row.channelAddress},
              now() + (${Math.max(0, Math.round(holdMs))} * interval '1 millisecond'))
      on conflict (transfer_id) do nothing`);
  }

  /**
   * Up to `limit` rows due now, oldest due first, each held `holdMs` for this caller: another
   * caller (another process) does not get them meanwhile.
   */
  async claimDue(limit: number, holdMs: number): Promise<PendingWithdrawal[]> {
    const result = await this.db.execute(sql`
      update pending_withdrawals
      set next_attempt_at = now() + (${Math.max(0, Math.round(holdMs))} * interval '1 millisecond')
      where transfer_id in (
        select transfer_id from pending_withdrawals
        where next_attempt_at <= now()
        order by next_attempt_at
        limit ${limit}
        for update skip locked)
      returning transfer_id, channel_address, attempts, last_error, created_at`);
    return rowsOf<{
      transfer_id: string;
      channel_address: string;
      attempts: number;
      last_error: string | null;
      created_at: string | Date;
    }>(result).map((row) => ({
      transferId: row.transfer_id,
      channelAddress: row.channel_address,
      attempts: Number(row.attempts),
      lastError: row.last_error,
      createdAt: new Date(row.created_at),
    }));
  }

  /** Keeps a claimed row held `holdMs` more: its send is still running (waiting to be mined). */
  async extend(transferId: string, holdMs: number): Promise<void> {
    await this.db.execute(sql`
      update pending_withdrawals
      set next_attempt_at = now() + (${Math.max(0, Math.round(holdMs))} * interval '1 millisecond')
      where transfer_id = ${transferId}`);
  }

  /** Makes every pending row due now (a node starting: whatever was in flight is sent again). */
  async dueNow(): Promise<void> {
    await this.db.update(pendingWithdrawals).set({ nextAttemptAt: sql`now()` });
  }

  /** The chain says executed: nothing more to send. */
  async done(transferId: string): Promise<void> {
    await this.db.delete(pendingWithdrawals).where(eq(pendingWithdrawals.transferId, transferId));
  }

  /** A send failed: counted, and due again in `retryInMs`. */
  async failed(transferId: string, error: string, retryInMs: number): Promise<void> {
    await this.db.execute(sql`
      update pending_withdrawals
      set attempts = attempts + 1, last_error = ${error.slice(0, 500)},
          next_attempt_at = now() + (${Math.max(0, Math.round(retryInMs))} * interval '1 millisecond')
      where transfer_id = ${transferId}`);
  }

  /** Every pending row, oldest first (operators, tests). */
  async list(): Promise<(PendingWithdrawal & { nextAttemptAt: Date })[]> {
    const rows = await this.db
      .select()
      .from(pendingWithdrawals)
      .orderBy(asc(pendingWithdrawals.createdAt));
    return rows.map((row) => ({
      transferId: row.transferId,
      channelAddress: row.channelAddress,
      attempts: row.attempts,
      lastError: row.lastError,
      createdAt: row.createdAt,
      nextAttemptAt: row.nextAttemptAt,
    }));
  }
}
