/** The node's chain service: transactions, channel deployment, deposits, withdrawals. */
export { type Anvil, AnvilError, findAnvil, type StartAnvilOptions, startAnvil } from "./anvil";
export {
  ChainService,
  type ChainServiceOptions,
  type DeployResult,
  type DepositAliceParams,
  type DepositResult,
  NATIVE_ASSET,
  type WithdrawParams,
  type WithdrawResult,
} from "./chainService";
export { type DepositEvent, DepositWatcher, type DepositWatcherOptions } from "./depositWatcher";
export { type MintDevTokensParams, mintDevTokens } from "./devFunding";
export {
  CHAIN_ERROR_CODES,
  ChainError,
  type ChainErrorCode,
  type ChainErrorContext,
  isChainError,
} from "./errors";
export {
  type RetryPolicy,
  type SentTransaction,
  type TransactionCall,
  type TransactionMeta,
  TransactionSender,
  type TransactionSenderOptions,
} from "./transactionSender";
