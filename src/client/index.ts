/**
 * The client library (issue 5 §6): `import { ConnextClient } from "connext"`.
 */

export { type Clock, ManualClock, systemClock, type Timer } from "../clock";
export { MAX_APP_META_BYTES } from "./appMeta";
export {
  CLIENT_CHAIN_ERROR_CODES,
  ClientChainError,
  type ClientChainErrorCode,
  isClientChainError,
} from "./chain/errors";
export {
  type ConnectOptions,
  ConnextClient,
  type DisputeInfo,
  type DisputeStarted,
  type PaymentStatus,
  type ResolveParams,
} from "./client";
export type { AcceptConditional, ConditionalPayment } from "./conditionalPolicy";
export {
  CRYPTO_ERROR_CODES,
  CryptoError,
  type CryptoErrorCode,
  isCryptoError,
} from "./crypto/errors";
export { lockHashOf, randomPreImage } from "./crypto/preImage";
export {
  CLIENT_ERROR_CODES,
  ClientError,
  type ClientErrorCode,
  type ClientErrorOptions,
  isClientError,
  isClientErrorCode,
  NODE_REFUSAL_CODES,
} from "./errors";
export type { ClientEventMap } from "./events";
export type { ConditionalParams, PaymentResult, TransferParams } from "./payer";
export { BrowserStore, MemoryStore } from "./store";
export {
  CLIENT_STORE_ERROR_CODES,
  ClientStoreError,
  type ClientStoreErrorCode,
  isClientStoreError,
} from "./store/errors";
export type { ClientStore } from "./store/types";
export type { WithdrawalTerms } from "./withdrawals/terms";
