import { hexToBytes, keccakHex } from "./bytes";
import { channelAddressFor } from "./channelAddress";
import { ProtocolError } from "./errors";
import { channelStateDigest, transferStateHash } from "./hashing";
import { MerkleTree } from "./merkle";
import type { RestoreMessage } from "./schemas";
import { assertSigner } from "./signatures";
import type { Address, ChannelUpdate, FullChannelState, FullTransferState } from "./types";
import type { AppliedUpdate, ChannelView, UpdateContext } from "./updates/context";
import { applied, chainIdOf, deriveTransition } from "./updates/pipeline";
import { requireSameNetwork } from "./updates/setup";
import { sameAddress } from "./updates/state";

/**
 * Catching up (DESIGN §4.4): a party one update behind adopts the counterparty's previous
 * doubly-signed update, and a party that lost its store restores the latest doubly-signed
 * state with the active transfers. Nothing is adopted before both signatures and the merkle
 * root check out.
 */

/**
 * Applies an update that both parties already signed, such as the previous update carried in
 * a message to a party that missed it. The update is re-derived from our own state, so it must
 * follow the same rules as one we countersign, but for the time it was signed at.
 */
export function applyDoublySigned(
  view: ChannelView,
  update: ChannelUpdate,
  context: UpdateContext,
): AppliedUpdate {
  // Without totals read from the chain, a deposit's own totals stand: both signatures are
  // checked below, ours among them, and we checked those totals against the chain to sign.
  const totals =
    update.type === "deposit" && !context.chainDeposits
      ? { chainDeposits: { ...(update as ChannelUpdate<"deposit">).details } }
      : {};
  // It carries our own signature, given when we checked it: what depended on the time then
  // (a hashlock's expiry) is not judged again by the clock now, or an update we signed could
  // never be adopted once it aged.
  const transition = deriveTransition(view, update, { ...context, ...totals, now: 0 });
  const digest = channelStateDigest(transition.core, chainIdOf(view, update));
  requireBothSignatures(digest, update, transition.core.alice, transition.core.bob);
  return applied(view, update, transition);
}

/**
 * Validates a restore from the counterparty and returns the channel to adopt. `ours` is what
 * we still have, if anything: a restore never moves us back.
 *
 * @example
 * const view = validateRestore(decodeRestoreMessage(raw), { identity: signer.address, state: undefined }, context);
 */
export function validateRestore(
  message: RestoreMessage,
  ours: { identity: Address; state: FullChannelState | undefined },
  context: UpdateContext,
): ChannelView {
  const channel = message.channel;
  if (!sameAddress(channel.alice, ours.identity) && !sameAddress(channel.bob, ours.identity)) {
    throw new ProtocolError(
      "WRONG_PARTICIPANTS",
      `${ours.identity} is not a party of ${channel.channelAddress}`,
    );
  }
  const network = context.network;
  requireSameNetwork(channel.networkContext, network);
  const expectedAddress = channelAddressFor(channel.alice, channel.bob, network);
  if (!sameAddress(expectedAddress, channel.channelAddress)) {
    throw new ProtocolError(
      "WRONG_CHANNEL",
      `expected channel ${expectedAddress}, got ${channel.channelAddress}`,
    );
  }
  if (ours.state && channel.nonce < ours.state.nonce) {
    throw new ProtocolError(
      "STALE_NONCE",
      `restore has nonce ${channel.nonce}, we have ${ours.state.nonce}`,
    );
  }
  if (
    channel.latestUpdate.nonce !== channel.nonce ||
    !sameAddress(channel.latestUpdate.channelAddress, channel.channelAddress)
  ) {
    throw new ProtocolError(
      "UPDATE_MISMATCH",
      "the latest update is not the one that produced this state",
    );
  }
  const digest = channelStateDigest(channel, network.chainId);
  requireBothSignatures(digest, channel.latestUpdate, channel.alice, channel.bob);

  const transfers = new Map<string, FullTransferState>();
  const tree = new MerkleTree();
  for (const transfer of message.activeTransfers) {
    requireTransferOf(channel, transfer);
    if (transfers.has(transfer.transferId)) {
      throw new ProtocolError(
        "DUPLICATE_TRANSFER",
        `transfer ${transfer.transferId} appears twice`,
      );
    }
    transfers.set(transfer.transferId, transfer);
    tree.insert(transferStateHash(transfer));
  }
  if (tree.root() !== channel.merkleRoot.toLowerCase()) {
    throw new ProtocolError(
      "MERKLE_MISMATCH",
      `the active transfers hash to ${tree.root()}, the signed state commits to ${channel.merkleRoot}`,
    );
  }
  return { state: channel, transfers, tree };
}

function requireTransferOf(channel: FullChannelState, transfer: FullTransferState): void {
  if (!sameAddress(transfer.channelAddress, channel.channelAddress)) {
    throw new ProtocolError(
      "WRONG_CHANNEL",
      `transfer ${transfer.transferId} belongs to ${transfer.channelAddress}`,
    );
  }
  const initialStateHash = keccakHex(hexToBytes(transfer.transferState));
  if (initialStateHash !== transfer.initialStateHash.toLowerCase()) {
    throw new ProtocolError(
      "UPDATE_MISMATCH",
      `transfer ${transfer.transferId}'s state does not hash to its initial state hash`,
    );
  }
}

function requireBothSignatures(
  digest: string,
  update: ChannelUpdate,
  alice: Address,
  bob: Address,
): void {
  if (!update.aliceSignature || !update.bobSignature) {
    throw new ProtocolError("INVALID_SIGNATURE", "a doubly-signed update needs both signatures");
  }
  assertSigner(digest, update.aliceSignature, alice, "alice");
  assertSigner(digest, update.bobSignature, bob, "bob");
}
