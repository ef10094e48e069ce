import { ProtocolError } from "../../errors";
import { payeeRoutingSchema, readMeta } from "../../messaging";
import type { ClientBehaviour, ClientReaction } from "../plugin";
import { hashlockRouting } from "./routing";
import { hashlock } from "./rules";

/**
 * The client's side of hashlock payments: a mirror from the node must be routed and claimable
 * on-chain before it expires; one that arrives is checked against its payer's terms (the
 * client's `receivePayment`), and its resolve settles the payment either way.
 */
export const hashlockClient: ClientBehaviour = {
  checkNodeCreate(update) {
    if (!readMeta(update.details.meta, "routing", payeeRoutingSchema)) {
      throw new ProtocolError("TRANSFER_REJECTED", "a payment without meta.routing");
    }
    const { expiry } = hashlock.decodeState(update.details.transferInitialState);
    return [{ kind: "claimablePayment", expiry }];
  },

  react({ event, transfer, ours }): ClientReaction[] {
    if (event === "created") return ours ? [] : [{ kind: "receivePayment", transfer }];
    if (event !== "resolved" || transfer.transferResolver === undefined) return [];
    const cancelled = hashlockRouting.isCancel(transfer.transferResolver);
    return [{ kind: "paymentResolved", cancelled, transfer }];
  },

  waiting(transfer, now): ClientReaction[] {
    const { expiry } = hashlock.decodeState(transfer.transferState);
    const expired = expiry !== 0n && expiry <= BigInt(now);
    return [{ kind: expired ? "cancelUnlessRevealed" : "claimReceived", transfer }];
  },
};
