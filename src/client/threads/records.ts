import { z } from "zod";
import { encodeWire } from "../../protocol/schemas";
import type { WireVoucher } from "../../protocol/threadMessages";
import { ClientStoreError } from "../store/errors";
import type { ClientStore } from "../store/types";

const voucherSchema = z.strictObject({
  amount: z.string().regex(/^[0-9]{1,78}$/),
  signature: z.string().regex(/^0x[0-9a-f]{130}$/),
});

/**
 * The vouchers a payee holds, one record per thread (`thread:<scope>:<threadId>`): the latest
 * voucher is written before it is acknowledged (DESIGN §4.4: nothing is acknowledged that was
 * not stored), and it is what the payee closes the thread with, off-chain or in a dispute.
 * Only the latest is kept: vouchers are cumulative, so it carries all the earlier ones.
 *
 * @example
 * await records.save(threadId, { amount: 10n, signature });
 * const latest = await records.load(threadId); // { amount: 10n, signature }
 */
export class ThreadRecords {
  constructor(
    private readonly store: ClientStore,
    /** Distinguishes this user's threads with this node in a shared store. */
    private readonly scope: string,
  ) {}

  /** Writes the latest voucher of a thread; resolves once the store has it. */
  async save(threadId: string, voucher: WireVoucher): Promise<void> {
    await this.store.set(
      this.key(threadId),
      encodeWire({ amount: voucher.amount, signature: voucher.signature.toLowerCase() }),
    );
  }

  /** The latest voucher kept for a thread, if any. A damaged record is CORRUPT_RECORD. */
  async load(threadId: string): Promise<WireVoucher | undefined> {
    const raw = await this.store.get(this.key(threadId));
    if (raw === undefined) return undefined;
    let parsed: z.output<typeof voucherSchema>;
    try {
      parsed = voucherSchema.parse(JSON.parse(raw));
    } catch (error) {
      throw new ClientStoreError(
        "CORRUPT_RECORD",
        `the voucher kept for thread ${threadId} is damaged`,
        { cause: error, context: { threadId } },
      );
    }
    return { amount: BigInt(parsed.amount), signature: parsed.signature };
  }

  /** A closed thread's record is no longer needed. */
  async forget(threadId: string): Promise<void> {
    await this.store.delete(this.key(threadId));
  }

  private key(threadId: string): string {
    return `thread:${this.scope}:${threadId.toLowerCase()}`;
  }
}
