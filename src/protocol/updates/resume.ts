import { ProtocolError } from "../errors";
import { channelStateHash, transferStateHash } from "../hashing";
import type { Balance, FullTransferState, ResumeDetails } from "../types";
import type { ChainDisputeOutcome, ChannelView, UpdateHandler } from "./context";
import { assetIndex, copyCore, sameAddress, ZERO_ADDRESS } from "./state";

/**
 * resume: the channel after a dispute that ran its course (DESIGN §4.7). It resumes from the
 * very state on record: each asset defunded in the round at that state's defund nonce leaves
 * the channel (balances zero, processed deposits raised to the totals the defund counted,
 * defund nonce advanced, so no state before it can defund the asset again), an asset the state
 * lacked but the round defunded joins at defund nonce 2, and the transfers disputed on-chain
 * leave the merkle root (they are settled there). Everything else carries over. Either party
 * proposes it; both derive it from their own read of the chain.
 */
export const resumeHandler: UpdateHandler<"resume"> = {
  derive(view, update, context) {
    const state = view.state;
    if (!state) throw new ProtocolError("CHANNEL_NOT_SETUP", "resume before setup");
    if (!sameAddress(update.assetId, ZERO_ADDRESS)) {
      throw new ProtocolError("UPDATE_MISMATCH", `a resume names no asset; got ${update.assetId}`);
    }
    const outcome = context.chainDispute;
    if (!outcome) throw new ProtocolError("INVALID_RESUME", "the dispute on-chain was not read");
    requireRunItsCourse(outcome, channelStateHash(state));
    requireSameOutcome(update.details, outcome);

    const core = copyCore(state);
    for (const defund of outcome.defunds) {
      let index = assetIndex(core, defund.assetId);
      const expected = index === -1 ? 1n : (core.defundNonces[index] as bigint);
      if (defund.defundNonce !== expected) {
        // Defunded under another state's nonce: not what this state paid out.
        throw new ProtocolError(
          "INVALID_RESUME",
          `${defund.assetId} was defunded at nonce ${defund.defundNonce}, the state on record has ${expected}`,
        );
      }
      if (index === -1) {
        index = core.assetIds.length;
        core.assetIds.push(defund.assetId);
        core.balances.push({ to: [core.alice, core.bob], amount: [0n, 0n] });
        core.processedDepositsA.push(0n);
        core.processedDepositsB.push(0n);
        core.defundNonces.push(1n);
      }
      (core.balances[index] as Balance).amount = [0n, 0n];
      core.processedDepositsA[index] = defund.totalDepositsAlice;
      core.processedDepositsB[index] = defund.totalDepositsBob;
      core.defundNonces[index] = (core.defundNonces[index] as bigint) + 1n;
    }

    const tree = view.tree.clone();
    const dropped: FullTransferState[] = [];
    for (const transferId of outcome.disputedTransferIds) {
      const transfer = view.transfers.get(transferId) ?? findTransfer(view, transferId);
      if (!transfer) {
        throw new ProtocolError("UNKNOWN_TRANSFER", `no active transfer ${transferId} to drop`);
      }
      tree.remove(transferStateHash(transfer));
      dropped.push(transfer);
    }
    core.nonce = update.nonce;
    core.merkleRoot = tree.root();
    return { core, tree, dropped };
  },
};

/** Only from the very state on record, once its defund window is over. */
function requireRunItsCourse(outcome: ChainDisputeOutcome, ourStateHash: string): void {
  if (outcome.channelStateHash.toLowerCase() !== ourStateHash) {
    throw new ProtocolError(
      "INVALID_RESUME",
      "the state on record is not our latest doubly-signed state",
    );
  }
  if (outcome.chainTime < outcome.defundExpiry) {
    throw new ProtocolError(
      "INVALID_RESUME",
      `the dispute runs until ${outcome.defundExpiry}, the chain is at ${outcome.chainTime}`,
    );
  }
  // A transfer disputed but not yet paid out is still being decided on-chain: resuming now
  // would leave it to nobody's watch.
  if (outcome.undecidedTransferIds.length > 0) {
    throw new ProtocolError(
      "INVALID_RESUME",
      `transfer ${outcome.undecidedTransferIds[0]} is disputed but not yet defunded`,
    );
  }
}

/** The proposer's claims about the round must be what we read on-chain, exactly. */
function requireSameOutcome(details: ResumeDetails, outcome: ChainDisputeOutcome): void {
  const claimed = JSON.stringify({
    round: details.round,
    defunds: details.defunds.map((d) => [
      d.assetId.toLowerCase(),
      String(d.totalDepositsAlice),
      String(d.totalDepositsBob),
    ]),
    disputed: details.disputedTransfers.map((id) => id.toLowerCase()),
  });
  const read = JSON.stringify({
    round: outcome.round,
    defunds: outcome.defunds.map((d) => [
      d.assetId.toLowerCase(),
      String(d.totalDepositsAlice),
      String(d.totalDepositsBob),
    ]),
    disputed: outcome.disputedTransferIds.map((id) => id.toLowerCase()),
  });
  if (claimed !== read) {
    throw new ProtocolError(
      "INVALID_RESUME",
      "the resume's round, defunds or disputed transfers are not what the chain recorded",
      { claimed, read },
    );
  }
}

function findTransfer(view: ChannelView, id: string): FullTransferState | undefined {
  for (const [transferId, transfer] of view.transfers) {
    if (transferId.toLowerCase() === id.toLowerCase()) return transfer;
  }
  return undefined;
}
