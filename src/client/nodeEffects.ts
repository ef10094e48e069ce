import {
  type ChannelUpdate,
  type ChannelView,
  claimableOnchain,
  DEFAULT_MAX_PAYMENT_EXPIRY_SECONDS,
  hashlock,
  minimumHashlockTransferTimeout,
  ProtocolError,
  withdraw,
} from "../protocol";
import { payeeRoutingSchema, readMeta } from "../protocol/messaging";
import { withdrawalMismatch } from "../protocol/withdrawals";

export interface ProposalCheckOptions {
  me: string;
  node: string;
  chainId: number;
  hashlockAddress: string;
  withdrawAddress: string;
  /** Seconds allowed for an on-chain claim's transactions, on top of the channel's timeout. */
  claimBufferSeconds: number;
  /**
   * Latest expiry a payment to us may have, in seconds from now: a payment we cannot claim
   * would otherwise hold a place in our channel for years. Default 7 days, the node's own cap.
   */
  maxExpirySeconds?: number;
  /** Unix seconds. */
  now(): number;
}

/**
 * The client's own checks on the node's proposals, beyond the protocol's: the node only ever
 * offers us routed payments and withdrawals of its own collateral whose commitment matches
 * the amount it locks.
 */
export function nodeProposalCheck(options: ProposalCheckOptions) {
  return (view: ChannelView, update: ChannelUpdate): void => {
    if (update.type === "setup") {
      throw new ProtocolError("WRONG_PARTICIPANTS", "the user proposes the setup, not the node");
    }
    if (update.type !== "create") return;
    const details = (update as ChannelUpdate<"create">).details;
    const definition = details.transferDefinition.toLowerCase();
    if (definition === options.hashlockAddress.toLowerCase()) {
      const routing = readMeta(details.meta, "routing", payeeRoutingSchema);
      if (!routing) throw new ProtocolError("TRANSFER_REJECTED", "a payment without meta.routing");
      requireClaimable(options, view, update as ChannelUpdate<"create">);
      return;
    }
    if (definition === options.withdrawAddress.toLowerCase()) {
      const { responder } = withdraw.decodeState(details.transferInitialState);
      if (
        withdrawalMismatch(update as ChannelUpdate<"create">, options.chainId) !== undefined ||
        responder.toLowerCase() !== options.me.toLowerCase()
      ) {
        throw new ProtocolError(
          "TRANSFER_REJECTED",
          "the node's withdrawal commitment does not match the transfer",
        );
      }
      return;
    }
    throw new ProtocolError(
      "UNKNOWN_DEFINITION",
      `unexpected transfer ${details.transferDefinition}`,
    );
  };
}

/**
 * A payment we could not claim on-chain in time is refused (DESIGN §4.6): its expiry must leave
 * a full dispute of our channel, and its transfer timeout must outlast the expiry, or a node
 * that read our pre-image and refused to countersign would keep the money.
 */
function requireClaimable(
  options: ProposalCheckOptions,
  view: ChannelView,
  update: ChannelUpdate<"create">,
): void {
  const { expiry } = hashlock.decodeState(update.details.transferInitialState);
  const now = options.now();
  const timeout = view.state?.timeout ?? 0;
  if (expiry === 0n || !claimableOnchain(expiry, now, timeout, options.claimBufferSeconds)) {
    throw new ProtocolError(
      "EXPIRY_UNSAFE",
      `a payment expiring at ${expiry} leaves no room to claim it on-chain (channel timeout ${timeout} s + ${options.claimBufferSeconds} s)`,
    );
  }
  const latest = options.maxExpirySeconds ?? DEFAULT_MAX_PAYMENT_EXPIRY_SECONDS;
  if (expiry > BigInt(now + latest)) {
    throw new ProtocolError(
      "EXPIRY_UNSAFE",
      `a payment expiring at ${expiry} is more than ${latest} s away: it would hold a place in the channel that long`,
    );
  }
  const shortest = minimumHashlockTransferTimeout(expiry, now);
  if (update.details.transferTimeout < shortest) {
    throw new ProtocolError(
      "EXPIRY_UNSAFE",
      `the payment's transfer timeout ${update.details.transferTimeout} s ends before its expiry (${shortest} s)`,
    );
  }
}

/** Whether a hashlock transfer's expiry has passed (0: none). */
export function hashlockExpired(transferState: string, now: number): boolean {
  const { expiry } = hashlock.decodeState(transferState);
  return expiry !== 0n && expiry <= BigInt(now);
}
