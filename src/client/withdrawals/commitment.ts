import { type FullTransferState, recoverSigner, withdraw } from "../../protocol";
import { withdrawDigest } from "../../protocol/hashing";
import { readMeta, withdrawMetaSchema } from "../../protocol/messaging";
import type { WithdrawData } from "../../protocol/types";
import { withdrawnAmount } from "../../protocol/withdrawals";

/** A withdrawal commitment as the channel's `withdraw` takes it, with both signatures. */
export interface SignedCommitment {
  transferId: string;
  channelAddress: string;
  alice: string;
  bob: string;
  commitment: WithdrawData;
  digest: string;
  aliceSignature: string;
  bobSignature: string;
}

/**
 * The commitment of our own withdrawal `transfer` once the node resolves it with
 * `transferResolver`, or undefined when that resolve does not give us an executable commitment:
 * a cancel (empty signature), another definition or initiator, a transfer whose commitment is
 * not the withdrawal its meta names, or a signature that is not the node's.
 *
 * @example
 * const signed = countersignedCommitment(transfer, update.details.transferResolver, parties, chainId);
 */
export function countersignedCommitment(
  transfer: FullTransferState,
  transferResolver: string,
  parties: { me: string; node: string; withdrawAddress: string },
  chainId: number,
): SignedCommitment | undefined {
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  if (!same(transfer.transferDefinition, parties.withdrawAddress)) return undefined;
  if (!same(transfer.initiator, parties.me) || !same(transfer.responder, parties.node)) {
    return undefined;
  }
  let nodeSignature: string;
  let state: ReturnType<typeof withdraw.decodeState>;
  try {
    nodeSignature = withdraw.decodeResolver(transferResolver).responderSignature;
    state = withdraw.decodeState(transfer.transferState);
  } catch {
    return undefined;
  }
  if (nodeSignature === "0x") return undefined; // cancelled
  const target = readMeta(transfer.meta, "withdraw", withdrawMetaSchema);
  if (!target) return undefined;
  const commitment: WithdrawData = {
    channelAddress: transfer.channelAddress,
    assetId: transfer.assetId,
    recipient: target.recipient,
    amount: withdrawnAmount(transfer.balance.amount[0], state.fee),
    nonce: state.nonce,
  };
  if (withdrawDigest(commitment, chainId).toLowerCase() !== state.data.toLowerCase()) {
    return undefined;
  }
  if (!signedBy(state.data, nodeSignature, parties.node)) return undefined;
  if (!signedBy(state.data, state.initiatorSignature, parties.me)) return undefined;
  return {
    transferId: transfer.transferId,
    channelAddress: transfer.channelAddress,
    alice: parties.node,
    bob: parties.me,
    commitment,
    digest: state.data,
    aliceSignature: nodeSignature,
    bobSignature: state.initiatorSignature,
  };
}

/** Whether the cancel of our withdrawal is what `transferResolver` says. */
export function isCancel(transferResolver: string): boolean {
  try {
    return withdraw.decodeResolver(transferResolver).responderSignature === "0x";
  } catch {
    return false;
  }
}

function signedBy(digest: string, signature: string, expected: string): boolean {
  try {
    return recoverSigner(digest, signature).toLowerCase() === expected.toLowerCase();
  } catch {
    return false;
  }
}
