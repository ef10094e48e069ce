import type { Logger } from "pino";
import type { PaymentRepository } from "../store/payments";
import { type PayerDispute, payerDisputesDue } from "./payerDeadlines";
import type { RoutingRules } from "./routingRules";

/** What asking for a payer's channel dispute came to. */
export type PayerDisputeOutcome =
  /** The node's latest state is on record (or on its way): the responder claims the rest. */
  | "started"
  /** A dispute of the channel was on record or in flight already: the responder carries it. */
  | "on-record"
  /** The channel no longer holds any of the transfers: the payer settled meanwhile. */
  | "settled";

export interface PayerDisputeDeps {
  payments: Pick<PaymentRepository, "unsettledPayers">;
  /**
   * Whether the node's responder can defund a transfer of this definition with the resolver
   * the node holds (a routed payment's: a hashlock's pre-image, a thread's voucher); a dispute
   * would not claim the others.
   */
  claimable(transferDefinition: string): boolean;
  rules: Pick<RoutingRules, "claimBufferSeconds">;
  now(): number;
  /**
   * Puts the node's latest state of the channel on record (the operator's `dispute`), unless it
   * holds none of `transferIds` any more. Throws when it could not: tried again next sweep.
   */
  dispute(channelAddress: string, transferIds: string[]): Promise<PayerDisputeOutcome>;
  logger: Logger;
}

/** Payers' channels disputed at once, at most. */
export const PAYER_DISPUTES_PARALLEL = 4;

/**
 * The node's own dispute of a payer that does not settle a payment its payee was paid
 * (SECURITY rule 23): on the engine's sweep, the payers' channels whose last moment has come
 * (`payerDeadlines.ts`) are disputed, and the responder defunds the payer's transfers with the
 * pre-image. A channel whose dispute is on record is asked again only for transfers it did
 * not cover; after a restart, once more, and `dispute` then sends nothing twice.
 */
export class PayerDisputes {
  /** Payer transfers (lowercase ids) a dispute on record covers. */
  private readonly covered = new Set<string>();
  private sweeping = false;

  constructor(private readonly deps: PayerDisputeDeps) {}

  async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      const unsettled = (await this.deps.payments.unsettledPayers()).filter((payer) =>
        this.deps.claimable(payer.transferDefinition),
      );
      // Transfers that left their channel (settled, or resumed past a dispute) are forgotten.
      const active = new Set(unsettled.map((payer) => payer.senderTransferId.toLowerCase()));
      for (const id of this.covered) if (!active.has(id)) this.covered.delete(id);
      const due = payerDisputesDue(
        unsettled,
        this.deps.now(),
        this.deps.rules.claimBufferSeconds,
        this.covered,
      );
      const work = async () => {
        for (let next = due.shift(); next; next = due.shift()) await this.disputeOne(next);
      };
      await Promise.all(
        Array.from({ length: Math.min(PAYER_DISPUTES_PARALLEL, due.length) }, work),
      );
    } finally {
      this.sweeping = false;
    }
  }

  private async disputeOne(dispute: PayerDispute): Promise<void> {
    const { logger } = this.deps;
    const fields = {
      channel: dispute.channelAddress,
      payer: dispute.payer,
      paymentIds: dispute.due.map((payment) => payment.paymentId),
      deadline: dispute.due[0]?.deadline,
      now: this.deps.now(),
    };
    let outcome: PayerDisputeOutcome;
    try {
      outcome = await this.deps.dispute(dispute.channelAddress, dispute.transferIds);
    } catch (error) {
      logger.error(
        { ...fields, err: error instanceof Error ? error.message : String(error) },
        "payer did not settle in time: disputing its channel failed, tried again at the next sweep",
      );
      return;
    }
    if (outcome === "settled") {
      logger.info(fields, "the payer settled meanwhile: no dispute");
      return;
    }
    for (const id of dispute.transferIds) this.covered.add(id.toLowerCase());
    if (outcome === "started") {
      logger.warn(fields, "payer did not settle in time: disputing its channel");
    } else {
      logger.info(
        fields,
        "payer did not settle in time: its channel's dispute is on record already",
      );
    }
  }
}
