import type { PaymentRouting } from "../plugin";
import { isZeroHex } from "../validate";
import { hashlock } from "./rules";

/**
 * A hashlock payment's route: both transfers lock on the same hash, the mirror expires
 * earlier, and the payee's pre-image resolves the payer's transfer.
 */
export const hashlockRouting: PaymentRouting = {
  terms: (encodedState) => hashlock.decodeState(encodedState),
  mirrorState: (payerState, expiry) =>
    hashlock.encodeState({ lockHash: hashlock.decodeState(payerState).lockHash, expiry }),
  isCancel: (encodedResolver) => isZeroHex(hashlock.decodeResolver(encodedResolver).preImage),
  payerResolver: (mirrorResolver) =>
    hashlock.encodeResolver({ preImage: hashlock.decodeResolver(mirrorResolver).preImage }),
};
