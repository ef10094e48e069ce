import type { ClientBehaviour } from "../plugin";

/**
 * The client's side of withdrawals: the node's withdrawal of its collateral, checked against
 * the transfer and countersigned (when it arrives, or when we come back); and our own, once
 * the node resolved it (its commitment kept and sent, or the call failed on a cancel; carried
 * by `src/client/withdrawals`).
 */
export const withdrawClient: ClientBehaviour = {
  checkNodeCreate: () => [{ kind: "nodeWithdrawal" }],
  react: ({ event, transfer, ours, initiator }) => {
    if (event === "created" && !ours) return [{ kind: "countersignWithdrawal", transfer }];
    if (event === "resolved" && initiator) return [{ kind: "withdrawalResolved", transfer }];
    return [];
  },
  waiting: (transfer) => [{ kind: "countersignWithdrawal", transfer }],
};
