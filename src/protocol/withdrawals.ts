import { withdraw } from "./definitions";
import { withdrawDigest } from "./hashing";
import { readMeta, withdrawMetaSchema } from "./messaging";
import type { ChannelSigner } from "./signatures";
import type { Address, ChannelUpdate } from "./types";
import type { ChannelView } from "./updates/context";
import type { UpdateDraft } from "./updates/propose";

/**
 * Withdrawals as both sides build and check them (DESIGN §4.5 Withdraw): the transfer locks the
 * amount plus the fee, the commitment pays the amount to the recipient in `meta.withdraw`, its
 * nonce is the create update's, and the resolve leaves the fee to the responder (Withdraw.sol),
 * whoever sends the commitment.
 */

export interface WithdrawalRequest {
  assetId: Address;
  /** What the recipient is paid on-chain. */
  amount: bigint;
  /** What the responder keeps in the channel, on top of `amount` (default 0). */
  fee?: bigint;
  recipient: Address;
  /** The counterparty, who countersigns the commitment by resolving. */
  responder: Address;
  /** The Withdraw definition's address. */
  definition: Address;
}

/** The create draft of a withdrawal by `signer`, its commitment signed, on top of `view`. */
export async function withdrawalDraft(
  view: ChannelView & { state: NonNullable<ChannelView["state"]> },
  request: WithdrawalRequest,
  signer: ChannelSigner,
): Promise<UpdateDraft> {
  const { state } = view;
  const nonce = BigInt(state.nonce + 1);
  const fee = request.fee ?? 0n;
  const data = withdrawDigest(
    {
      channelAddress: state.channelAddress,
      assetId: request.assetId,
      recipient: request.recipient,
      amount: request.amount,
      nonce,
    },
    state.networkContext.chainId,
  );
  return {
    type: "create",
    assetId: request.assetId,
    amount: request.amount + fee,
    transferDefinition: request.definition,
    transferInitialState: withdraw.encodeState({
      initiatorSignature: await signer.signDigest(data),
      initiator: signer.address,
      responder: request.responder,
      data,
      nonce,
      fee,
    }),
    transferTimeout: state.timeout,
    meta: { withdraw: { recipient: request.recipient } },
  };
}

/**
 * What a withdrawal's commitment pays out: the amount its transfer locks less the fee the
 * responder keeps. The one place both sides compute it, so the commitment they sign, check and
 * send is always the same.
 */
export function withdrawnAmount(locked: bigint, fee: bigint): bigint {
  return locked - fee;
}

/**
 * Why a Withdraw create's commitment is not exactly the withdrawal its transfer says, or
 * undefined when it is: it must pay the locked amount less the fee, and pay something (a
 * commitment of nothing would only cost its sender gas). Who the responder must be, and what
 * fee it asks, is the caller's to check.
 */
export function withdrawalMismatch(
  update: ChannelUpdate<"create">,
  chainId: number,
): string | undefined {
  const target = readMeta(update.details.meta, "withdraw", withdrawMetaSchema);
  if (!target) return "a withdrawal needs meta.withdraw.recipient";
  const state = withdraw.decodeState(update.details.transferInitialState);
  const locked = update.details.transferBalance.amount[0];
  if (state.fee >= locked) {
    return `a withdrawal must pay out something: it locks ${locked} with a fee of ${state.fee}`;
  }
  const amount = withdrawnAmount(locked, state.fee);
  if (state.nonce !== BigInt(update.nonce)) {
    return `the commitment nonce must be the update's nonce ${update.nonce}, got ${state.nonce}`;
  }
  const expected = withdrawDigest(
    {
      channelAddress: update.channelAddress,
      assetId: update.assetId,
      recipient: target.recipient,
      amount,
      nonce: state.nonce,
    },
    chainId,
  );
  if (state.data !== expected) {
    return `the commitment is not a withdrawal of ${amount} ${update.assetId} to ${target.recipient}`;
  }
  return undefined;
}
