import type { Logger } from "pino";
import type {
  AppliedUpdate,
  ChainDisputeOutcome,
  ChannelSigner,
  ChannelUpdate,
  ChannelView,
  ProtocolPolicy,
  UpdateContext,
} from "../../protocol";
import type { NetworkContext } from "../../protocol/types";
import type { ChannelStore, Tx } from "../store/channelStore";
import type { ChannelLocks } from "./channelLocks";

export type ChainDeposits = NonNullable<UpdateContext["chainDeposits"]>;

/**
 * Sends a request to a user and returns its raw reply; throws PEER_UNAVAILABLE. `timeoutMs`
 * caps how long the reply may take (the messaging may give an unresponsive user less).
 */
export type PeerRequest = (
  user: string,
  method: string,
  payload: string,
  options?: { timeoutMs?: number },
) => Promise<Uint8Array>;

export interface ChannelServiceDeps {
  signer: ChannelSigner;
  network: NetworkContext;
  store: ChannelStore;
  locks: ChannelLocks;
  lookupDefinition: UpdateContext["lookupDefinition"];
  /** Bounds the node puts on what it signs (channel and transfer timeouts). */
  policy: ProtocolPolicy;
  /**
   * Whether a dispute is on record on-chain for the channel: then the node signs nothing on it
   * (it still adopts doubly-signed updates, which can only help it answer the dispute).
   */
  inDispute(channelAddress: string): boolean;
  readDeposits(channelAddress: string, assetId: string): Promise<ChainDeposits>;
  /** What the channel's finished dispute left on-chain, for a resume update. */
  readDisputeOutcome(view: ChannelView): Promise<ChainDisputeOutcome>;
  requestPeer: PeerRequest;
  /** Whether background work for the user should wait: its last requests timed out. */
  peerDeferred?(user: string): boolean;
  /** Whether the node is stopping: work still queued on a channel gives up (SHUTTING_DOWN). */
  stopping?(): boolean;
  now(): number;
  logger: Logger;
  /** Whether another process may write the same channels (PostgreSQL): then views are re-checked. */
  shared: boolean;
  /** Bookkeeping stored in the same transaction as the update (payments, for example). */
  record(tx: Tx, applied: AppliedUpdate, before: ChannelView): Promise<void>;
  /** After an update is stored: what it sets off (forwarding, notifications). Must not throw. */
  committed(applied: AppliedUpdate, before: ChannelView): void;
  /** A resume was stored: the channel is past its dispute. Must not throw. */
  resumed?(channelAddress: string, round: number): void;
  observeLatency(type: string, role: "proposer" | "responder", seconds: number): void;
  /** Channel views kept in memory, most recently used first (default 10,000). */
  cachedViews?: number;
}

/** What a proposer may want to know about its proposal while the channel is still locked. */
export interface ProposeHooks {
  /** The proposal reached nobody (no subscriber): it was never out of our hands. */
  undelivered?(update: ChannelUpdate): Promise<void>;
  /** At most this long for the user's reply (background work that can try again later). */
  replyTimeoutMs?: number;
}

/** A check the node adds to an incoming proposal before countersigning it. */
export type ProposalCheck = (view: ChannelView, update: ChannelUpdate) => Promise<void> | void;
