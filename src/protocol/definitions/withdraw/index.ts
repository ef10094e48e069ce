import type { TransferPlugin } from "../plugin";
import { withdrawClient } from "./client";
import { withdrawNode } from "./node";
import { withdraw } from "./rules";

export { withdrawClient } from "./client";
export { countersigned, withdrawNode } from "./node";
export { type WithdrawResolver, type WithdrawState, withdraw } from "./rules";

/** Withdraw: a balance leaves the channel through a doubly-signed commitment (DESIGN §4.5). */
export const withdrawPlugin: TransferPlugin = {
  rules: withdraw,
  node: withdrawNode,
  client: withdrawClient,
};
