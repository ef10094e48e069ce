/**
 * Off-chain mirrors of the transfer definition contracts (DESIGN §4.5): their encodings and
 * their create/resolve rules, and the registry the update logic looks them up in.
 */
export { defineTransfer } from "./define";
export {
  type HashlockResolver,
  type HashlockState,
  hashlock,
  hashlockLockHash,
} from "./hashlock/rules";
export {
  assertRegistrationMatches,
  type DefinitionEntry,
  type DefinitionRegistry,
  definitionRegistry,
  lookupDefinition,
  type RegisteredTransfer,
} from "./registry";
export type {
  EncodedTransferDefinition,
  TransferDefinitionRules,
  TransferDefinitionSpec,
} from "./types";
export { type WithdrawResolver, type WithdrawState, withdraw } from "./withdraw/rules";
