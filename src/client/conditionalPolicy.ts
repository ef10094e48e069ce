import { type ChannelView, type FullTransferState, hashlock } from "../protocol";
import type { ReceivedTerms, TermsVerdict } from "./receivedTerms";

/**
 * A conditional payment offered to us: its payer keeps the pre-image, so it stays in our
 * channel until the application resolves it (or it expires). Anyone can send them, so each
 * one is a place in the channel an attacker could take (issue 11, channel bloat).
 */
export interface ConditionalPayment {
  transferId: string;
  paymentId: string;
  /** From the payer's signed terms when `verified`; otherwise only the node's word. */
  sender: string;
  assetId: string;
  amount: bigint;
  /** Unix seconds: the payment is cancelled (the payer refunded) if not resolved by then. */
  expiry: number;
  meta?: Record<string, unknown>;
  /** The payer signed terms that this transfer pays exactly. */
  verified: boolean;
}

/** The application's say on a conditional payment: true to hold it, false to cancel it now. */
export type AcceptConditional = (payment: ConditionalPayment) => boolean | Promise<boolean>;

/** Conditional payments to us held unresolved at once, by default; more are cancelled. */
export const DEFAULT_MAX_PENDING_CONDITIONAL = 64;

/** By default, only payments whose payer signed its terms: the rest could say anything. */
export const acceptVerified: AcceptConditional = (payment) => payment.verified;

export interface ConditionalPolicyDeps {
  me: string;
  hashlockAddress: string;
  terms: ReceivedTerms;
  view(): ChannelView;
  accept?: AcceptConditional;
  maxPending?: number;
}

/**
 * Which conditional payments the client holds: at most `maxPending` at once (room is kept for
 * payments it can claim at once, and a flood of unsolicited ones cannot fill the channel up to
 * the protocol's cap), and only those the application's `accept` wants.
 */
export class ConditionalPolicy {
  private readonly accept: AcceptConditional;
  private readonly maxPending: number;

  constructor(private readonly deps: ConditionalPolicyDeps) {
    this.accept = deps.accept ?? acceptVerified;
    this.maxPending = deps.maxPending ?? DEFAULT_MAX_PENDING_CONDITIONAL;
  }

  /** Whether the verdict makes the transfer conditional: we hold no pre-image to claim it. */
  static isConditional(verdict: TermsVerdict): boolean {
    if (verdict.status === "verified") return verdict.terms.preImage === undefined;
    return verdict.status === "absent" && !verdict.legacyPreImage;
  }

  /** Why `transfer` is refused, or undefined to hold it. */
  async refusal(transfer: FullTransferState, verdict: TermsVerdict): Promise<string | undefined> {
    if (verdict.status === "mismatch") return verdict.reason;
    const waiting = this.pendingBesides(transfer.transferId);
    if (waiting >= this.maxPending) {
      return `${waiting} conditional payments already wait to be resolved, the most this client holds`;
    }
    const payment = conditionalPayment(transfer, verdict);
    try {
      if (await this.accept(payment)) return undefined;
    } catch (error) {
      return `the application's policy failed: ${(error as Error).message}`;
    }
    return verdict.status === "verified"
      ? "refused by the application's policy"
      : "its payer signed no terms (only the node's word says what it is)";
  }

  /** Conditional payments to us now in the channel, other than `transferId`. */
  private pendingBesides(transferId: string): number {
    let count = 0;
    const me = this.deps.me.toLowerCase();
    const definition = this.deps.hashlockAddress.toLowerCase();
    for (const held of this.deps.view().transfers.values()) {
      if (held.transferId === transferId) continue;
      if (held.responder.toLowerCase() !== me) continue;
      if (held.transferDefinition.toLowerCase() !== definition) continue;
      if (ConditionalPolicy.isConditional(this.deps.terms.check(held))) count++;
    }
    return count;
  }
}

function conditionalPayment(
  transfer: FullTransferState,
  verdict: TermsVerdict,
): ConditionalPayment {
  const { expiry } = hashlock.decodeState(transfer.transferState);
  const known = verdict.status === "mismatch" ? undefined : verdict;
  return {
    transferId: transfer.transferId,
    paymentId: known?.paymentId ?? "",
    sender: known?.sender ?? "",
    assetId: transfer.assetId,
    amount: transfer.balance.amount[0],
    expiry: Number(expiry),
    ...(known?.meta ? { meta: known.meta } : {}),
    verified: verdict.status === "verified",
  };
}
