import type { PaymentRouting } from "../plugin";
import { thread } from "./rules";

/**
 * A thread's route: both transfers lock on the thread id, the node's (the mirror) expires
 * earlier and keeps the payer's parties and amount, and the payee's voucher resolves the
 * payer's transfer too. An empty signature cancels.
 */
export const threadRouting: PaymentRouting = {
  terms(encodedState) {
    const { threadId, expiry } = thread.decodeState(encodedState);
    return { lockHash: threadId, expiry };
  },
  mirrorState: (payerState, expiry) =>
    thread.encodeState({ ...thread.decodeState(payerState), expiry }),
  isCancel: (encodedResolver) => thread.decodeResolver(encodedResolver).signature === "0x",
  payerResolver: (mirrorResolver) => thread.encodeResolver(thread.decodeResolver(mirrorResolver)),
  routeMismatch(encodedState, route) {
    const { payer, payee, threadId } = thread.decodeState(encodedState);
    if (payer.toLowerCase() !== route.payer.toLowerCase()) {
      return `the thread names ${payer} as its payer, not its proposer ${route.payer}`;
    }
    if (payee.toLowerCase() !== route.recipient.toLowerCase()) {
      return `the thread names ${payee} as its payee, meta.routing ${route.recipient}`;
    }
    if (threadId.toLowerCase() !== route.paymentId.toLowerCase()) {
      return `the thread id ${threadId} is not the payment id ${route.paymentId}`;
    }
    return undefined;
  },
};
