import { hexToBytes, keccakHex } from "../bytes";
import { ProtocolError } from "../errors";
import { transferStateHash } from "../hashing";
import type { Balance, CoreTransferState, FullChannelState } from "../types";
import { DEFAULT_POLICY, type UpdateHandler } from "./context";
import { assetIndex, copyCore, partyIndex, sameAddress, transferIdFor } from "./state";

/**
 * create: the proposer (initiator) locks part of its own balance in a transfer whose
 * definition accepts the initial state; the transfer becomes a leaf of the merkle root.
 * The responder never locks anything: no one signs away its own balance to a create it did
 * not propose (DESIGN §6).
 */
export const createHandler: UpdateHandler<"create"> = {
  derive(view, update, context) {
    const state = view.state;
    if (!state) throw new ProtocolError("CHANNEL_NOT_SETUP", "create before setup");
    const details = update.details;
    const initiator = update.fromIdentifier;
    const responder = update.toIdentifier;

    const rules = context.lookupDefinition(details.transferDefinition);
    if (!rules) {
      throw new ProtocolError(
        "UNKNOWN_DEFINITION",
        `transfer definition ${details.transferDefinition} is not registered`,
      );
    }
    const policy = context.policy ?? DEFAULT_POLICY;
    const timeout = details.transferTimeout;
    if (
      !Number.isSafeInteger(timeout) ||
      timeout < policy.minTransferTimeout ||
      timeout > policy.maxTransferTimeout
    ) {
      throw new ProtocolError(
        "INVALID_TRANSFER_TIMEOUT",
        `expected a transfer timeout from ${policy.minTransferTimeout} to ${policy.maxTransferTimeout} s, got ${timeout}`,
      );
    }
    if (view.transfers.size >= policy.maxActiveTransfers) {
      throw new ProtocolError(
        "TOO_MANY_TRANSFERS",
        `the channel already holds ${view.transfers.size} active transfers, the most it takes (${policy.maxActiveTransfers}); resolve some first`,
        { active: view.transfers.size, max: policy.maxActiveTransfers },
      );
    }
    const transferBalance = details.transferBalance;
    requireTransferBalance(transferBalance, initiator, responder);

    const index = assetIndex(state, update.assetId);
    if (index === -1)
      throw new ProtocolError("UNKNOWN_ASSET", `the channel holds no ${update.assetId}`);
    const core = copyCore(state);
    const channelBalance = core.balances[index] as Balance;
    const initiatorIndex = partyIndex(core, initiator);
    const available = channelBalance.amount[initiatorIndex];
    if (available < transferBalance.amount[0]) {
      throw new ProtocolError(
        "INSUFFICIENT_BALANCE",
        `the initiator has ${available} of ${update.assetId}, the transfer locks ${transferBalance.amount[0]}`,
      );
    }

    // Rejects what the contract's create would, before anything is signed.
    rules.createEncoded(transferBalance, details.transferInitialState, context.now);

    const initialStateHash = keccakHex(hexToBytes(details.transferInitialState));
    const transfer: CoreTransferState = {
      channelAddress: state.channelAddress,
      transferId: transferIdFor(
        state.channelAddress,
        update.nonce,
        details.transferDefinition,
        initialStateHash,
      ),
      transferDefinition: details.transferDefinition,
      initiator,
      responder,
      assetId: state.assetIds[index] as string,
      balance: transferBalance,
      transferTimeout: timeout,
      initialStateHash,
    };
    if (view.transfers.has(transfer.transferId)) {
      throw new ProtocolError(
        "DUPLICATE_TRANSFER",
        `transfer ${transfer.transferId} already exists`,
      );
    }
    const tree = view.tree.clone();
    tree.insert(transferStateHash(transfer));

    channelBalance.amount[initiatorIndex] = available - transferBalance.amount[0];
    core.nonce = update.nonce;
    core.merkleRoot = tree.root();
    return {
      core,
      tree,
      transfer: {
        ...transfer,
        chainId: (state as FullChannelState).networkContext.chainId,
        transferState: details.transferInitialState,
        channelNonce: update.nonce,
        ...(details.meta ? { meta: details.meta } : {}),
      },
    };
  },
};

function requireTransferBalance(balance: Balance, initiator: string, responder: string): void {
  if (!sameAddress(balance.to[0], initiator) || !sameAddress(balance.to[1], responder)) {
    throw new ProtocolError(
      "TRANSFER_REJECTED",
      `expected the transfer balance to go to [initiator ${initiator}, responder ${responder}], got [${balance.to.join(", ")}]`,
    );
  }
  if (balance.amount[1] !== 0n) {
    throw new ProtocolError(
      "TRANSFER_REJECTED",
      `the responder locks nothing; got ${balance.amount[1]}`,
    );
  }
  if (balance.amount[0] <= 0n) {
    throw new ProtocolError(
      "TRANSFER_REJECTED",
      `a transfer locks a positive amount; got ${balance.amount[0]}`,
    );
  }
}
