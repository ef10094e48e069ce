import { publicKeyMatchesAddress } from "./crypto/ecies";
import { ClientError } from "./errors";
import type { NodeApi } from "./nodeApi";

/** What a payer needs of a payee: its public key (checked) and its channel's dispute window. */
export interface Payee {
  publicKey: string;
  /** Seconds; 0 when the payee has no channel yet. */
  channelTimeout: number;
}

/** How long a looked-up payee is reused, in seconds. */
export const PAYEE_TTL_SECONDS = 600;
/** Payees kept at most; the first kept goes first. */
export const PAYEES_KEPT = 1_000;

/**
 * The payees this client paid lately, so a stream of payments to one payee asks the node once
 * (an HTTP round trip and a key check per payment before). Safe to reuse: a public key is
 * checked against the address it claims to be, so it never changes, and a channel's dispute
 * window is fixed at its setup; the node checks every expiry against the payee's channel
 * anyway. Only complete answers are kept (a payee with a channel).
 */
export class PayeeDirectory {
  private readonly payees = new Map<string, { payee: Payee; until: number }>();

  constructor(
    private readonly deps: {
      api: Pick<NodeApi, "identity">;
      /** Unix seconds. */
      now(): number;
      /** Default PAYEES_KEPT. */
      kept?: number;
    },
  ) {}

  /** The recipient's key and window; UNKNOWN_RECIPIENT or RECIPIENT_KEY_MISMATCH otherwise. */
  async lookUp(recipient: string, needsTimeout: boolean): Promise<Payee> {
    const key = recipient.toLowerCase();
    const kept = this.payees.get(key);
    if (kept && kept.until > this.deps.now()) return kept.payee;
    const identity = await this.deps.api.identity(recipient);
    if (!identity || (needsTimeout && !identity.channelTimeout)) {
      throw new ClientError("UNKNOWN_RECIPIENT", `${recipient} has no channel with the node`);
    }
    if (!publicKeyMatchesAddress(identity.publicKey, recipient)) {
      throw new ClientError(
        "RECIPIENT_KEY_MISMATCH",
        `the node gave a key that is not ${recipient}'s`,
      );
    }
    const payee = { publicKey: identity.publicKey, channelTimeout: identity.channelTimeout ?? 0 };
    if (identity.channelTimeout) this.keep(key, payee);
    return payee;
  }

  private keep(key: string, payee: Payee): void {
    this.payees.delete(key);
    this.payees.set(key, { payee, until: this.deps.now() + PAYEE_TTL_SECONDS });
    if (this.payees.size > (this.deps.kept ?? PAYEES_KEPT)) {
      const oldest = this.payees.keys().next().value as string;
      this.payees.delete(oldest);
    }
  }
}
