import {
  type ChannelUpdate,
  type ChannelView,
  minimumHashlockTransferTimeout,
  minimumPayerExpiry,
  ProtocolError,
  type UpdateType,
  withdraw,
} from "../../protocol";
import {
  type DefinitionPlugins,
  definitionPlugins,
  type NodeCheck,
  type PaymentRouting,
  pluginOf,
} from "../../protocol/definitions";
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
  /** The definitions the node carries; default: the built-in ones at the two addresses. */
  definitions?: DefinitionPlugins;
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

/** A check the node runs; `uncarried` refuses a definition it has no plug-in for. */
type PolicyCheck = NodeCheck | { readonly kind: "uncarried" };

/**
 * What the node requires of a user's proposal beyond the protocol's rules, checked before it
 * countersigns anything: only the transfers it knows how to carry (those it has a plug-in
 * for), routed payments whose expiries leave it room to claim on-chain, and withdrawals whose
 * commitment is exactly what the transfer says and that pay for the node's gas (minimum, fee,
 * rate). Each definition's plug-in names its checks; the map below runs them.
 */
export function proposalPolicy(options: ProposalPolicyOptions) {
  const plugins =
    options.definitions ??
    definitionPlugins({
      hashlockTransfer: options.hashlockAddress,
      withdraw: options.withdrawAddress,
    });
  const checksOf: Record<
    UpdateType,
    (view: ChannelView, update: ChannelUpdate) => readonly PolicyCheck[]
  > = {
    setup: () => [],
    resume: () => [],
    deposit: () => [{ kind: "supportedAsset" }],
    create: (_view, update) => {
      const { details } = update as ChannelUpdate<"create">;
      const node = pluginOf(plugins, details.transferDefinition)?.node;
      if (!node) return [{ kind: "supportedAsset" }, { kind: "uncarried" }];
      return node.checkCreate(update as ChannelUpdate<"create">);
    },
    resolve: (view, update) => {
      const { details } = update as ChannelUpdate<"resolve">;
      const transfer = view.transfers.get(details.transferId);
      if (!transfer) return []; // the protocol refuses it
      const node = pluginOf(plugins, transfer.transferDefinition)?.node;
      return node?.checkResolve(transfer, details.transferResolver, options.node) ?? [];
    },
  };
  return async (view: ChannelView, update: ChannelUpdate): Promise<void> => {
    const run: {
      [Kind in PolicyCheck["kind"]]: (check: Extract<PolicyCheck, { kind: Kind }>) => unknown;
    } = {
      supportedAsset: () => {
        if (!options.supportedAssets.has(update.assetId.toLowerCase())) {
          throw new NodeError("UNSUPPORTED_ASSET", `the node does not carry ${update.assetId}`);
        }
      },
      uncarried: () => {
        const { transferDefinition } = (update as ChannelUpdate<"create">).details;
        throw new NodeError(
          "UNSUPPORTED_TRANSFER",
          `the node does not carry transfers of ${transferDefinition}`,
        );
      },
      routedPayment: () => {
        const create = update as ChannelUpdate<"create">;
        const routing = pluginOf(plugins, create.details.transferDefinition)?.routing;
        if (!routing)
          throw new NodeError("UNSUPPORTED_TRANSFER", "a payment the node cannot route");
        return checkRoutedPayment(options, routing, view, create);
      },
      userWithdrawal: () => checkWithdrawal(options, update as ChannelUpdate<"create">),
      claimInTime: ({ expiry }) => checkClaim(options, expiry),
    };
    for (const check of checksOf[update.type](view, update)) {
      await (run[check.kind] as (check: PolicyCheck) => unknown)(check);
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
function checkClaim(options: ProposalPolicyOptions, expiry: bigint): void {
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
  codec: PaymentRouting,
  view: ChannelView,
  update: ChannelUpdate<"create">,
): Promise<void> {
  const routing = readMeta(update.details.meta, "routing", payerRoutingSchema);
  if (!routing) {
    throw new NodeError("UNSUPPORTED_TRANSFER", "a payment to the node needs meta.routing");
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
  const mismatch = codec.routeMismatch?.(update.details.transferInitialState, {
    payer: update.fromIdentifier,
    recipient: routing.recipient,
    paymentId: routing.paymentId,
  });
  if (mismatch) throw new ProtocolError("TRANSFER_REJECTED", mismatch);
  if (await options.paymentExists(routing.paymentId)) {
    throw new NodeError("PAYMENT_EXISTS", `payment ${routing.paymentId} exists already`);
  }
  checkExpiries(options, codec, view, update, payeeTimeout);
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
  routing: PaymentRouting,
  view: ChannelView,
  update: ChannelUpdate<"create">,
  payeeTimeout: number,
): void {
  const { claimBufferSeconds, maxExpirySeconds } = options.rules;
  const state = routing.terms(update.details.transferInitialState);
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
