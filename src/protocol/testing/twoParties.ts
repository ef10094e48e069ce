import { definitionRegistry, hashlock, withdraw } from "../definitions";
import { MerkleTree } from "../merkle";
import { type ChannelSigner, privateKeySigner } from "../signatures";
import type { Address, ChannelUpdate, NetworkContext } from "../types";
import type { ChannelView, UpdateContext } from "../updates/context";
import { acceptCountersigned, adoptApplied, respondToUpdate } from "../updates/pipeline";
import { proposeUpdate, type UpdateDraft } from "../updates/propose";

/**
 * Two parties of one channel held in memory, for tests of the pure core: each keeps its own
 * view and only learns of updates through messages, as node and client do.
 */

export const NETWORK: NetworkContext = {
  chainId: 1337,
  channelFactoryAddress: "0x00000000000000000000000000000000000000F1",
  channelMastercopyAddress: "0x00000000000000000000000000000000000000C0",
  transferRegistryAddress: "0x00000000000000000000000000000000000000E1",
};
export const HASHLOCK_ADDRESS: Address = "0x00000000000000000000000000000000000000A1";
export const WITHDRAW_ADDRESS: Address = "0x00000000000000000000000000000000000000A2";
export const TOKEN: Address = "0x00000000000000000000000000000000000000D1";
export const ETH: Address = "0x0000000000000000000000000000000000000000";
export const NOW = 1_800_000_000;

const REGISTRY = definitionRegistry([
  { address: HASHLOCK_ADDRESS, rules: hashlock },
  { address: WITHDRAW_ADDRESS, rules: withdraw },
]);

export interface Party {
  signer: ChannelSigner;
  view: ChannelView;
}

export function party(privateKey: string): Party {
  return { signer: privateKeySigner(privateKey), view: emptyView() };
}

export function emptyView(): ChannelView {
  return { state: undefined, transfers: new Map(), tree: new MerkleTree() };
}

/** The context a party validates with; deposits are what "the chain" shows it. */
export function context(overrides: Partial<UpdateContext> = {}): UpdateContext {
  return {
    network: NETWORK,
    now: NOW,
    lookupDefinition: (address) => REGISTRY.get(address.toLowerCase()),
    ...overrides,
  };
}

/**
 * One full round trip: propose, respond, accept. Both parties adopt the result. Returns the
 * doubly-signed update.
 */
export async function exchange(
  proposer: Party,
  responder: Party,
  draft: UpdateDraft,
  contextOverrides: Partial<UpdateContext> = {},
): Promise<ChannelUpdate> {
  const ctx = context(contextOverrides);
  const { update } = await proposeUpdate(proposer.view, draft, proposer.signer, ctx);
  const reply = await respondToUpdate(responder.view, update, responder.signer, ctx);
  responder.view = adoptApplied(responder.view, reply.applied);
  proposer.view = adoptApplied(
    proposer.view,
    acceptCountersigned(proposer.view, update, reply.update, ctx),
  );
  return reply.update;
}

/** Sets the channel up between `node` (alice) and `user` (bob), as the user proposes. */
export async function setupChannel(
  node: Party,
  user: Party,
  timeout = 86_400,
): Promise<ChannelUpdate> {
  return exchange(user, node, {
    type: "setup",
    counterparty: node.signer.address,
    timeout,
    networkContext: NETWORK,
  });
}
