import {
  type ChannelUpdate,
  type ChannelView,
  claimableOnchain,
  DEFAULT_MAX_PAYMENT_EXPIRY_SECONDS,
  minimumHashlockTransferTimeout,
  ProtocolError,
  type UpdateType,
  withdraw,
} from "../protocol";
import {
  type ClientCheck,
  type DefinitionPlugins,
  definitionPlugins,
  pluginOf,
} from "../protocol/definitions";
import { payeeRoutingSchema, readMeta } from "../protocol/messaging";
import { withdrawalMismatch } from "../protocol/withdrawals";

export interface ProposalCheckOptions {
  me: string;
  node: string;
  chainId: number;
  hashlockAddress: string;
  withdrawAddress: string;
  /** The definitions we carry; default: the built-in ones at the two addresses. */
  definitions?: DefinitionPlugins;
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
 * offers us transfers we carry a plug-in for, each checked as its plug-in says (routed
 * payments we can claim on-chain in time, withdrawals of its own collateral whose commitment
 * matches the amount it locks).
 */
export function nodeProposalCheck(options: ProposalCheckOptions) {
  const plugins =
    options.definitions ??
    definitionPlugins({
      hashlockTransfer: options.hashlockAddress,
      withdraw: options.withdrawAddress,
    });
  const checksOf: Partial<Record<UpdateType, (update: ChannelUpdate) => readonly ClientCheck[]>> = {
    setup: () => {
      throw new ProtocolError("WRONG_PARTICIPANTS", "the user proposes the setup, not the node");
    },
    create: (update) => {
      const create = update as ChannelUpdate<"create">;
      const client = pluginOf(plugins, create.details.transferDefinition)?.client;
      if (!client) {
        throw new ProtocolError(
          "UNKNOWN_DEFINITION",
          `unexpected transfer ${create.details.transferDefinition}`,
        );
      }
      return client.checkNodeCreate(create);
    },
  };
  return (view: ChannelView, update: ChannelUpdate): void => {
    const create = update as ChannelUpdate<"create">;
    const run: {
      [Kind in ClientCheck["kind"]]: (check: Extract<ClientCheck, { kind: Kind }>) => void;
    } = {
      routed: () => {
        if (!readMeta(create.details.meta, "routing", payeeRoutingSchema)) {
          throw new ProtocolError("TRANSFER_REJECTED", "a payment without meta.routing");
        }
      },
      claimablePayment: ({ expiry }) => requireClaimable(options, view, create, expiry),
      nodeWithdrawal: () => requireOwnWithdrawal(options, create),
    };
    for (const check of checksOf[update.type]?.(update) ?? []) {
      (run[check.kind] as (check: ClientCheck) => void)(check);
    }
  };
}

/** The node's withdrawal of its collateral pays out exactly what it locks, to be signed by us. */
function requireOwnWithdrawal(options: ProposalCheckOptions, update: ChannelUpdate<"create">) {
  const { responder } = withdraw.decodeState(update.details.transferInitialState);
  if (
    withdrawalMismatch(update, options.chainId) !== undefined ||
    responder.toLowerCase() !== options.me.toLowerCase()
  ) {
    throw new ProtocolError(
      "TRANSFER_REJECTED",
      "the node's withdrawal commitment does not match the transfer",
    );
  }
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
  expiry: bigint,
): void {
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
