import { ProtocolError } from "../errors";
import { transferStateHash } from "../hashing";
import type { Balance } from "../types";
import type { UpdateHandler } from "./context";
import { assetIndex, copyCore, partyIndex, sameAddress } from "./state";

/**
 * resolve: the transfer's responder resolves it; the definition's `resolve` decides where the
 * locked amount goes, and the leaf leaves the merkle root. Only the responder proposes: it is
 * the one whose claim the resolver settles (a hashlock's payee, a withdrawal's co-signer).
 */
export const resolveHandler: UpdateHandler<"resolve"> = {
  derive(view, update, context) {
    const state = view.state;
    if (!state) throw new ProtocolError("CHANNEL_NOT_SETUP", "resolve before setup");
    const details = update.details;
    const transfer = view.transfers.get(details.transferId);
    if (!transfer)
      throw new ProtocolError("UNKNOWN_TRANSFER", `no active transfer ${details.transferId}`);
    if (!sameAddress(update.fromIdentifier, transfer.responder)) {
      throw new ProtocolError(
        "UPDATE_MISMATCH",
        `only the transfer's responder ${transfer.responder} resolves it, not ${update.fromIdentifier}`,
      );
    }
    if (!sameAddress(details.transferDefinition, transfer.transferDefinition)) {
      throw new ProtocolError(
        "UPDATE_MISMATCH",
        `transfer ${transfer.transferId} uses definition ${transfer.transferDefinition}, not ${details.transferDefinition}`,
      );
    }
    if (!sameAddress(update.assetId, transfer.assetId)) {
      throw new ProtocolError(
        "UPDATE_MISMATCH",
        `transfer ${transfer.transferId} is in ${transfer.assetId}`,
      );
    }
    const rules = context.lookupDefinition(transfer.transferDefinition);
    if (!rules) {
      throw new ProtocolError(
        "UNKNOWN_DEFINITION",
        `transfer definition ${transfer.transferDefinition} is not known`,
      );
    }

    const resolved = rules.resolveEncoded(
      transfer.balance,
      transfer.transferState,
      details.transferResolver,
      context.now,
      { chainId: context.network.chainId, definition: transfer.transferDefinition },
    );
    requireResolvedBalance(resolved, transfer.balance);

    const core = copyCore(state);
    const index = assetIndex(core, transfer.assetId);
    const channelBalance = core.balances[index] as Balance;
    channelBalance.amount[partyIndex(core, transfer.initiator)] += resolved.amount[0];
    channelBalance.amount[partyIndex(core, transfer.responder)] += resolved.amount[1];

    const tree = view.tree.clone();
    tree.remove(transferStateHash(transfer));
    core.nonce = update.nonce;
    core.merkleRoot = tree.root();
    return {
      core,
      tree,
      transfer: {
        ...transfer,
        transferResolver: details.transferResolver,
        // The resolver's note stays apart: what both agreed at create (routing, a withdrawal's
        // recipient) is never the resolver's to rewrite.
        ...(details.meta ? { resolveMeta: details.meta } : {}),
      },
    };
  },
};

/** What the contract's defundTransfer enforces: same recipients, no money created. */
function requireResolvedBalance(resolved: Balance, initial: Balance): void {
  const sameRecipients =
    sameAddress(resolved.to[0], initial.to[0]) && sameAddress(resolved.to[1], initial.to[1]);
  const total = initial.amount[0] + initial.amount[1];
  if (
    !sameRecipients ||
    resolved.amount[0] < 0n ||
    resolved.amount[1] < 0n ||
    resolved.amount[0] + resolved.amount[1] > total
  ) {
    throw new ProtocolError(
      "RESOLVE_REJECTED",
      "the definition resolved to other recipients or more than was locked",
    );
  }
}
