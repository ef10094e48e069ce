import { channelStateHash, transferStateHash } from "./hashing";
import type { Address, Bytes32, FullTransferState, HexString } from "./types";
import type { ChannelView } from "./updates/context";
import { sameAddress } from "./updates/state";

/**
 * What a party does on-chain while its channel is in dispute (DESIGN §4.7), decided from what
 * it holds and what the chain shows, with no I/O: the shell reads the chain, asks for the next
 * steps, sends them, and asks again. Every step is chosen from the chain's current record, so
 * asking twice never sends a step twice once the first has been mined.
 */

/** The channel dispute on record, as `getChannelDispute()` returns it (all zero: none). */
export interface ChainDispute {
  channelStateHash: Bytes32;
  nonce: number;
  merkleRoot: Bytes32;
  consensusExpiry: number;
  defundExpiry: number;
}

/** One asset as the chain records its defunds. */
export interface ChainAsset {
  /** The highest defund nonce paid out for the asset. */
  defundNonce: bigint;
  /** Whether that defund happened under the state now on record (this dispute round). */
  defundedThisRound: boolean;
  /** Whether anything of the asset was deposited (an asset the state lacks is still defunded). */
  hasDeposits: boolean;
}

/** One transfer's dispute record (`getTransferDispute`). */
export interface ChainTransfer {
  disputed: boolean;
  defunded: boolean;
  /** Unix seconds; before it only the responder's resolver decides the transfer. */
  disputeExpiry: number;
}

export interface DisputeInputs {
  /** Our identifier: alice or bob of the channel. */
  me: Address;
  /** Our latest doubly-signed state, its transfers and tree. */
  view: ChannelView & { state: NonNullable<ChannelView["state"]> };
  /** The latest block's timestamp: every window is judged on the chain's clock. */
  chainTime: number;
  dispute: ChainDispute;
  /** By lowercase asset: every asset of the state, plus others the channel may hold. */
  assets: ReadonlyMap<string, ChainAsset>;
  /** By transfer id: the records of our active transfers. */
  transfers: ReadonlyMap<string, ChainTransfer>;
  /** Resolvers we can defund with, by transfer id (only for transfers we are responder of). */
  resolvers: ReadonlyMap<string, HexString>;
  /** What the chain holds exitable for us, by lowercase asset. */
  exitable: ReadonlyMap<string, bigint>;
}

export type DisputeStep =
  /** Replace the stale state on record with ours (consensus window only). */
  | { step: "disputeChannel" }
  | { step: "defundChannel"; assetIds: Address[]; indices: number[] }
  | { step: "disputeTransfer"; transfer: FullTransferState; proof: Bytes32[] }
  /** With our resolver before the transfer's dispute expiry; `resolver` undefined after it. */
  | { step: "defundTransfer"; transfer: FullTransferState; resolver?: HexString }
  | { step: "exit"; assetId: Address };

/** Why nothing more can be done now, for the shell's log. */
export type DisputeStatus =
  | "none"
  | "consensus"
  | "defund"
  | "done"
  /** The state on record is not ours and we can no longer replace it. */
  | "foreign-state";

/**
 * The steps to send now, in order, and where the dispute stands.
 *
 * @example
 * const { steps } = planDispute({ me, view, chainTime, dispute, assets, transfers, resolvers, exitable });
 * for (const step of steps) await send(step); // then plan again with fresh chain reads
 */
export function planDispute(inputs: DisputeInputs): {
  status: DisputeStatus;
  steps: DisputeStep[];
} {
  const { view, chainTime, dispute } = inputs;
  if (dispute.consensusExpiry === 0) return { status: "none", steps: [] };
  if (chainTime < dispute.consensusExpiry) {
    // A newer state replaces the one on record; an equal nonce cannot.
    const stale = view.state.nonce > dispute.nonce;
    return { status: "consensus", steps: stale ? [{ step: "disputeChannel" }] : [] };
  }
  const ours = channelStateHash(view.state) === dispute.channelStateHash.toLowerCase();
  const exits = exitSteps(inputs);
  if (!ours) return { status: exits.length ? "defund" : "foreign-state", steps: exits };

  const steps: DisputeStep[] = [];
  const inDefundWindow = chainTime < dispute.defundExpiry;
  if (inDefundWindow) {
    const defund = defundChannelStep(inputs);
    if (defund) steps.push(defund);
    steps.push(...disputeTransferSteps(inputs));
  }
  steps.push(...defundTransferSteps(inputs));
  steps.push(...exits);
  const settled = steps.length === 0 && !hasUndecidedTransfers(inputs);
  return { status: inDefundWindow ? "defund" : settled ? "done" : "defund", steps };
}

/** Every asset whose share of the state (or, if the state lacks it, its deposits) is unpaid. */
function defundChannelStep(inputs: DisputeInputs): DisputeStep | undefined {
  const { state } = inputs.view;
  const assetIds: Address[] = [];
  const indices: number[] = [];
  state.assetIds.forEach((assetId, index) => {
    const chain = inputs.assets.get(assetId.toLowerCase());
    const defundNonce = state.defundNonces[index] as bigint;
    if (chain && chain.defundNonce < defundNonce) {
      assetIds.push(assetId);
      indices.push(index);
    }
  });
  for (const [asset, chain] of inputs.assets) {
    const inState = state.assetIds.some((a) => a.toLowerCase() === asset);
    // An asset the state lacks defunds at nonce 1: all its deposits go back to their depositors.
    if (!inState && chain.hasDeposits && chain.defundNonce < 1n) {
      assetIds.push(asset);
      indices.push(state.assetIds.length);
    }
  }
  return assetIds.length ? { step: "defundChannel", assetIds, indices } : undefined;
}

/** Every active transfer not yet disputed, once its asset is defunded in this round. */
function disputeTransferSteps(inputs: DisputeInputs): DisputeStep[] {
  const steps: DisputeStep[] = [];
  for (const transfer of inputs.view.transfers.values()) {
    const record = inputs.transfers.get(transfer.transferId);
    if (record?.disputed) continue;
    const asset = inputs.assets.get(transfer.assetId.toLowerCase());
    if (!asset?.defundedThisRound) continue; // the defund comes first; asked again after it
    const proof = inputs.view.tree.proof(transferStateHash(transfer));
    steps.push({ step: "disputeTransfer", transfer, proof });
  }
  return steps;
}

/**
 * Disputed transfers not yet defunded: with our resolver while only the responder decides,
 * or with the initial balance once the transfer's dispute has expired.
 */
function defundTransferSteps(inputs: DisputeInputs): DisputeStep[] {
  const steps: DisputeStep[] = [];
  for (const transfer of inputs.view.transfers.values()) {
    const record = inputs.transfers.get(transfer.transferId);
    if (!record?.disputed || record.defunded) continue;
    if (inputs.chainTime >= record.disputeExpiry) {
      steps.push({ step: "defundTransfer", transfer });
      continue;
    }
    const resolver = inputs.resolvers.get(transfer.transferId);
    if (resolver !== undefined && sameAddress(transfer.responder, inputs.me)) {
      steps.push({ step: "defundTransfer", transfer, resolver });
    }
  }
  return steps;
}

function exitSteps(inputs: DisputeInputs): DisputeStep[] {
  const steps: DisputeStep[] = [];
  for (const [asset, amount] of inputs.exitable) {
    if (amount > 0n) steps.push({ step: "exit", assetId: asset });
  }
  return steps;
}

function hasUndecidedTransfers(inputs: DisputeInputs): boolean {
  for (const transfer of inputs.view.transfers.values()) {
    const record = inputs.transfers.get(transfer.transferId);
    if (record?.disputed && !record.defunded) return true;
  }
  return false;
}

/**
 * A step's identity across restarts: what a party records when it sends the step, so that it
 * never sends the same one twice. The round and our nonce make keys of different disputes
 * differ; an exit is keyed by what it pays.
 *
 * @example
 * const key = disputeStepKey(step, { round, nonce: view.state.nonce, exitable });
 */
export function disputeStepKey(
  step: DisputeStep,
  at: { round: bigint | number; nonce: number; exitable: ReadonlyMap<string, bigint> },
): string {
  switch (step.step) {
    case "disputeChannel":
      return `disputeChannel:${at.nonce}`;
    case "defundChannel":
      return `defundChannel:${at.round}:${step.assetIds.map((a) => a.toLowerCase()).join(",")}`;
    case "disputeTransfer":
    case "defundTransfer":
      return `${step.step}:${step.transfer.transferId.toLowerCase()}`;
    case "exit": {
      const asset = step.assetId.toLowerCase();
      return `exit:${asset}:${at.round}:${at.exitable.get(asset) ?? 0n}`;
    }
  }
}
