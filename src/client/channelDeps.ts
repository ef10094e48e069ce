import {
  type AppliedUpdate,
  type ChannelSigner,
  type ChannelUpdate,
  type ChannelView,
  MerkleTree,
  type UpdateContext,
  type UpdateDraft,
} from "../protocol";
import { type Conversation, startConversation } from "../protocol/conversation";
import type { NetworkContext } from "../protocol/types";
import type { ClientStore } from "./store/types";

export type ChainDeposits = NonNullable<UpdateContext["chainDeposits"]>;
export type ChainDisputeOutcome = NonNullable<UpdateContext["chainDispute"]>;

/** Builds our proposal on a view (again on a retry); undefined: nothing to do any more. */
export type Drafter = (
  view: ChannelView,
) => Promise<UpdateDraft | undefined> | UpdateDraft | undefined;

/** What a ClientChannel works with: the user's key and store, the node, the chain, the client. */
export interface ClientChannelDeps {
  signer: ChannelSigner;
  node: string;
  network: NetworkContext;
  store: ClientStore;
  lookupDefinition: UpdateContext["lookupDefinition"];
  readDeposits(channelAddress: string, assetId: string): Promise<ChainDeposits>;
  /** What the channel's finished dispute left on-chain, for a resume update. */
  readDisputeOutcome(
    channelAddress: string,
    assetIds: string[],
    transferIds: string[],
  ): Promise<ChainDisputeOutcome>;
  /**
   * Before countersigning the node's resume: throws (CHANNEL_IN_DISPUTE) while our own side of
   * the dispute is not carried through yet. Absent: no such check.
   */
  beforeResume?(): Promise<void>;
  /** A request to the node; returns its raw reply. */
  request(method: string, payload: string): Promise<Uint8Array>;
  /** The client's own checks on a node proposal, before it countersigns. */
  check(view: ChannelView, update: ChannelUpdate): Promise<void> | void;
  /**
   * After any update is stored, whoever proposed it; `resumedRound` when it is the resume
   * that ended that dispute round.
   */
  applied(
    applied: AppliedUpdate,
    before: ChannelView,
    proposedByUs: boolean,
    resumedRound?: number,
  ): void;
  now(): number;
}

/** No channel yet. */
export const EMPTY_VIEW: ChannelView = {
  state: undefined,
  transfers: new Map(),
  tree: new MerkleTree(),
};

/** The client's conversation with the node: the client is bob, the node alice, and may restore. */
export function clientConversation(deps: ClientChannelDeps): Conversation {
  const { signer, node, network } = deps;
  return startConversation({
    me: signer.address,
    peer: node,
    alice: node,
    network,
    view: EMPTY_VIEW,
    canRestore: true,
  });
}
