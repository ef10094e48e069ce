/**
 * The channel protocol core (DESIGN §4): pure functions shared by node and client. No I/O:
 * callers pass in the chain's deposit totals, the time and the registered definitions, and
 * persist what comes back before acting on it.
 */

export { channelAddressFor } from "./channelAddress";
export {
  assertVoucherSigner,
  type DefinitionDeployment,
  type DefinitionRegistry,
  definitionRegistry,
  type EncodedTransferDefinition,
  type HashlockResolver,
  type HashlockState,
  hashlock,
  hashlockLockHash,
  lookupDefinition,
  recoverVoucherSigner,
  type SignedThreadVoucher,
  signThreadVoucher,
  type ThreadResolver,
  type ThreadState,
  type ThreadVoucher,
  type TransferDefinitionRules,
  thread,
  threadVoucherDigest,
  type WithdrawResolver,
  type WithdrawState,
  withdraw,
} from "./definitions";
export {
  isProtocolError,
  PROTOCOL_ERROR_CODES,
  ProtocolError,
  type ProtocolErrorCode,
} from "./errors";
export {
  claimableOnchain,
  DEFAULT_CLAIM_BUFFER_SECONDS,
  DEFAULT_MAX_PAYMENT_EXPIRY_SECONDS,
  expiryNumber,
  latestOnchainClaimStart,
  minimumHashlockTransferTimeout,
  minimumPayerExpiry,
  mirrorExpiryFor,
  onchainClaimSeconds,
} from "./expiries";
export {
  channelStateDigest,
  channelStateHash,
  DOMAIN_NAME,
  DOMAIN_VERSION,
  TYPE_STRINGS,
  transferResolutionDigest,
  transferStateHash,
  withdrawDigest,
} from "./hashing";
export { EMPTY_ROOT, MerkleTree, verifyProof } from "./merkle";
export {
  decodeRestoreMessage,
  decodeUpdateMessage,
  encodeMessage,
  MAX_MESSAGE_BYTES,
  PROTOCOL_VERSION,
  RESTORE_PAGE_TRANSFERS,
  type RestoreMessage,
  type RestorePage,
  restorePageSchema,
  type UpdateMessage,
} from "./schemas";
export {
  assertSigner,
  type ChannelSigner,
  privateKeySigner,
  recoverSigner,
  toChecksumAddress,
} from "./signatures";
export { applyDoublySigned, validateRestore } from "./sync";
export type * from "./types";
export { UPDATE_TYPES } from "./types";
export {
  type AppliedUpdate,
  type ChainDisputeOutcome,
  type ChannelView,
  DEFAULT_POLICY,
  type ProtocolPolicy,
  type UpdateContext,
} from "./updates/context";
export {
  acceptCountersigned,
  adoptApplied,
  deriveTransition,
  respondToUpdate,
} from "./updates/pipeline";
export { proposeUpdate, type UpdateDraft } from "./updates/propose";
export { transferIdFor } from "./updates/state";
export { restoreMessageOf, restorePageOf, transfersInTreeOrder } from "./view";
