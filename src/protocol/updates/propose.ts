import { channelAddressFor } from "../channelAddress";
import { ProtocolError } from "../errors";
import { type ChannelSigner, toChecksumAddress } from "../signatures";
import type { Address, ChannelUpdate, FullChannelState, HexString, NetworkContext } from "../types";
import type { ChannelView, Transition, UpdateContext } from "./context";
import {
  computeTransition,
  type PreparedSignature,
  prepareProposerSignature,
  withSignature,
} from "./pipeline";
import { channelBalance, ZERO_ADDRESS } from "./state";

/** What a proposer asks for; the rest of the update is derived. */
export type UpdateDraft =
  | { type: "setup"; counterparty: Address; timeout: number; networkContext: NetworkContext }
  /** Reconciles the totals in `context.chainDeposits`, read from the chain by the shell. */
  | { type: "deposit"; assetId: Address }
  | {
      type: "create";
      assetId: Address;
      amount: bigint;
      transferDefinition: Address;
      transferInitialState: HexString;
      transferTimeout: number;
      meta?: Record<string, unknown>;
    }
  | {
      type: "resolve";
      transferId: string;
      transferResolver: HexString;
      meta?: Record<string, unknown>;
    }
  /** Moves the channel past a finished dispute, as `context.chainDispute` (read by the shell) says. */
  | { type: "resume" };

const PLACEHOLDER_HASH = `0x${"0".repeat(64)}`;

/**
 * The proposer's side: builds the next update from a draft, checks it with the same rules the
 * responder will run, and signs the resulting state.
 *
 * @example
 * const { update, transition } = await proposeUpdate(view, { type: "deposit", assetId }, signer, context);
 * // send `update`; on the reply: acceptCountersigned(view, update, reply, context)
 */
export async function proposeUpdate(
  view: ChannelView,
  draft: UpdateDraft,
  signer: ChannelSigner,
  context: UpdateContext,
): Promise<{ update: ChannelUpdate; transition: Transition }> {
  const { update, prepared } = prepareProposal(view, draft, signer.address, context);
  return {
    update: withSignature(update, prepared.role, await signer.signDigest(prepared.digest)),
    transition: prepared.transition,
  };
}

/**
 * The proposer's side up to its signature: the complete update, unsigned, and what to sign
 * (`withSignature` adds it). Pure: a shell may sign with any signer, at its own pace.
 */
export function prepareProposal(
  view: ChannelView,
  draft: UpdateDraft,
  proposer: Address,
  context: UpdateContext,
): { update: ChannelUpdate; prepared: PreparedSignature } {
  const unsigned = draftUpdate(view, canonicalDraft(draft), proposer, context);
  // Fill in what the rules derive (resulting balance, merkle root, transfer id), then sign.
  const transition = computeTransition(view, unsigned, context);
  const update = withClaims(unsigned, transition);
  return { update, prepared: prepareProposerSignature(view, update, transition, proposer) };
}

/**
 * Addresses in the checksummed form the wire schemas produce: the responder's copy of the
 * update is parsed, so the proposer must sign exactly what that parse gives back.
 */
function canonicalDraft(draft: UpdateDraft): UpdateDraft {
  switch (draft.type) {
    case "setup": {
      const network = draft.networkContext;
      return {
        ...draft,
        counterparty: toChecksumAddress(draft.counterparty),
        networkContext: {
          chainId: network.chainId,
          channelFactoryAddress: toChecksumAddress(network.channelFactoryAddress),
          channelMastercopyAddress: toChecksumAddress(network.channelMastercopyAddress),
          transferRegistryAddress: toChecksumAddress(network.transferRegistryAddress),
        },
      };
    }
    case "deposit":
      return { ...draft, assetId: toChecksumAddress(draft.assetId) };
    case "create":
      return {
        ...draft,
        assetId: toChecksumAddress(draft.assetId),
        transferDefinition: toChecksumAddress(draft.transferDefinition),
      };
    case "resolve":
    case "resume":
      return draft;
  }
}

function draftUpdate(
  view: ChannelView,
  draft: UpdateDraft,
  proposer: Address,
  context: UpdateContext,
): ChannelUpdate {
  if (draft.type === "setup") {
    return {
      channelAddress: channelAddressFor(draft.counterparty, proposer, draft.networkContext),
      fromIdentifier: proposer,
      toIdentifier: draft.counterparty,
      type: "setup",
      nonce: 1,
      assetId: ZERO_ADDRESS,
      balance: { to: [draft.counterparty, proposer], amount: [0n, 0n] },
      details: { timeout: draft.timeout, networkContext: draft.networkContext },
    } satisfies ChannelUpdate<"setup">;
  }
  const state = view.state;
  if (!state) throw new ProtocolError("CHANNEL_NOT_SETUP", `${draft.type} before setup`);
  const base = {
    channelAddress: state.channelAddress,
    fromIdentifier: proposer,
    toIdentifier: counterpartyOf(state, proposer),
    nonce: state.nonce + 1,
  };
  switch (draft.type) {
    case "deposit": {
      const chain = context.chainDeposits;
      if (!chain)
        throw new ProtocolError("INVALID_DEPOSIT", "the on-chain deposit totals were not read");
      return {
        ...base,
        type: "deposit",
        assetId: draft.assetId,
        balance: channelBalance(state, draft.assetId),
        details: {
          totalDepositsAlice: chain.totalDepositsAlice,
          totalDepositsBob: chain.totalDepositsBob,
        },
      } satisfies ChannelUpdate<"deposit">;
    }
    case "create":
      return {
        ...base,
        type: "create",
        assetId: draft.assetId,
        balance: channelBalance(state, draft.assetId),
        details: {
          transferId: PLACEHOLDER_HASH,
          transferDefinition: draft.transferDefinition,
          transferBalance: { to: [proposer, base.toIdentifier], amount: [draft.amount, 0n] },
          transferTimeout: draft.transferTimeout,
          transferInitialState: draft.transferInitialState,
          merkleRoot: PLACEHOLDER_HASH,
          ...(draft.meta ? { meta: draft.meta } : {}),
        },
      } satisfies ChannelUpdate<"create">;
    case "resume": {
      const outcome = context.chainDispute;
      if (!outcome) throw new ProtocolError("INVALID_RESUME", "the dispute on-chain was not read");
      return {
        ...base,
        type: "resume",
        assetId: ZERO_ADDRESS,
        balance: channelBalance(state, ZERO_ADDRESS),
        details: {
          round: outcome.round,
          defunds: outcome.defunds.map(({ assetId, totalDepositsAlice, totalDepositsBob }) => ({
            assetId: toChecksumAddress(assetId),
            totalDepositsAlice,
            totalDepositsBob,
          })),
          disputedTransfers: outcome.disputedTransferIds.map((id) => id.toLowerCase()),
          merkleRoot: PLACEHOLDER_HASH,
        },
      } satisfies ChannelUpdate<"resume">;
    }
    case "resolve": {
      const transfer = view.transfers.get(draft.transferId);
      if (!transfer)
        throw new ProtocolError("UNKNOWN_TRANSFER", `no active transfer ${draft.transferId}`);
      return {
        ...base,
        type: "resolve",
        assetId: transfer.assetId,
        balance: channelBalance(state, transfer.assetId),
        details: {
          transferId: transfer.transferId,
          transferDefinition: transfer.transferDefinition,
          transferResolver: draft.transferResolver,
          merkleRoot: PLACEHOLDER_HASH,
          ...(draft.meta ? { meta: draft.meta } : {}),
        },
      } satisfies ChannelUpdate<"resolve">;
    }
  }
}

function withClaims(update: ChannelUpdate, transition: Transition): ChannelUpdate {
  const balance = channelBalance(transition.core, update.assetId);
  if (update.type === "create") {
    const details = (update as ChannelUpdate<"create">).details;
    return {
      ...update,
      balance,
      details: {
        ...details,
        transferId: transition.transfer?.transferId as string,
        merkleRoot: transition.core.merkleRoot,
      },
    } as ChannelUpdate;
  }
  if (update.type === "resolve" || update.type === "resume") {
    const details = (update as ChannelUpdate<"resolve" | "resume">).details;
    return {
      ...update,
      balance,
      details: { ...details, merkleRoot: transition.core.merkleRoot },
    } as ChannelUpdate;
  }
  return { ...update, balance };
}

function counterpartyOf(state: FullChannelState, party: Address): Address {
  return party.toLowerCase() === state.alice.toLowerCase() ? state.bob : state.alice;
}
