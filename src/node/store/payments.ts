import { and, desc, eq, inArray, isNotNull, isNull, lte, or, type SQL, sql } from "drizzle-orm";
import { rowsOf, type Tx } from "./channelStore";
import type { StoreDb } from "./database";
import { channels, PAYMENT_STATUSES, payments, transfers } from "./schema";

export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/** A routed payment (DESIGN §4.6) as the node records it. */
export interface Payment {
  paymentId: string;
  senderTransferId: string;
  recipientTransferId: string | null;
  sender: string;
  recipient: string;
  assetId: string;
  amount: bigint;
  lockHash: string;
  /** The payer's transfer expiry, unix seconds (0: none). */
  expiry: number;
  status: PaymentStatus;
  /** The highest payee-channel nonce at which the node signed a mirror; null: none signed. */
  mirrorNonce: number | null;
  /** That mirror's expiry, unix seconds. */
  mirrorExpiry: number | null;
  /** The pre-image, once the payee revealed it on-chain. */
  preImage: string | null;
  error: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** What `reserveMirror` reserved over. */
export interface MirrorReservation {
  /** The payment's mirror nonce before this reservation (null: none signed yet). */
  previous: number | null;
}

/** A completed payment whose payer's transfer is still active (`unsettledPayers`). */
export interface UnsettledPayerRow {
  paymentId: string;
  senderTransferId: string;
  payer: string;
  /** The payer's transfer expiry, unix seconds (0: none). */
  expiry: number;
  /** The payer's channel. */
  channelAddress: string;
  /** The payer's transfer's definition. */
  transferDefinition: string;
  /** The payer's channel dispute timeout, seconds. */
  channelTimeout: number;
}

type Row = typeof payments.$inferSelect;

function fromRow(row: Row): Payment {
  return { ...row, amount: BigInt(row.amount) };
}

/** The node's payment records. Writes that belong with a channel update take its transaction. */
export class PaymentRepository {
  constructor(private readonly db: StoreDb) {}

  /** Opens a payment; `tx` is the transaction storing the payer's transfer. */
  async open(
    tx: Tx,
    payment: Omit<
      Payment,
      | "status"
      | "error"
      | "createdAt"
      | "updatedAt"
      | "recipientTransferId"
      | "mirrorNonce"
      | "mirrorExpiry"
      | "preImage"
    >,
  ): Promise<void> {
    await tx.insert(payments).values({
      ...payment,
      amount: payment.amount.toString(10),
      recipientTransferId: null,
      status: "pending",
    });
  }

  /**
   * Records, before the node signs it, that a mirror of the payment at `nonce` of the payee's
   * channel may exist from now on, and gives the mirror nonce it had (for `releaseMirror`).
   * Undefined when the payment is no longer pending or already has its mirror: then nothing
   * may be signed.
   */
  async reserveMirror(
    paymentId: string,
    nonce: number,
    mirrorExpiry: number,
  ): Promise<MirrorReservation | undefined> {
    // One statement: the row is locked and read (its previous mirror nonce, for a release),
    // then moved.
    const result = await this.db.execute(sql`
      with old as (
        select payment_id, mirror_nonce from ${payments}
        where payment_id = ${paymentId} and status = 'pending' and recipient_transfer_id is null
        for update
      )
      update ${payments} p
      set mirror_nonce = greatest(coalesce(p.mirror_nonce, 0), ${nonce}::integer),
          mirror_expiry = ${mirrorExpiry}::bigint, updated_at = now()
      from old where p.payment_id = old.payment_id
      returning old.mirror_nonce as previous`);
    const [row] = rowsOf<{ previous: number | null }>(result);
    return row ? { previous: row.previous === null ? null : Number(row.previous) } : undefined;
  }

  /**
   * Takes back a reservation whose mirror reached nobody: the payment's mirror nonce returns
   * to `previous` if it is still `nonce`. Called under the payee channel's lock, before
   * anything else could be signed there.
   */
  async releaseMirror(paymentId: string, nonce: number, previous: number | null): Promise<void> {
    await this.db
      .update(payments)
      .set({ mirrorNonce: previous, ...(previous === null ? { mirrorExpiry: null } : {}) })
      .where(and(eq(payments.paymentId, paymentId), eq(payments.mirrorNonce, nonce)));
  }

  /**
   * Decides to refund a pending payment, as long as nothing about its mirror changed since the
   * caller judged every signed mirror dead (`observed` is what it saw: no mirror signed or
   * adopted since). One statement, so a concurrent `reserveMirror` or adoption and this cannot
   * both succeed.
   */
  async decideRefund(
    paymentId: string,
    observed: Pick<Payment, "mirrorNonce" | "recipientTransferId">,
    reason: string,
  ): Promise<boolean> {
    const rows = await this.db
      .update(payments)
      .set({ status: "cancelled", error: reason.slice(0, 500), updatedAt: new Date() })
      .where(
        and(
          eq(payments.paymentId, paymentId),
          eq(payments.status, "pending"),
          observed.mirrorNonce === null
            ? isNull(payments.mirrorNonce)
            : eq(payments.mirrorNonce, observed.mirrorNonce),
          observed.recipientTransferId === null
            ? isNull(payments.recipientTransferId)
            : eq(payments.recipientTransferId, observed.recipientTransferId),
        ),
      )
      .returning({ id: payments.paymentId });
    return rows.length > 0;
  }

  async exists(paymentId: string): Promise<boolean> {
    const [row] = await this.db
      .select({ id: payments.paymentId })
      .from(payments)
      .where(eq(payments.paymentId, paymentId));
    return row !== undefined;
  }

  async get(paymentId: string): Promise<Payment | undefined> {
    return this.findOne(eq(payments.paymentId, paymentId), this.db);
  }

  async bySenderTransfer(
    transferId: string,
    executor: StoreDb | Tx = this.db,
  ): Promise<Payment | undefined> {
    return this.findOne(eq(payments.senderTransferId, transferId), executor);
  }

  async byRecipientTransfer(
    transferId: string,
    executor: StoreDb | Tx = this.db,
  ): Promise<Payment | undefined> {
    return this.findOne(eq(payments.recipientTransferId, transferId), executor);
  }

  private async findOne(where: SQL, executor: StoreDb | Tx): Promise<Payment | undefined> {
    const [row] = await executor.select().from(payments).where(where);
    return row ? fromRow(row) : undefined;
  }

  /**
   * Links the mirror transfer; `tx` is the transaction storing it. False when the payment is
   * no longer pending or has another mirror already: the caller refuses the mirror.
   */
  async forwarded(tx: Tx, paymentId: string, recipientTransferId: string): Promise<boolean> {
    const rows = await tx
      .update(payments)
      .set({ recipientTransferId, updatedAt: new Date() })
      .where(
        and(
          eq(payments.paymentId, paymentId),
          eq(payments.status, "pending"),
          or(
            isNull(payments.recipientTransferId),
            eq(payments.recipientTransferId, recipientTransferId),
          ),
        ),
      )
      .returning({ id: payments.paymentId });
    return rows.length > 0;
  }

  /**
   * The payee claimed the mirror on-chain with this pre-image (read from its defundTransfer):
   * the payment is completed, and the payer's side is claimed with the same pre-image.
   */
  async claimedOnchain(
    recipientTransferId: string,
    preImage: string,
  ): Promise<Payment | undefined> {
    const [row] = await this.db
      .update(payments)
      .set({ preImage, status: "completed", updatedAt: new Date() })
      .where(
        and(
          eq(payments.recipientTransferId, recipientTransferId),
          inArray(payments.status, ["pending", "completed"]),
        ),
      )
      .returning();
    return row ? fromRow(row) : undefined;
  }

  /**
   * A mirror the node signed but never stored (its reply never came; a later mirror of the
   * same payment may be stored instead) was claimed on-chain with this pre-image: the payments
   * it can be are those whose lock it opens and that have a signed mirror. They are completed
   * with the pre-image, so no refund follows, and their payers' sides are claimed with it. (A
   * pre-image from anywhere only ever lets the node claim what payers owe it.)
   */
  async claimedOnchainByLock(lockHash: string, preImage: string): Promise<Payment[]> {
    const rows = await this.db
      .update(payments)
      .set({ preImage, status: "completed", updatedAt: new Date() })
      .where(
        and(
          eq(payments.lockHash, lockHash.toLowerCase()),
          isNotNull(payments.mirrorNonce),
          inArray(payments.status, ["pending", "completed"]),
        ),
      )
      .returning();
    return rows.map(fromRow);
  }

  /** A payer's transfer left its channel settled on-chain: a payment still pending was refunded. */
  async refundedOnchain(tx: Tx, senderTransferId: string): Promise<void> {
    await tx
      .update(payments)
      .set({ status: "cancelled", error: "refunded on-chain in a dispute", updatedAt: new Date() })
      .where(and(eq(payments.senderTransferId, senderTransferId), eq(payments.status, "pending")));
  }

  /**
   * The payee claimed the mirror: its payment is completed. Returns the status the payment had
   * (undefined: no payment has this mirror), so that a claim of a payment already refunded is
   * refused and rolled back rather than paid on top of the refund.
   */
  async completeByRecipientTransfer(
    tx: Tx,
    recipientTransferId: string,
  ): Promise<PaymentStatus | undefined> {
    // One statement: the row is locked and read, and completed only if it was pending.
    const result = await tx.execute(sql`
      with old as (
        select payment_id, status from ${payments}
        where recipient_transfer_id = ${recipientTransferId}
        for update
      ),
      done as (
        update ${payments} p set status = 'completed', updated_at = now()
        from old where p.payment_id = old.payment_id and old.status = 'pending'
      )
      select status from old`);
    return rowsOf<{ status: PaymentStatus }>(result)[0]?.status;
  }

  /** Moves a pending payment on; false when it had already left `pending`. */
  async settle(
    executor: StoreDb | Tx,
    paymentId: string,
    status: Exclude<PaymentStatus, "pending">,
    error?: string,
  ): Promise<boolean> {
    const rows = await executor
      .update(payments)
      .set({ status, error: error ?? null, updatedAt: new Date() })
      .where(and(eq(payments.paymentId, paymentId), eq(payments.status, "pending")))
      .returning({ id: payments.paymentId });
    return rows.length > 0;
  }

  /** Pending payments to `recipient` not yet forwarded, oldest first. */
  async awaitingForward(recipient?: string): Promise<Payment[]> {
    const rows = await this.db
      .select()
      .from(payments)
      .where(
        and(
          eq(payments.status, "pending"),
          isNull(payments.recipientTransferId),
          recipient ? eq(payments.recipient, recipient) : undefined,
        ),
      )
      .orderBy(payments.createdAt);
    return rows.map(fromRow);
  }

  /**
   * Payments (of `sender`, when given) whose payer's transfer is still active: what is left to
   * settle (completed), refund (cancelled) or decide (pending) on the payer's side.
   */
  async withActivePayerTransfer(sender?: string): Promise<Payment[]> {
    const rows = await this.db
      .select({ payment: payments })
      .from(payments)
      .innerJoin(transfers, eq(transfers.transferId, payments.senderTransferId))
      .where(and(eq(transfers.status, "active"), sender ? eq(payments.sender, sender) : undefined));
    return rows.map((row) => fromRow(row.payment));
  }

  /**
   * Completed payments whose payer's transfer is still active: the payee was paid and the node
   * holds the payer's resolver, but the payer has not taken the resolve. With the payer's
   * channel and its dispute timeout, for the node's last-moment dispute (`payerDeadlines.ts`).
   */
  async unsettledPayers(): Promise<UnsettledPayerRow[]> {
    const result = await this.db.execute(UNSETTLED_PAYERS);
    const rows = rowsOf<
      Omit<UnsettledPayerRow, "channelTimeout" | "expiry"> & {
        channelTimeout: string;
        expiry: string | number;
      }
    >(result);
    return rows.map((row) => ({
      ...row,
      expiry: Number(row.expiry),
      channelTimeout: Number(row.channelTimeout),
    }));
  }

  /**
   * Pending payments that may be due for a refund by `now`: a mirror signed and expired by
   * then, or none signed and the payer's expiry at or before `unforwardedDeadline` (past it,
   * a mirror could no longer leave the payee room to claim).
   */
  async refundCandidates(now: number, unforwardedDeadline: number): Promise<Payment[]> {
    const rows = await this.db
      .select()
      .from(payments)
      .where(
        and(
          eq(payments.status, "pending"),
          or(
            and(sql`${payments.mirrorExpiry} is not null`, lte(payments.mirrorExpiry, now)),
            and(
              isNull(payments.mirrorNonce),
              sql`${payments.expiry} <> 0`,
              lte(payments.expiry, unforwardedDeadline),
            ),
          ),
        ),
      );
    return rows.map(fromRow);
  }

  /** Payments a user sent or received, newest first. */
  async forUser(user: string, limit = 100): Promise<Payment[]> {
    const rows = await this.db
      .select()
      .from(payments)
      .where(or(eq(payments.sender, user), eq(payments.recipient, user)))
      .orderBy(desc(payments.createdAt))
      .limit(limit);
    return rows.map(fromRow);
  }

  async withStatus(statuses: PaymentStatus[]): Promise<Payment[]> {
    const rows = await this.db.select().from(payments).where(inArray(payments.status, statuses));
    return rows.map(fromRow);
  }

  async countByStatus(): Promise<Record<PaymentStatus, number>> {
    const rows = await this.db
      .select({ status: payments.status, n: sql<number>`count(*)::int` })
      .from(payments)
      .groupBy(payments.status);
    const counts = Object.fromEntries(PAYMENT_STATUSES.map((s) => [s, 0])) as Record<
      PaymentStatus,
      number
    >;
    for (const row of rows) counts[row.status] = Number(row.n);
    return counts;
  }

  /**
   * A payee's inbound demand in one asset, for collateral (issue 9 §6): pending payments not
   * forwarded yet, and payments completed since `since`. Addresses checksummed, as routing
   * stores them.
   */
  async inboundDemand(
    recipient: string,
    assetId: string,
    since: Date,
  ): Promise<{ waiting: bigint; completed: bigint }> {
    // Two index range scans: what waits (a partial index of unforwarded pending payments) and
    // what completed within the window (by updated_at), never the payee's whole history.
    const [row] = rowsOf<{ waiting: string; completed: string }>(
      await this.db.execute(sql`
        select
          (select coalesce(sum(amount), 0) from ${payments}
           where recipient = ${recipient} and asset_id = ${assetId}
             and status = 'pending' and recipient_transfer_id is null)::text as waiting,
          (select coalesce(sum(amount), 0) from ${payments}
           where recipient = ${recipient} and asset_id = ${assetId} and status = 'completed'
             and updated_at >= ${since.toISOString()}::timestamptz)::text as completed`),
    );
    return { waiting: BigInt(row?.waiting ?? "0"), completed: BigInt(row?.completed ?? "0") };
  }
}

/**
 * `unsettledPayers`' statement: from the few active transfers to their payments, one index
 * lookup each, whatever the planner's statistics say. Completed payments grow without bound,
 * active transfers do not; a join the planner flattens scanned every completed payment, every
 * 5 s (the payer-deadline check), and the node's latency grew with its history.
 */
export const UNSETTLED_PAYERS = sql`
  select p.payment_id as "paymentId", p.sender_transfer_id as "senderTransferId",
         p.sender as "payer", p.expiry, t.channel_address as "channelAddress",
         t.transfer_definition as "transferDefinition",
         (c.latest_state->>'timeout') as "channelTimeout"
  from ${transfers} t
  join ${channels} c on c.address = t.channel_address
  join lateral (
    select payment_id, sender_transfer_id, sender, expiry, status from ${payments}
    where sender_transfer_id = t.transfer_id
    offset 0 -- a fence: one index lookup per transfer, no join or status index scan
  ) p on true
  where t.status = 'active' and p.status = 'completed'`;
