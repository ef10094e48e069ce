import {
  type AppliedUpdate,
  acceptCountersigned,
  adoptApplied,
  type ChannelUpdate,
  hashlock,
  hashlockLockHash,
  type NetworkContext,
  proposeUpdate,
  respondToUpdate,
  toChecksumAddress,
  type UpdateContext,
  type UpdateDraft,
} from "../../../protocol";
import {
  context,
  ETH,
  HASHLOCK_ADDRESS,
  NETWORK,
  type Party,
} from "../../../protocol/testing/twoParties";

/**
 * twoParties' NETWORK with checksummed addresses: the store returns what the wire schemas
 * parse, which checksums every address, so a reload compares equal only to canonical input.
 */
export const CHECKSUMMED_NETWORK: NetworkContext = {
  chainId: NETWORK.chainId,
  channelFactoryAddress: toChecksumAddress(NETWORK.channelFactoryAddress),
  channelMastercopyAddress: toChecksumAddress(NETWORK.channelMastercopyAddress),
  transferRegistryAddress: toChecksumAddress(NETWORK.transferRegistryAddress),
};

/**
 * One round trip between the node (alice) and a user, as twoParties' exchange does, that also
 * hands back the node's AppliedUpdate so a test can store it as the node would.
 */
export async function exchangeApplied(
  node: Party,
  user: Party,
  proposer: "node" | "user",
  draft: UpdateDraft,
  overrides: Partial<UpdateContext> = {},
): Promise<{ update: ChannelUpdate; applied: AppliedUpdate }> {
  const ctx = context({ network: CHECKSUMMED_NETWORK, ...overrides });
  const [from, to] = proposer === "node" ? [node, user] : [user, node];
  const { update } = await proposeUpdate(from.view, draft, from.signer, ctx);
  const reply = await respondToUpdate(to.view, update, to.signer, ctx);
  const accepted = acceptCountersigned(from.view, update, reply.update, ctx);
  const nodeApplied = proposer === "node" ? accepted : reply.applied;
  to.view = adoptApplied(to.view, reply.applied);
  from.view = adoptApplied(from.view, accepted);
  return { update: reply.update, applied: nodeApplied };
}

export const setupDraft = (node: Party): UpdateDraft => ({
  type: "setup",
  counterparty: node.signer.address,
  timeout: 86_400,
  networkContext: CHECKSUMMED_NETWORK,
});

export const depositDraft: UpdateDraft = { type: "deposit", assetId: ETH };

export function hashlockDraft(amount: bigint, preImage: string): UpdateDraft {
  return {
    type: "create",
    assetId: ETH,
    amount,
    transferDefinition: HASHLOCK_ADDRESS,
    transferInitialState: hashlock.encodeState({
      lockHash: hashlockLockHash(preImage),
      expiry: 0n,
    }),
    transferTimeout: 3600,
  };
}

export function resolveDraft(transferId: string, preImage: string): UpdateDraft {
  return {
    type: "resolve",
    transferId,
    transferResolver: hashlock.encodeResolver({ preImage }),
  };
}
