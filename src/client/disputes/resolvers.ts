import type { Wallet } from "ethers";
import { type ChannelView, type FullTransferState, hashlock, withdraw } from "../../protocol";
import { lockHashOf } from "../crypto";
import { checkMirrorTerms } from "../receivedTerms";

export interface ResolverSources {
  wallet: Wallet;
  hashlockAddress: string;
  withdrawAddress: string;
  /** A pre-image we revealed through `resolveTransfer`, by transfer id. */
  revealed(transferId: string): Promise<string | undefined>;
  /** The resolver of a transfer of another definition we hold one for (a thread's voucher). */
  other?(transfer: FullTransferState, chainTime: number): string | undefined;
}

/**
 * Seconds before a hashlock's or a thread's expiry after which the client no longer counts on
 * claiming it: the transaction must be mined before the expiry, and the chain's clock moves on
 * meanwhile.
 */
export const CLAIM_MARGIN_SECONDS = 30;

/**
 * The resolvers the client can defund its transfers with on-chain (DESIGN §4.7), by transfer
 * id, for transfers it is the responder of (the only ones the contract lets it decide): a
 * hashlock paid to it whose pre-image it knows (from its payer's terms, when the mirror pays
 * exactly those terms, or revealed through `resolveTransfer`) and which has not expired on the
 * chain's clock; and a withdrawal of the node's it co-signs (the node's collateral reclaim):
 * its own signature on the commitment, so the amount is paid by the commitment and never
 * again by the dispute; and a thread paid to us: the latest voucher we hold, before it expires.
 *
 * @example
 * const resolvers = await disputeResolvers(view, chainTime, sources);
 */
export async function disputeResolvers(
  view: ChannelView,
  chainTime: number,
  sources: ResolverSources,
): Promise<Map<string, string>> {
  const resolvers = new Map<string, string>();
  const me = sources.wallet.address.toLowerCase();
  for (const transfer of view.transfers.values()) {
    if (transfer.responder.toLowerCase() !== me) continue;
    const resolver = await resolverFor(transfer, chainTime, sources);
    if (resolver) resolvers.set(transfer.transferId, resolver);
  }
  return resolvers;
}

async function resolverFor(
  transfer: FullTransferState,
  chainTime: number,
  sources: ResolverSources,
): Promise<string | undefined> {
  const definition = transfer.transferDefinition.toLowerCase();
  if (definition === sources.withdrawAddress.toLowerCase()) {
    const { data } = withdraw.decodeState(transfer.transferState);
    return withdraw.encodeResolver({
      responderSignature: sources.wallet.signingKey.sign(data).serialized,
    });
  }
  if (definition !== sources.hashlockAddress.toLowerCase()) {
    return sources.other?.(transfer, chainTime);
  }
  const { lockHash, expiry } = hashlock.decodeState(transfer.transferState);
  // An expired hashlock reverts on-chain: after the transfer's dispute the payer takes it back.
  if (expiry !== 0n && expiry <= BigInt(chainTime + CLAIM_MARGIN_SECONDS)) return undefined;
  const preImage =
    (await sources.revealed(transfer.transferId)) ?? decrypted(transfer, sources.wallet);
  if (!preImage || lockHashOf(preImage) !== lockHash.toLowerCase()) return undefined;
  return hashlock.encodeResolver({ preImage });
}

/**
 * The pre-image a routed payment to us carries in its payer's terms, encrypted to our key, if
 * the mirror pays exactly those terms: revealing it for a mirror that pays less would let the
 * node claim the payer's whole payment with it (issue 11).
 */
function decrypted(transfer: FullTransferState, wallet: Wallet): string | undefined {
  const verdict = checkMirrorTerms(transfer, wallet);
  return verdict.status === "verified" ? verdict.terms.preImage : undefined;
}
