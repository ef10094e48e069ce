import type { EncodedTransferDefinition } from "../definitions";
import type { MerkleTree } from "../merkle";
import type {
  Address,
  Bytes32,
  ChannelUpdate,
  CoreChannelState,
  FullChannelState,
  FullTransferState,
  NetworkContext,
  UpdateType,
} from "../types";

/** Bounds a party puts on what it signs. */
export interface ProtocolPolicy {
  /** Channel dispute timeout, seconds. */
  minChannelTimeout: number;
  maxChannelTimeout: number;
  /** Transfer dispute timeout, seconds. */
  minTransferTimeout: number;
  maxTransferTimeout: number;
  /**
   * Most active transfers a channel holds: past it a create is refused (TOO_MANY_TRANSFERS).
   * Bounds what either side must store, send on restore and prove in a dispute.
   */
  maxActiveTransfers: number;
}

export const DEFAULT_POLICY: ProtocolPolicy = {
  minChannelTimeout: 60 * 60,
  maxChannelTimeout: 30 * 24 * 60 * 60,
  minTransferTimeout: 10 * 60,
  maxTransferTimeout: 30 * 24 * 60 * 60,
  maxActiveTransfers: 256,
};

/**
 * Everything from outside the pure core that an update needs; the shell fills it in.
 */
export interface UpdateContext {
  /** The network this party works on; a setup for another is refused. */
  network: NetworkContext;
  /** Current time, unix seconds. */
  now: number;
  /** Registered transfer definitions by address; absent means not registered. */
  lookupDefinition(address: Address): EncodedTransferDefinition | undefined;
  /** On-chain deposit totals of the asset a deposit update touches, read by the shell. */
  chainDeposits?: { totalDepositsAlice: bigint; totalDepositsBob: bigint };
  /** What the channel's last dispute left on-chain, read by the shell for a resume. */
  chainDispute?: ChainDisputeOutcome;
  policy?: ProtocolPolicy;
}

/** A finished dispute as the chain records it (`readDisputeOutcome` reads it). */
export interface ChainDisputeOutcome {
  round: number;
  channelStateHash: Bytes32;
  defundExpiry: number;
  /** The latest block's timestamp. */
  chainTime: number;
  /** Assets defunded in the round: the defund nonce paid and the deposit totals counted. */
  defunds: {
    assetId: Address;
    defundNonce: bigint;
    totalDepositsAlice: bigint;
    totalDepositsBob: bigint;
  }[];
  /** Which of our active transfers were disputed on-chain (lowercase ids). */
  disputedTransferIds: Bytes32[];
  /** Which of those are not defunded yet: the channel resumes only once none is left. */
  undecidedTransferIds: Bytes32[];
}

/** A channel as the protocol sees it: its latest state, active transfers and their tree. */
export interface ChannelView {
  state: FullChannelState | undefined;
  /** Active transfers by id. */
  transfers: ReadonlyMap<string, FullTransferState>;
  /** Tree over the active transfers' hashes, in creation order. Never mutated here. */
  tree: MerkleTree;
}

/** What applying an update produces. The shell persists it, then adopts it. */
export interface AppliedUpdate {
  state: FullChannelState;
  /** The tree over the new set of active transfers. */
  tree: MerkleTree;
  /** The transfer this update created or resolved, as it now stands. */
  transfer?: FullTransferState;
  /** Transfers that left the channel unresolved (a resume: settled on-chain), in removal order. */
  dropped?: FullTransferState[];
}

/** The core state an update produces, before signatures. */
export interface Transition {
  core: CoreChannelState;
  tree: MerkleTree;
  transfer?: FullTransferState;
  dropped?: FullTransferState[];
}

/**
 * One update type's rules. `derive` computes the resulting state from the previous one and
 * the update's inputs, checking every rule of its type; both sides run it, so the proposer's
 * claims (balance, merkle root, transfer id) are recomputed, not trusted.
 */
export interface UpdateHandler<T extends UpdateType> {
  derive(view: ChannelView, update: ChannelUpdate<T>, context: UpdateContext): Transition;
}
