import {
  type ChannelUpdate,
  type ChannelView,
  hashlock,
  minimumHashlockTransferTimeout,
  minimumPayerExpiry,
  ProtocolError,
  withdraw,
} from "../../protocol";
import { payerRoutingSchema, readMeta } from "../../protocol/messaging";
import type { NetworkContext } from "../../protocol/types";
import { withdrawalMismatch } from "../../protocol/withdrawals";
import { NodeError } from "./errors";
import type { RoutingRules } from "./routingRules";
import type { WithdrawalLimits } from "./withdrawalLimits";

export interface ProposalPolicyOptions {
  node: string;
  network: NetworkContext;
  hashlockAddress: string;
  withdrawAddress: string;
  /** Assets the node routes and collateralises (lowercase). */
  supportedAssets: Pick<ReadonlySet<string>, "has">;
  rules: RoutingRules;
  now(): number;
  /** The dispute timeout of `user`'s channel with the node; undefined when it has none. */
  channelTimeout(user: string): Promise<number | undefined>;
  /** Whether a dispute is on record for `user`'s channel. */
  inDispute(user: string): boolean;
  paymentExists(paymentId: string): Promise<boolean>;
  /** Minimums, fees and the per-user rate of withdrawals; none if absent. */
  withdrawals?: Pick<WithdrawalLimits, "check">;
}

/**
 * What the node requires of a user's proposal beyond the protocol's rules, checked before it
 * countersigns anything: only the transfers it knows how to carry, routed payments whose
 * expiries leave it room to claim on-chain, and withdrawals whose commitment is exactly what
 * the transfer says and that pay for the node's gas (minimum, fee, rate).
 */
export function proposalPolicy(options: ProposalPolicyOptions) {
  return async (view: ChannelView, update: ChannelUpdate): Promise<void> => {
    if (update.type === "resolve") {
      checkClaim(options, view, update as ChannelUpdate<"resolve">);
      return;
    }
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
      await checkRoutedPayment(options, view, update as ChannelUpdate<"create">);
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

/**
 * A payee claims a mirror the node forwarded no later than `expiryGraceSeconds` before its
 * expiry (issue 11, item 7). The refund sweep counts a mirror dead only `expiryGraceSeconds`
 * after it, and decides under the payee's channel lock: between the two lies twice the grace,
 * so a claim that is slow to be stored (a long database transaction, another node process with
 * a skewed clock) can never meet a refund of the same payment. An honest payee's client claims
 * far earlier: it reveals a pre-image only while a full dispute still fits before the expiry.
 */
function checkClaim(
  options: ProposalPolicyOptions,
  view: ChannelView,
  update: ChannelUpdate<"resolve">,
): void {
  const transfer = view.transfers.get(update.details.transferId);
  if (!transfer) return; // the protocol refuses it
  if (transfer.transferDefinition.toLowerCase() !== options.hashlockAddress.toLowerCase()) return;
  if (transfer.initiator.toLowerCase() !== options.node.toLowerCase()) return;
  const { preImage } = hashlock.decodeResolver(update.details.transferResolver);
  if (/^0x0+$/.test(preImage)) return; // a cancel is welcome at any time
  const { expiry } = hashlock.decodeState(transfer.transferState);
  if (expiry === 0n) return;
  const latest = expiry - BigInt(options.rules.expiryGraceSeconds);
  if (BigInt(options.now()) >= latest) {
    throw new NodeError(
      "CLAIM_TOO_LATE",
      `the payment expires at ${expiry}: claims are taken until ${latest} (${options.rules.expiryGraceSeconds} s before), now is ${options.now()}`,
      { expiry: Number(expiry), latest: Number(latest) },
    );
  }
}

async function checkRoutedPayment(
  options: ProposalPolicyOptions,
  view: ChannelView,
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
  const payeeTimeout = await options.channelTimeout(routing.recipient);
  if (payeeTimeout === undefined) {
    throw new NodeError("UNKNOWN_RECIPIENT", `${routing.recipient} has no channel with this node`);
  }
  if (options.inDispute(routing.recipient)) {
    throw new ProtocolError(
      "CHANNEL_IN_DISPUTE",
      `${routing.recipient}'s channel is in dispute: the node routes nothing into it`,
    );
  }
  if (await options.paymentExists(routing.paymentId)) {
    throw new NodeError("PAYMENT_EXISTS", `payment ${routing.paymentId} exists already`);
  }
  checkExpiries(options, view, update, payeeTimeout);
  if (update.details.transferBalance.amount[0] === 0n) {
    throw new ProtocolError("TRANSFER_REJECTED", "a payment of 0");
  }
}

/**
 * DESIGN §4.6: the payer's expiry must leave room for the mirror plus the node's own on-chain
 * claim of the payer's transfer, yet lock nothing for longer than the node allows; the transfer
 * timeout must outlast the expiry, so a transfer disputed at once stays claimable with the
 * pre-image until then.
 */
function checkExpiries(
  options: ProposalPolicyOptions,
  view: ChannelView,
  update: ChannelUpdate<"create">,
  payeeTimeout: number,
): void {
  const { claimBufferSeconds, maxExpirySeconds } = options.rules;
  const state = hashlock.decodeState(update.details.transferInitialState);
  const now = options.now();
  const payerTimeout = view.state?.timeout ?? 0;
  const earliest = minimumPayerExpiry(now, payerTimeout, payeeTimeout, claimBufferSeconds);
  if (state.expiry === 0n || state.expiry < earliest) {
    throw new NodeError(
      "EXPIRY_TOO_SOON",
      `a payment through this node needs an expiry of at least ${earliest} (both channels' dispute windows plus ${claimBufferSeconds} s each), got ${state.expiry}`,
      { earliest: String(earliest) },
    );
  }
  const latest = BigInt(now + maxExpirySeconds);
  if (state.expiry > latest) {
    throw new NodeError(
      "EXPIRY_TOO_LATE",
      `a payment through this node expires by ${latest} at the latest, got ${state.expiry}`,
      { latest: String(latest) },
    );
  }
  const timeout = update.details.transferTimeout;
  const shortest = minimumHashlockTransferTimeout(state.expiry, now);
  if (timeout < shortest || timeout > maxExpirySeconds + claimBufferSeconds) {
    throw new ProtocolError(
      "EXPIRY_UNSAFE",
      `the transfer timeout must cover the expiry: from ${shortest} to ${maxExpirySeconds + claimBufferSeconds} s, got ${timeout}`,
    );
  }
}

function checkWithdrawal(options: ProposalPolicyOptions, update: ChannelUpdate<"create">): void {
  const mismatch = withdrawalMismatch(update, options.network.chainId);
  if (mismatch) throw new NodeError("WITHDRAW_MISMATCH", mismatch);
  const { responder } = withdraw.decodeState(update.details.transferInitialState);
  if (responder.toLowerCase() !== options.node.toLowerCase()) {
    throw new NodeError("WITHDRAW_MISMATCH", "the node must be the withdrawal's responder");
  }
  options.withdrawals?.check(update.fromIdentifier, update);
}
