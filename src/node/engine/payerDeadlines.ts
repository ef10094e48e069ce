import { latestOnchainClaimStart } from "../../protocol";

/**
 * When the node must dispute a payer's channel itself (SECURITY rule 23, DESIGN §4.6): the
 * payee was paid, the node holds the payer's resolver, and the payer has not taken the
 * node's resolve. The node waits for the payer, but not to the last moment: the deadline is
 * the last moment a dispute from a standing start still claims the payer's transfer on-chain
 * before its expiry, `E − (Ta + B)` (the mirror's expiry), and the node disputes one claim
 * buffer `B` before it, so its own transactions have `2B` to get mined (or as soon as it can,
 * when it learnt the pre-image later). Pure: the shell (`payerDisputes.ts`) reads the payments
 * and starts the disputes.
 */

/** A payer's transfer the node is owed with a resolver it holds, still active in its channel. */
export interface UnsettledPayer {
  paymentId: string;
  /** The payer's transfer to the node. */
  senderTransferId: string;
  payer: string;
  /** The payer's channel. */
  channelAddress: string;
  /** The payer's channel dispute timeout (`Ta`), seconds. */
  channelTimeout: number;
  /** The payer's transfer's expiry (`E`), unix seconds; 0: it never expires. */
  expiry: number;
}

/** A payer's channel to dispute now. */
export interface PayerDispute {
  channelAddress: string;
  payer: string;
  /** The payments whose last moment has come, earliest deadline first. */
  due: { paymentId: string; senderTransferId: string; deadline: number }[];
  /**
   * Every unsettled payer transfer of the channel, due or not: the state put on record holds
   * them all, so the one dispute claims them all.
   */
  transferIds: string[];
}

/**
 * The payers' channels to dispute now, most urgent first: those holding an unsettled transfer
 * whose last moment (`latestOnchainClaimStart` of its expiry, the payer's channel timeout and
 * the claim buffer) is at most one buffer away, or past, leaving out transfers a dispute on record already covers
 * (`covered`, by transfer id).
 *
 * @example
 * for (const d of payerDisputesDue(await payments.unsettledPayers(), now, buffer, covered)) {
 *   await disputeChannel(d.channelAddress, d.transferIds);
 * }
 */
export function payerDisputesDue(
  unsettled: readonly UnsettledPayer[],
  now: number,
  bufferSeconds: number,
  covered: ReadonlySet<string>,
): PayerDispute[] {
  const byChannel = new Map<string, PayerDispute>();
  for (const payer of unsettled) {
    if (covered.has(payer.senderTransferId.toLowerCase())) continue;
    const key = payer.channelAddress.toLowerCase();
    let dispute = byChannel.get(key);
    if (!dispute) {
      dispute = {
        channelAddress: payer.channelAddress,
        payer: payer.payer,
        due: [],
        transferIds: [],
      };
      byChannel.set(key, dispute);
    }
    dispute.transferIds.push(payer.senderTransferId);
    // No expiry: the transfer pays with its resolver whenever the node claims it.
    if (payer.expiry === 0) continue;
    const deadline = Number(
      latestOnchainClaimStart(BigInt(payer.expiry), payer.channelTimeout, bufferSeconds),
    );
    // One buffer early: the dispute's transactions get 2B, not just B, to be mined in time.
    if (now >= deadline - bufferSeconds) {
      dispute.due.push({
        paymentId: payer.paymentId,
        senderTransferId: payer.senderTransferId,
        deadline,
      });
    }
  }
  const due = [...byChannel.values()].filter((dispute) => dispute.due.length > 0);
  for (const dispute of due) dispute.due.sort((a, b) => a.deadline - b.deadline);
  return due.sort((a, b) => (a.due[0]?.deadline ?? 0) - (b.due[0]?.deadline ?? 0));
}
