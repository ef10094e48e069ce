import type { TransferPlugin } from "../plugin";
import { routedPaymentNode } from "../routedPayment";
import { hashlockClient } from "./client";
import { hashlockRouting } from "./routing";
import { hashlock } from "./rules";

export { hashlockClient } from "./client";
export { hashlockRouting } from "./routing";
export { type HashlockResolver, type HashlockState, hashlock, hashlockLockHash } from "./rules";

/** HashlockTransfer: the payments the node routes (DESIGN §4.5-4.6). */
export const hashlockPlugin: TransferPlugin = {
  rules: hashlock,
  routing: hashlockRouting,
  node: routedPaymentNode(hashlockRouting),
  client: hashlockClient,
};
