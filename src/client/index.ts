/**
 * The client library (issue 5 §6): `import { ConnextClient } from "connext"`.
 */

export { MAX_APP_META_BYTES } from "./appMeta";
export {
  type ConnectOptions,
  ConnextClient,
  type DisputeInfo,
  type DisputeStarted,
  type PaymentStatus,
  type ResolveParams,
} from "./client";
export type { AcceptConditional, ConditionalPayment } from "./conditionalPolicy";
export { lockHashOf, randomPreImage } from "./crypto/preImage";
export { CLIENT_ERROR_CODES, ClientError, type ClientErrorCode, isClientError } from "./errors";
export type { ClientEventMap } from "./events";
export type { ConditionalParams, PaymentResult, TransferParams } from "./payer";
export { BrowserStore, MemoryStore } from "./store";
export type { ClientStore } from "./store/types";
export type { WithdrawalTerms } from "./withdrawals/terms";
