import { ProtocolError } from "../../errors";
import { payeeRoutingSchema, readMeta } from "../../messaging";
import type { ClientBehaviour, ClientReaction } from "../plugin";
import { thread } from "./rules";

/**
 * The client's side of threads (DESIGN §4.8): the node's lock to us must be routed, name us
 * as payee and be claimable on-chain before it expires; once stored it is checked against its
 * payer's terms and takes vouchers. A resolve ends the thread on our side, whoever proposed it;
 * a lock of ours found when we look again is closed once its expiry comes near.
 */
export const threadClient: ClientBehaviour = {
  checkNodeCreate(update) {
    if (!readMeta(update.details.meta, "routing", payeeRoutingSchema)) {
      throw new ProtocolError("TRANSFER_REJECTED", "a thread without meta.routing");
    }
    const { expiry, payee } = thread.decodeState(update.details.transferInitialState);
    if (payee.toLowerCase() !== update.toIdentifier.toLowerCase()) {
      throw new ProtocolError("TRANSFER_REJECTED", `the thread names ${payee} as its payee`);
    }
    return [{ kind: "claimablePayment", expiry }];
  },

  react({ event, transfer, ours }): ClientReaction[] {
    if (event === "created") return ours ? [] : [{ kind: "threadOpened", transfer }];
    return [{ kind: "threadResolved", transfer }];
  },

  waiting: (transfer) => [{ kind: "threadWaiting", transfer }],
};
