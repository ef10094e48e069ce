import {
  type ChannelUpdate,
  type ChannelView,
  hashlock,
  ProtocolError,
  withdraw,
} from "../../protocol";
import { payerRoutingSchema, readMeta } from "../../protocol/messaging";
import type { NetworkContext } from "../../protocol/types";
import { withdrawalMismatch } from "../../protocol/withdrawals";
import { NodeError } from "./errors";

export interface ProposalPolicyOptions {
  node: string;
  network: NetworkContext;
  hashlockAddress: string;
  withdrawAddress: string;
  /** Assets the node routes and collateralises (lowercase). */
  supportedAssets: Pick<ReadonlySet<string>, "has">;
  /** Seconds the mirror transfer's expiry stays ahead of the payer's; see `mirrorExpiry`. */
  expiryMarginSeconds: number;
  now(): number;
  /** Whether `user` has a channel with the node. */
  hasChannel(user: string): Promise<boolean>;
  paymentExists(paymentId: string): Promise<boolean>;
}

/**
 * What the node requires of a user's proposal beyond the protocol's rules, checked before it
 * countersigns anything: only the transfers it knows how to carry, routed payments it can
 * forward in time, and withdrawals whose commitment is exactly what the transfer says.
 */
export function proposalPolicy(options: ProposalPolicyOptions) {
  return async (_view: ChannelView, update: ChannelUpdate): Promise<void> => {
    if (update.type !== "deposit" && update.type !== "create") return;
    const details = (update as ChannelUpdate<"create">).details;
    const definition = update.type === "create" ? details.transferDefinition.toLowerCase() : "";
    // A withdrawal stays open for whatever the channel holds, even an asset no longer carried.
    const leaving = definition === options.withdrawAddress.toLowerCase();
    if (!leaving && !options.supportedAssets.has(update.assetId.toLowerCase())) {
      throw new NodeError("UNSUPPORTED_ASSET", `the node does not carry ${update.assetId}`);
    }
    if (update.type !== "create") return;
    if (definition === options.hashlockAddress.toLowerCase()) {
      await checkRoutedPayment(options, update as ChannelUpdate<"create">);
    } else if (definition === options.withdrawAddress.toLowerCase()) {
      checkWithdrawal(options, update as ChannelUpdate<"create">);
    } else {
      throw new NodeError(
        "UNSUPPORTED_TRANSFER",
        `the node does not carry transfers of ${details.transferDefinition}`,
      );
    }
  };
}

/** The mirror's expiry: the payer's minus the margin, so the node can always claim in time. */
export function mirrorExpiry(payerExpiry: bigint, marginSeconds: number): bigint {
  return payerExpiry - BigInt(marginSeconds);
}

async function checkRoutedPayment(
  options: ProposalPolicyOptions,
  update: ChannelUpdate<"create">,
): Promise<void> {
  const routing = readMeta(update.details.meta, "routing", payerRoutingSchema);
  if (!routing) {
    throw new NodeError(
      "UNSUPPORTED_TRANSFER",
      "a hashlock transfer to the node needs meta.routing",
    );
  }
  const recipient = routing.recipient.toLowerCase();
  if (
    recipient === update.fromIdentifier.toLowerCase() ||
    recipient === options.node.toLowerCase()
  ) {
    throw new NodeError("UNKNOWN_RECIPIENT", `cannot route a payment to ${routing.recipient}`);
  }
  if (!(await options.hasChannel(routing.recipient))) {
    throw new NodeError("UNKNOWN_RECIPIENT", `${routing.recipient} has no channel with this node`);
  }
  if (await options.paymentExists(routing.paymentId)) {
    throw new NodeError("PAYMENT_EXISTS", `payment ${routing.paymentId} exists already`);
  }
  const state = hashlock.decodeState(update.details.transferInitialState);
  // The mirror must still be open for a while after the margin is taken off.
  const earliest = BigInt(options.now() + 2 * options.expiryMarginSeconds);
  if (state.expiry === 0n || state.expiry < earliest) {
    throw new NodeError(
      "EXPIRY_TOO_SOON",
      `a routed payment's expiry must be at least ${2 * options.expiryMarginSeconds} s ahead, got ${state.expiry}`,
    );
  }
  if (update.details.transferBalance.amount[0] === 0n) {
    throw new ProtocolError("TRANSFER_REJECTED", "a payment of 0");
  }
}

function checkWithdrawal(options: ProposalPolicyOptions, update: ChannelUpdate<"create">): void {
  const mismatch = withdrawalMismatch(update, options.network.chainId);
  if (mismatch) throw new NodeError("WITHDRAW_MISMATCH", mismatch);
  const { responder } = withdraw.decodeState(update.details.transferInitialState);
  if (responder.toLowerCase() !== options.node.toLowerCase()) {
    throw new NodeError("WITHDRAW_MISMATCH", "the node must be the withdrawal's responder");
  }
}
