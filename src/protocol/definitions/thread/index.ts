import type { TransferPlugin } from "../plugin";
import { routedPaymentNode } from "../routedPayment";
import { threadClient } from "./client";
import { threadRouting } from "./routing";
import { thread } from "./rules";

export { threadClient } from "./client";
export { threadRouting } from "./routing";
export { type ThreadResolver, type ThreadState, thread } from "./rules";
export {
  assertVoucherSigner,
  recoverVoucherSigner,
  type SignedThreadVoucher,
  signThreadVoucher,
  THREAD_DOMAIN_NAME,
  THREAD_DOMAIN_VERSION,
  THREAD_VOUCHER_TYPE,
  type ThreadVoucher,
  threadVoucherDigest,
} from "./voucher";

/**
 * ThreadTransfer: a payment thread routed through the node like a hashlock payment, locked on
 * the thread id and resolved with the payer's latest voucher (DESIGN §4.5-4.6). Not a built-in
 * yet: a party carries it as an extra `PluginEntry`.
 */
export const threadPlugin: TransferPlugin = {
  rules: thread,
  routing: threadRouting,
  node: routedPaymentNode(threadRouting),
  client: threadClient,
};
