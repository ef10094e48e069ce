import { ProtocolError } from "../errors";
import type { UpdateHandler } from "./context";
import { assetIndex, copyCore } from "./state";

/**
 * deposit: credits what was deposited on-chain and not yet processed (DESIGN §4.4). The
 * totals claimed must lie between what the state already processed and what the chain shows
 * to this party; credit = claimed total − processed total, per side.
 */
export const depositHandler: UpdateHandler<"deposit"> = {
  derive(view, update, context) {
    const state = view.state;
    if (!state) throw new ProtocolError("CHANNEL_NOT_SETUP", "deposit before setup");
    const chain = context.chainDeposits;
    if (!chain)
      throw new ProtocolError("INVALID_DEPOSIT", "the on-chain deposit totals were not read");
    const { totalDepositsAlice, totalDepositsBob } = update.details;

    const core = copyCore(state);
    let index = assetIndex(core, update.assetId);
    if (index === -1) {
      index = core.assetIds.length;
      core.assetIds.push(update.assetId);
      core.balances.push({ to: [core.alice, core.bob], amount: [0n, 0n] });
      core.processedDepositsA.push(0n);
      core.processedDepositsB.push(0n);
      core.defundNonces.push(1n);
    }
    const processedA = core.processedDepositsA[index] as bigint;
    const processedB = core.processedDepositsB[index] as bigint;
    requireTotal("alice", totalDepositsAlice, processedA, chain.totalDepositsAlice);
    requireTotal("bob", totalDepositsBob, processedB, chain.totalDepositsBob);
    if (totalDepositsAlice === processedA && totalDepositsBob === processedB) {
      throw new ProtocolError(
        "INVALID_DEPOSIT",
        `no unprocessed deposit of ${update.assetId} to reconcile`,
      );
    }

    const balance = core.balances[index] as (typeof core.balances)[number];
    balance.amount[0] += totalDepositsAlice - processedA;
    balance.amount[1] += totalDepositsBob - processedB;
    core.processedDepositsA[index] = totalDepositsAlice;
    core.processedDepositsB[index] = totalDepositsBob;
    core.nonce = update.nonce;
    return { core, tree: view.tree };
  },
};

function requireTotal(side: string, claimed: bigint, processed: bigint, onChain: bigint): void {
  if (claimed < processed || claimed > onChain) {
    throw new ProtocolError(
      "INVALID_DEPOSIT",
      `expected ${side}'s deposit total from ${processed} (processed) to ${onChain} (on-chain), got ${claimed}`,
      { side, claimed: String(claimed), processed: String(processed), onChain: String(onChain) },
    );
  }
}
