/**
 * The transfer definitions as plug-ins (DESIGN §4.5): each folder holds one definition's
 * off-chain mirror of its contract (encodings, create/resolve rules) and what the node and
 * the client do when one is created or resolved in their channel; `plugins.ts` is the one map
 * of them.
 */
export { defineTransfer } from "./define";
export {
  type HashlockResolver,
  type HashlockState,
  hashlock,
  hashlockLockHash,
} from "./hashlock";
export { transferMoments } from "./moments";
export type {
  ClientBehaviour,
  ClientCheck,
  ClientReaction,
  NodeBehaviour,
  NodeCheck,
  NodeReaction,
  NodeRecord,
  PaymentRouting,
  TransferMoment,
  TransferPlugin,
} from "./plugin";
export {
  BUILT_IN_PLUGINS,
  type BuiltInAddresses,
  type DefinitionPlugins,
  definitionPlugins,
  type PluginEntry,
  pluginOf,
  rulesOf,
} from "./plugins";
export {
  assertRegistrationMatches,
  type DefinitionEntry,
  type DefinitionRegistry,
  definitionRegistry,
  lookupDefinition,
  type RegisteredTransfer,
} from "./registry";
export { routedPaymentNode } from "./routedPayment";
export {
  assertVoucherSigner,
  recoverVoucherSigner,
  type SignedThreadVoucher,
  signThreadVoucher,
  THREAD_DOMAIN_NAME,
  THREAD_DOMAIN_VERSION,
  THREAD_VOUCHER_TYPE,
  type ThreadResolver,
  type ThreadState,
  type ThreadVoucher,
  thread,
  threadClient,
  threadPlugin,
  threadRouting,
  threadVoucherDigest,
} from "./thread";
export type {
  DefinitionDeployment,
  EncodedTransferDefinition,
  TransferDefinitionRules,
  TransferDefinitionSpec,
} from "./types";
export { type WithdrawResolver, type WithdrawState, withdraw } from "./withdraw";
