import {
  type ChannelUpdate,
  type ChannelView,
  hashlock,
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
}

/**
 * The client's own checks on the node's proposals, beyond the protocol's: the node only ever
 * offers us routed payments and withdrawals of its own collateral whose commitment matches
 * the amount it locks.
 */
export function nodeProposalCheck(options: ProposalCheckOptions) {
  return (_view: ChannelView, update: ChannelUpdate): void => {
    if (update.type === "setup") {
      throw new ProtocolError("WRONG_PARTICIPANTS", "the user proposes the setup, not the node");
    }
    if (update.type !== "create") return;
    const details = (update as ChannelUpdate<"create">).details;
    const definition = details.transferDefinition.toLowerCase();
    if (definition === options.hashlockAddress.toLowerCase()) {
      const routing = readMeta(details.meta, "routing", payeeRoutingSchema);
      if (!routing) throw new ProtocolError("TRANSFER_REJECTED", "a payment without meta.routing");
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

/** Whether a hashlock transfer's expiry has passed (0: none). */
export function hashlockExpired(transferState: string, now: number): boolean {
  const { expiry } = hashlock.decodeState(transferState);
  return expiry !== 0n && expiry <= BigInt(now);
}
