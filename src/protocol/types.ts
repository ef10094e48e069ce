/**
 * The channel protocol's data (DESIGN §4.2, §4.4). Amounts are bigint; counters (nonces,
 * seconds) are numbers. Addresses are checksummed 0x strings; hashes and signatures are
 * lowercase 0x hex.
 */

export type Address = string;
export type Bytes32 = string;
export type HexString = string;

/** Where an amount of one asset goes: `amount[i]` to `to[i]`. */
export interface Balance {
  to: [Address, Address];
  amount: [bigint, bigint];
}

/** The chain and contracts a channel lives with. Fixed by the setup update. */
export interface NetworkContext {
  chainId: number;
  channelFactoryAddress: Address;
  /** The code channels clone; with the factory it fixes every channel's address. */
  channelMastercopyAddress: Address;
  transferRegistryAddress: Address;
}

/** What both parties sign: the EIP-712 `CoreChannelState`. */
export interface CoreChannelState {
  channelAddress: Address;
  alice: Address;
  bob: Address;
  assetIds: Address[];
  balances: Balance[];
  processedDepositsA: bigint[];
  processedDepositsB: bigint[];
  defundNonces: bigint[];
  /** Dispute window in seconds. */
  timeout: number;
  nonce: number;
  merkleRoot: Bytes32;
}

/** What the channel's merkle root commits to for each active transfer. */
export interface CoreTransferState {
  channelAddress: Address;
  transferId: Bytes32;
  transferDefinition: Address;
  initiator: Address;
  responder: Address;
  assetId: Address;
  balance: Balance;
  /** Seconds a disputed transfer waits for its responder before the initial balance stands. */
  transferTimeout: number;
  initialStateHash: Bytes32;
}

/** A withdrawal commitment: the EIP-712 `WithdrawData`. */
export interface WithdrawData {
  channelAddress: Address;
  assetId: Address;
  recipient: Address;
  amount: bigint;
  nonce: bigint;
}

/** The kinds of channel update (DESIGN §4.4; resume: §4.7). */
export const UPDATE_TYPES = ["setup", "deposit", "create", "resolve", "resume"] as const;
export type UpdateType = (typeof UPDATE_TYPES)[number];

export interface SetupDetails {
  timeout: number;
  networkContext: NetworkContext;
}

/** The on-chain deposit totals the update reconciles; the responder checks them on-chain. */
export interface DepositDetails {
  totalDepositsAlice: bigint;
  totalDepositsBob: bigint;
}

export interface CreateDetails {
  transferId: Bytes32;
  transferDefinition: Address;
  /** The transfer's own balance: index 0 the initiator, 1 the responder. */
  transferBalance: Balance;
  transferTimeout: number;
  /** ABI-encoded initial state, in the definition's state encoding. */
  transferInitialState: HexString;
  merkleRoot: Bytes32;
  meta?: Record<string, unknown>;
}

export interface ResolveDetails {
  transferId: Bytes32;
  transferDefinition: Address;
  /** ABI-encoded resolver, in the definition's resolver encoding. */
  transferResolver: HexString;
  merkleRoot: Bytes32;
  meta?: Record<string, unknown>;
}

/** An asset whose share of the disputed state was paid out, with the totals the defund counted. */
export interface ResumedDefund {
  assetId: Address;
  totalDepositsAlice: bigint;
  totalDepositsBob: bigint;
}

/**
 * The channel after a dispute that ran its course (DESIGN §4.7): what the chain paid out
 * leaves the channel. The responder checks every field against its own read of the chain.
 */
export interface ResumeDetails {
  /** The dispute round the channel resumes from. */
  round: number;
  /** The assets defunded in that round, by address. */
  defunds: ResumedDefund[];
  /** The active transfers disputed on-chain: they are settled there and leave the channel. */
  disputedTransfers: Bytes32[];
  merkleRoot: Bytes32;
}

export interface UpdateDetailsMap {
  setup: SetupDetails;
  deposit: DepositDetails;
  create: CreateDetails;
  resolve: ResolveDetails;
  resume: ResumeDetails;
}

/**
 * One channel update: who proposes it, the resulting balance of the asset it touches, its
 * details, and the signatures on the resulting channel state.
 */
export interface ChannelUpdate<T extends UpdateType = UpdateType> {
  channelAddress: Address;
  fromIdentifier: Address;
  toIdentifier: Address;
  type: T;
  nonce: number;
  assetId: Address;
  /** The channel's balance of `assetId` after the update. */
  balance: Balance;
  details: UpdateDetailsMap[T];
  aliceSignature?: HexString;
  bobSignature?: HexString;
}

/** A channel state as the parties keep it: the signed core plus what produced it. */
export interface FullChannelState extends CoreChannelState {
  networkContext: NetworkContext;
  /** The update that produced this state, with the signatures on it. */
  latestUpdate: ChannelUpdate;
}

/** A transfer as the parties keep it: the committed core plus its state and history. */
export interface FullTransferState extends CoreTransferState {
  chainId: number;
  /** ABI-encoded initial state (hashes to `initialStateHash`). */
  transferState: HexString;
  /** ABI-encoded resolver, once resolved. */
  transferResolver?: HexString;
  /** Nonce of the channel update that created it. */
  channelNonce: number;
  /** What both parties agreed at create; a resolve never changes it. */
  meta?: Record<string, unknown>;
  /** The resolver's own note at resolve (e.g. a cancel's reason), kept apart from `meta`. */
  resolveMeta?: Record<string, unknown>;
}
