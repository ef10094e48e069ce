import { type FullTransferState, hashlock, toChecksumAddress } from "../protocol";
import { encodeWire, payeeRoutingSchema, readMeta } from "../protocol/messaging";
import { appMetaOf } from "./appMeta";
import { openPaymentTerms, type PaymentTerms, paymentMetaHash } from "./crypto";
import { ClientError } from "./errors";

/**
 * What a payment to us is, as far as we can tell (issue 11): its payer's signed terms, checked
 * against the node's mirror; no terms (an older payer, or a conditional payment made without
 * them); or terms the mirror does not match.
 */
export type TermsVerdict =
  | {
      status: "verified";
      paymentId: string;
      /** Signed by `terms.sender`, and the mirror pays exactly them. */
      terms: PaymentTerms;
      /** The payer, checksummed: from the terms, never from the node. */
      sender: string;
      /** The application's meta, which the terms bind. */
      meta?: Record<string, unknown>;
    }
  | {
      status: "absent";
      paymentId: string;
      /** Who the node says paid: nothing vouches for it. */
      sender: string;
      meta?: Record<string, unknown>;
      /** An older payer's encrypted pre-image: never claimed, since nothing says what it pays. */
      legacyPreImage: boolean;
    }
  | { status: "mismatch"; paymentId?: string; reason: string };

export interface Payee {
  address: string;
  privateKey: string;
}

/**
 * Checks a mirror paid to us against the terms its payer signed and sealed to us: the terms
 * decrypt with our key and carry the named sender's signature, and the mirror pays them
 * exactly — same payment id, recipient (us), sender, asset, amount and lock hash, an expiry no
 * later than the payer's, and the application meta they bind. A mirror without terms is
 * `absent`; one whose routing meta cannot be read is a mismatch.
 *
 * @example
 * const verdict = checkMirrorTerms(mirror, wallet);
 * if (verdict.status === "verified" && verdict.terms.preImage) claim(verdict.terms.preImage);
 */
export function checkMirrorTerms(
  transfer: FullTransferState,
  payee: Payee,
  /** The mirror's lock and expiry; a hashlock's by default (a thread's lock is its id). */
  lock: { lockHash: string; expiry: bigint } = hashlock.decodeState(transfer.transferState),
): TermsVerdict {
  let routing: ReturnType<typeof readRouting>;
  try {
    routing = readRouting(transfer);
  } catch (error) {
    return { status: "mismatch", reason: (error as Error).message };
  }
  if (!routing) return { status: "mismatch", reason: "the payment has no meta.routing" };
  const { paymentId } = routing;
  const meta = appMetaOf(transfer);
  if (!routing.encryptedTerms) {
    return {
      status: "absent",
      paymentId,
      sender: routing.sender,
      legacyPreImage: routing.encryptedPreImage !== undefined,
      ...(meta ? { meta } : {}),
    };
  }
  let terms: PaymentTerms;
  try {
    terms = openPaymentTerms(routing.encryptedTerms, payee.privateKey);
  } catch (error) {
    return { status: "mismatch", paymentId, reason: `its terms: ${(error as Error).message}` };
  }
  const reason = mismatchOf(transfer, lock, terms, routing, payee.address);
  if (reason) return { status: "mismatch", paymentId, reason };
  return {
    status: "verified",
    paymentId,
    terms,
    sender: toChecksumAddress(terms.sender),
    ...(meta ? { meta } : {}),
  };
}

/** The first way the mirror differs from the terms, or undefined when it pays them. */
function mismatchOf(
  transfer: FullTransferState,
  { lockHash, expiry }: { lockHash: string; expiry: bigint },
  terms: PaymentTerms,
  routing: { paymentId: string; sender: string },
  me: string,
): string | undefined {
  const amount = transfer.balance.amount[0];
  if (terms.recipient !== me.toLowerCase()) return `the terms pay ${terms.recipient}, not us`;
  if (terms.paymentId !== routing.paymentId.toLowerCase()) {
    return `the terms are for payment ${terms.paymentId}, the mirror for ${routing.paymentId}`;
  }
  if (terms.sender !== routing.sender.toLowerCase()) {
    return `the node names ${routing.sender} as the sender, the terms ${terms.sender}`;
  }
  if (terms.assetId !== transfer.assetId.toLowerCase()) {
    return `the mirror pays asset ${transfer.assetId}, the terms ${terms.assetId}`;
  }
  if (terms.amount !== amount) return `the mirror pays ${amount}, the terms ${terms.amount}`;
  if (terms.lockHash !== lockHash.toLowerCase()) return "the mirror's lock is not the terms'";
  if (expiry === 0n || expiry > BigInt(terms.expiry)) {
    return `the mirror expires at ${expiry}, after the payer's ${terms.expiry}`;
  }
  if (paymentMetaHash(transfer.meta?.app) !== terms.metaHash) {
    return "the mirror's meta.app is not the one the terms bind";
  }
  return undefined;
}

function readRouting(transfer: FullTransferState) {
  return readMeta(transfer.meta, "routing", payeeRoutingSchema);
}

/** Verdicts kept at most; more and the oldest are checked again when asked. */
const MAX_VERDICTS = 1024;

/**
 * The client's verdicts on the payments to it, each computed once (one decryption and one
 * signature recovery per payment) and kept while the transfer's contents stay the same.
 */
export class ReceivedTerms {
  private readonly verdicts = new Map<
    string,
    { fingerprint: string; verdict: TermsVerdict; reported: boolean }
  >();

  constructor(private readonly payee: Payee & { hashlockAddress: string }) {}

  /** The verdict on a hashlock transfer paid to us. */
  check(transfer: FullTransferState): TermsVerdict {
    const key = transfer.transferId.toLowerCase();
    const fingerprint = fingerprintOf(transfer);
    const known = this.verdicts.get(key);
    if (known?.fingerprint === fingerprint) return known.verdict;
    const verdict = checkMirrorTerms(transfer, this.payee);
    if (this.verdicts.size >= MAX_VERDICTS) {
      const oldest = this.verdicts.keys().next().value;
      if (oldest !== undefined) this.verdicts.delete(oldest);
    }
    this.verdicts.set(key, { fingerprint, verdict, reported: false });
    return verdict;
  }

  /** Whether this is the first time a refusal of the transfer is reported (once each). */
  firstReport(transferId: string): boolean {
    const known = this.verdicts.get(transferId.toLowerCase());
    if (!known || known.reported) return false;
    known.reported = true;
    return true;
  }

  /** The transfer left the channel. */
  forget(transferId: string): void {
    this.verdicts.delete(transferId.toLowerCase());
  }

  /**
   * Throws unless revealing a pre-image of this transfer is what its payer meant: a payment
   * to us with terms the mirror does not match (PAYMENT_TERMS_MISMATCH), or an older payer's
   * encrypted pre-image without terms (PAYMENT_TERMS_MISSING). Other transfers pass.
   */
  requireRevealable(transfer: FullTransferState): void {
    if (!this.isPaymentToUs(transfer)) return;
    const refusal = refusalOf(transfer, this.check(transfer));
    if (refusal) throw refusal;
  }

  /** The active payments to us that carry `paymentId` (one, from an honest node). */
  paymentsToUs(transfers: Iterable<FullTransferState>, paymentId: string): FullTransferState[] {
    const wanted = paymentId.toLowerCase();
    const found: FullTransferState[] = [];
    for (const transfer of transfers) {
      if (!this.isPaymentToUs(transfer)) continue;
      let routing: ReturnType<typeof readRouting>;
      try {
        routing = readRouting(transfer);
      } catch {
        continue; // unreadable routing: not a payment anyone can name
      }
      if (routing?.paymentId.toLowerCase() === wanted) found.push(transfer);
    }
    return found;
  }

  isPaymentToUs(transfer: FullTransferState): boolean {
    return (
      transfer.responder.toLowerCase() === this.payee.address.toLowerCase() &&
      transfer.transferDefinition.toLowerCase() === this.payee.hashlockAddress.toLowerCase()
    );
  }
}

/** Why a payment to us must not be claimed, as the error the client reports; or undefined. */
export function refusalOf(
  transfer: FullTransferState,
  verdict: TermsVerdict,
): ClientError | undefined {
  const context = {
    transferId: transfer.transferId,
    ...(verdict.paymentId ? { paymentId: verdict.paymentId } : {}),
  };
  if (verdict.status === "mismatch") {
    return new ClientError(
      "PAYMENT_TERMS_MISMATCH",
      `payment ${transfer.transferId} is not what its payer signed (${verdict.reason}): its pre-image is not revealed and it is cancelled`,
      { ...context, reason: verdict.reason },
    );
  }
  if (verdict.status === "absent" && verdict.legacyPreImage) {
    return new ClientError(
      "PAYMENT_TERMS_MISSING",
      `payment ${transfer.transferId} carries a pre-image without its payer's signed terms: nothing says what it should pay, so it is not claimed and is cancelled`,
      context,
    );
  }
  return undefined;
}

/** What the verdict depends on: the mirror's lock, amount, asset and meta. */
function fingerprintOf(transfer: FullTransferState): string {
  return [
    transfer.transferState,
    transfer.assetId,
    transfer.balance.amount[0].toString(),
    encodeWire(transfer.meta ?? null),
  ].join("|");
}
