import { ChannelMastercopy__factory } from "./generated";

/** A channel state with its signatures, as the protocol keeps it (`FullChannelState`). */
export interface SignedChannelState {
  channelAddress: string;
  alice: string;
  bob: string;
  assetIds: string[];
  balances: { to: [string, string]; amount: [bigint, bigint] }[];
  processedDepositsA: bigint[];
  processedDepositsB: bigint[];
  defundNonces: bigint[];
  timeout: number;
  nonce: number;
  merkleRoot: string;
  latestUpdate: { aliceSignature?: string; bobSignature?: string };
}

/** A transfer as the protocol keeps it (`FullTransferState`), what a dispute call needs of it. */
export interface DisputedTransfer {
  channelAddress: string;
  transferId: string;
  transferDefinition: string;
  initiator: string;
  responder: string;
  assetId: string;
  balance: { to: [string, string]; amount: [bigint, bigint] };
  transferTimeout: number;
  initialStateHash: string;
  transferState: string;
}

/** One step of a dispute, as the protocol's planner (`planDispute`) gives it. */
export type DisputeStep =
  | { step: "disputeChannel" }
  | { step: "defundChannel"; assetIds: string[]; indices: number[] }
  | { step: "disputeTransfer"; transfer: DisputedTransfer; proof: string[] }
  | { step: "defundTransfer"; transfer: DisputedTransfer; resolver?: string }
  | { step: "exit"; assetId: string };

const CHANNEL = ChannelMastercopy__factory.createInterface();

/** The plain-data core of a state, as the contract's CoreChannelState takes it. */
function coreOf(state: SignedChannelState) {
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
  state: SignedChannelState,
  sender: string,
  /** Where an exit pays (default: the sender). */
  recipient: string = sender,
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
        data: CHANNEL.encodeFunctionData("exit", [step.assetId, sender, recipient]),
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
