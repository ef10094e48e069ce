import type { FullTransferState } from "../../types";
import type { NodeBehaviour } from "../plugin";
import { withdraw } from "./rules";

/** Resolved with the responder's signature (an empty one cancels). */
export function countersigned(transfer: FullTransferState): boolean {
  if (transfer.transferResolver === undefined) return false;
  return withdraw.decodeResolver(transfer.transferResolver).responderSignature !== "0x";
}

/**
 * The node's side of withdrawals: a user's is checked (commitment, fee, minimum, rate) and
 * countersigned; a commitment it holds both signatures of is kept pending, in the resolve's
 * own transaction, and sent until executed (SECURITY rule 14).
 */
export const withdrawNode: NodeBehaviour = {
  // A withdrawal stays open for whatever the channel holds, even an asset no longer carried.
  checkCreate: () => [{ kind: "userWithdrawal" }],
  checkResolve: () => [],
  record: ({ event, transfer }) =>
    event === "resolved" && countersigned(transfer) ? [{ kind: "holdWithdrawal", transfer }] : [],
  react({ event, transfer, initiator }) {
    if (event === "created") return initiator ? [] : [{ kind: "countersignWithdrawal", transfer }];
    if (event === "resolved" && countersigned(transfer)) {
      return [{ kind: "submitWithdrawal", transfer }];
    }
    return [];
  },
};
