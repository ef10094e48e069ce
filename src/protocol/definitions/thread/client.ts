import { ProtocolError } from "../../errors";
import { payeeRoutingSchema, readMeta } from "../../messaging";
import type { ClientBehaviour, ClientReaction } from "../plugin";
import { threadRouting } from "./routing";
import { thread } from "./rules";

/**
 * The client's side of threads, for now: the node's side of a thread to us must be routed and
 * claimable on-chain before it expires, and is announced to the application; a resolve
 * settles the thread either way. Nothing is claimed on its own yet.
 */
export const threadClient: ClientBehaviour = {
  checkNodeCreate(update) {
    if (!readMeta(update.details.meta, "routing", payeeRoutingSchema)) {
      throw new ProtocolError("TRANSFER_REJECTED", "a thread without meta.routing");
    }
    const { expiry } = thread.decodeState(update.details.transferInitialState);
    return [{ kind: "claimablePayment", expiry }];
  },

  react({ event, transfer, ours }): ClientReaction[] {
    if (event === "created") return ours ? [] : [{ kind: "announce", transfer }];
    if (event !== "resolved" || transfer.transferResolver === undefined) return [];
    const cancelled = threadRouting.isCancel(transfer.transferResolver);
    return [{ kind: "paymentResolved", cancelled, transfer }];
  },

  waiting: () => [],
};
