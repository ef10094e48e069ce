import { and, desc, eq, inArray, isNull, lte, or, type SQL, sql } from "drizzle-orm";
import type { Tx } from "./channelStore";
import type { StoreDb } from "./database";
import { PAYMENT_STATUSES, payments, transfers } from "./schema";

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
  error: string | null;
  createdAt: Date;
  updatedAt: Date;
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
    payment: Omit<Payment, "status" | "error" | "createdAt" | "updatedAt" | "recipientTransferId">,
  ): Promise<void> {
    await tx.insert(payments).values({
      ...payment,
      amount: payment.amount.toString(10),
      recipientTransferId: null,
      status: "pending",
    });
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

  /** Links the mirror transfer; `tx` is the transaction storing it. */
  async forwarded(tx: Tx, paymentId: string, recipientTransferId: string): Promise<void> {
    await tx
      .update(payments)
      .set({ recipientTransferId, updatedAt: new Date() })
      .where(eq(payments.paymentId, paymentId));
  }

  /** The payee resolved the mirror with the pre-image: its payment is completed. */
  async completeByRecipientTransfer(tx: Tx, recipientTransferId: string): Promise<void> {
    await tx
      .update(payments)
      .set({ status: "completed", updatedAt: new Date() })
      .where(
        and(eq(payments.recipientTransferId, recipientTransferId), eq(payments.status, "pending")),
      );
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
   * Pending or completed payments (of `sender`, when given) whose payer's transfer is still
   * active: what is left to settle or refund on the payer's side.
   */
  async withActivePayerTransfer(sender?: string): Promise<Payment[]> {
    const rows = await this.db
      .select({ payment: payments })
      .from(payments)
      .innerJoin(transfers, eq(transfers.transferId, payments.senderTransferId))
      .where(
        and(
          eq(transfers.status, "active"),
          inArray(payments.status, ["pending", "completed"]),
          sender ? eq(payments.sender, sender) : undefined,
        ),
      );
    return rows.map((row) => fromRow(row.payment));
  }

  /** Pending payments whose payer's expiry is at or before `deadline`. */
  async expiringBy(deadline: number): Promise<Payment[]> {
    const rows = await this.db
      .select()
      .from(payments)
      .where(
        and(
          eq(payments.status, "pending"),
          sql`${payments.expiry} <> 0`,
          lte(payments.expiry, deadline),
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
}
