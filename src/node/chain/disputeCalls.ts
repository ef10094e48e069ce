import { ChannelMastercopy__factory } from "../../contracts-bindings";
import type { FullChannelState } from "../../protocol";
import type { DisputeStep } from "../../protocol/disputes";

const CHANNEL = ChannelMastercopy__factory.createInterface();

/** The plain-data core of a state, as the contract's CoreChannelState takes it. */
function coreOf(state: FullChannelState) {
  return {
    channelAddress: state.channelAddress,
    alice: state.alice,
    bob: state.bob,
    assetIds: state.assetIds,
    balances: state.balances,
    processedDepositsA: state.processedDepositsA,
    processedDepositsB: state.processedDepositsB,
    defundNonces: state.defundNonces,
    timeout: state.timeout,
    nonce: state.nonce,
    merkleRoot: state.merkleRoot,
  };
}

/**
 * The channel call that carries out a dispute step for `sender`, given our latest doubly-signed
 * state (the one the planner chose the step from).
 *
 * @example
 * const call = disputeCall(step, state, node);
 * await chain.sendDisputeCall(state.channelAddress, step.step, call);
 */
export function disputeCall(
  step: DisputeStep,
  state: FullChannelState,
  sender: string,
): { to: string; data: string } {
  const to = state.channelAddress;
  switch (step.step) {
    case "disputeChannel":
      return {
        to,
        data: CHANNEL.encodeFunctionData("disputeChannel", [
          coreOf(state),
          state.latestUpdate.aliceSignature as string,
          state.latestUpdate.bobSignature as string,
        ]),
      };
    case "defundChannel":
      return {
        to,
        data: CHANNEL.encodeFunctionData("defundChannel", [
          coreOf(state),
          step.assetIds,
          step.indices,
        ]),
      };
    case "disputeTransfer":
      return {
        to,
        data: CHANNEL.encodeFunctionData("disputeTransfer", [coreTransfer(step), step.proof]),
      };
    case "defundTransfer":
      // The responder itself needs no signature; after the dispute expiry the resolver is not read.
      return {
        to,
        data: CHANNEL.encodeFunctionData("defundTransfer", [
          coreTransfer(step),
          step.transfer.transferState,
          step.resolver ?? "0x",
          "0x",
        ]),
      };
    case "exit":
      return {
        to,
        data: CHANNEL.encodeFunctionData("exit", [step.assetId, sender, sender]),
      };
  }
}

function coreTransfer(step: Extract<DisputeStep, { transfer: unknown }>) {
  const t = step.transfer;
  return {
    channelAddress: t.channelAddress,
    transferId: t.transferId,
    transferDefinition: t.transferDefinition,
    initiator: t.initiator,
    responder: t.responder,
    assetId: t.assetId,
    balance: t.balance,
    transferTimeout: t.transferTimeout,
    initialStateHash: t.initialStateHash,
  };
}
