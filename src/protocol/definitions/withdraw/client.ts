import type { ClientBehaviour } from "../plugin";

/**
 * The client's side of withdrawals it did not start: the node's withdrawal of its collateral,
 * checked against the transfer and countersigned (when it arrives, or when we come back).
 * The client's own withdrawals are carried by `src/client/withdrawals`.
 */
export const withdrawClient: ClientBehaviour = {
  checkNodeCreate: () => [{ kind: "nodeWithdrawal" }],
  react: ({ event, transfer, ours }) =>
    event === "created" && !ours ? [{ kind: "countersignWithdrawal", transfer }] : [],
  waiting: (transfer) => [{ kind: "countersignWithdrawal", transfer }],
};
