import { type FullTransferState, hashlock, hashlockLockHash } from "../protocol";
import type { ClientChannel } from "./clientChannel";
import { ClientError } from "./errors";
import { ZERO_PRE_IMAGE } from "./reactions";
import type { ReceivedTerms } from "./receivedTerms";
import type { RevealedPreImages } from "./revealedPreImages";

/**
 * Which payment to us `resolveTransfer` resolves: by the payment's id (the same on both sides)
 * or by our transfer's id, with the pre-image whose sha256 is its lock hash.
 */
export type ResolveParams = { preImage: string } & (
  | { paymentId: string; transferId?: undefined }
  | { transferId: string; paymentId?: undefined }
);

export interface ResolveResult {
  transferId: string;
  paymentId?: string;
  /** Whether this call resolved it (false: it had left the channel meanwhile). */
  resolved: boolean;
}

export interface ResolverDeps {
  hashlockAddress: string;
  channel: ClientChannel;
  terms: ReceivedTerms;
  revealed: RevealedPreImages;
  /** Whether revealing a pre-image now still leaves room to claim the transfer on-chain. */
  claimable(transfer: FullTransferState): boolean;
}

/**
 * Resolves hashlock payments to us with a pre-image (the zero pre-image cancels). A pre-image
 * leaves us only for a payment it opens, that is what its payer signed, and that we could still
 * claim on-chain should the node refuse to countersign; it is stored before it is sent, so a
 * payment whose pre-image left us is never cancelled afterwards.
 */
export class PaymentResolver {
  constructor(private readonly deps: ResolverDeps) {}

  async resolve(params: ResolveParams): Promise<ResolveResult> {
    const { preImage } = params;
    const { channel, terms } = this.deps;
    const transferId = this.transferToResolve(params);
    const transfer = channel.view.transfers.get(transferId);
    if (transfer && preImage !== ZERO_PRE_IMAGE) {
      this.requireOpensLock(transfer, preImage);
      terms.requireRevealable(transfer);
      if (!this.deps.claimable(transfer)) {
        throw new ClientError(
          "EXPIRY_UNSAFE",
          `transfer ${transferId} expires too soon to claim on-chain if the node refused: not revealing its pre-image`,
        );
      }
      await this.deps.revealed.remember(transferId, preImage, (id) =>
        [...channel.view.transfers.keys()].some((active) => active.toLowerCase() === id),
      );
    }
    const applied = await channel.propose((view) => {
      const held = view.transfers.get(transferId);
      if (!held) throw new ClientError("UNKNOWN_TRANSFER", `no active transfer ${transferId}`);
      // The channel's own copy, as it is when signed (checked once per transfer, then cached).
      if (preImage !== ZERO_PRE_IMAGE) terms.requireRevealable(held);
      return {
        type: "resolve",
        transferId,
        transferResolver: hashlock.encodeResolver({ preImage }),
      };
    });
    return {
      transferId,
      ...(params.paymentId !== undefined ? { paymentId: params.paymentId } : {}),
      resolved: applied !== undefined,
    };
  }

  /** Our transfer that `resolve` names: by its own id, or by its payment's. */
  private transferToResolve(params: ResolveParams): string {
    if (params.transferId !== undefined) return params.transferId;
    const { paymentId } = params;
    const found = this.deps.terms.paymentsToUs(
      this.deps.channel.view.transfers.values(),
      paymentId,
    );
    if (found.length === 0) {
      throw new ClientError("UNKNOWN_TRANSFER", `no active payment ${paymentId} to us`, {
        paymentId,
      });
    }
    if (found.length > 1) {
      // Only a node that mirrored one payment twice does this: say so, and let the
      // application pick by transfer id.
      throw new ClientError(
        "PAYMENT_AMBIGUOUS",
        `${found.length} active transfers to us carry payment ${paymentId}: resolve one by its transferId`,
        { paymentId, transferIds: found.map((t) => t.transferId) },
      );
    }
    return (found[0] as FullTransferState).transferId;
  }

  /**
   * A pre-image that does not open the lock would be refused by the protocol anyway; refused
   * here it is not even stored as revealed (which would stop the payment being cancelled).
   */
  private requireOpensLock(transfer: FullTransferState, preImage: string): void {
    const isHashlock =
      transfer.transferDefinition.toLowerCase() === this.deps.hashlockAddress.toLowerCase();
    if (!isHashlock) return;
    const { lockHash } = hashlock.decodeState(transfer.transferState);
    if (hashlockLockHash(preImage.toLowerCase()).toLowerCase() !== lockHash.toLowerCase()) {
      throw new ClientError(
        "WRONG_PRE_IMAGE",
        `sha256 of the pre-image is not transfer ${transfer.transferId}'s lock hash: nothing was revealed`,
        { transferId: transfer.transferId },
      );
    }
  }
}
