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
