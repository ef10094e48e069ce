import { z } from "zod";
import type { ClientStore } from "./store/types";

/**
 * What the client must remember beyond its channel record, because something it signed may
 * still take effect (DESIGN §4.6: a signed proposal stays live until the channel moves past
 * it):
 * - the terms of each payment it proposed, so that a retry with the same payment id proposes
 *   the very same transfer and a payment is never signed into two different transfers;
 * - the transfers whose pre-image it revealed, which it must never cancel (the node may have
 *   the pre-image and claim the payer's side with it).
 */

/** What a payment to a recipient locks, fixed when it is first proposed. */
export interface PaymentTerms {
  paymentId: string;
  recipient: string;
  assetId: string;
  amount: bigint;
  lockHash: string;
  /** Unix seconds. */
  expiry: number;
  transferTimeout: number;
  encryptedPreImage?: string;
  app?: Record<string, unknown>;
}

const termsSchema = z.object({
  paymentId: z.string(),
  recipient: z.string(),
  assetId: z.string(),
  amount: z.string().transform((value) => BigInt(value)),
  lockHash: z.string(),
  expiry: z.number(),
  transferTimeout: z.number(),
  encryptedPreImage: z.string().optional(),
  app: z.record(z.string(), z.unknown()).optional(),
});
const paymentsSchema = z.record(z.string(), termsSchema);
const revealedSchema = z.record(z.string(), z.number());

/** Terms kept this long past their expiry: a retry after that is a new payment. */
const KEEP_AFTER_EXPIRY_SECONDS = 86_400;

export class ClientLedger {
  /** One writer at a time: each change is a read-modify-write of one record. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: ClientStore,
    /** Distinguishes this channel's records in a shared store. */
    private readonly scope: string,
  ) {}

  async payment(paymentId: string): Promise<PaymentTerms | undefined> {
    return (await this.payments())[paymentId.toLowerCase()];
  }

  /** Stores a payment's terms before they are signed; drops long-expired ones. */
  rememberPayment(terms: PaymentTerms, now: number): Promise<void> {
    return this.change(async () => {
      const all = await this.payments();
      for (const [id, kept] of Object.entries(all)) {
        if (kept.expiry + KEEP_AFTER_EXPIRY_SECONDS < now) delete all[id];
      }
      all[terms.paymentId.toLowerCase()] = terms;
      await this.store.set(this.key("payments"), encode(all));
    });
  }

  /** Records, before the resolve carrying it is signed, that a transfer's pre-image left us. */
  rememberRevealed(transferId: string, expiry: number): Promise<void> {
    return this.change(async () => {
      const all = await this.revealedRecord();
      all[transferId.toLowerCase()] = expiry;
      await this.store.set(this.key("revealed"), JSON.stringify(all));
    });
  }

  async revealed(transferId: string): Promise<boolean> {
    return (await this.revealedRecord())[transferId.toLowerCase()] !== undefined;
  }

  /** Forgets revealed transfers no longer active in the channel. */
  pruneRevealed(active: (transferId: string) => boolean): Promise<void> {
    return this.change(async () => {
      const all = await this.revealedRecord();
      const kept = Object.fromEntries(Object.entries(all).filter(([id]) => active(id)));
      if (Object.keys(kept).length !== Object.keys(all).length) {
        await this.store.set(this.key("revealed"), JSON.stringify(kept));
      }
    });
  }

  private async payments(): Promise<Record<string, PaymentTerms>> {
    const raw = await this.store.get(this.key("payments"));
    return raw === undefined ? {} : paymentsSchema.parse(JSON.parse(raw));
  }

  private async revealedRecord(): Promise<Record<string, number>> {
    const raw = await this.store.get(this.key("revealed"));
    return raw === undefined ? {} : revealedSchema.parse(JSON.parse(raw));
  }

  private key(kind: string): string {
    return `${kind}:${this.scope}`;
  }

  private change(work: () => Promise<void>): Promise<void> {
    const next = this.queue.then(work);
    this.queue = next.catch(() => {});
    return next;
  }
}

function encode(value: unknown): string {
  return JSON.stringify(value, (_key, item) =>
    typeof item === "bigint" ? item.toString(10) : item,
  );
}
