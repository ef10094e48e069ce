/** The client's own on-chain actions. Browser-safe (ethers only). */
export { type DepositAsBobParameters, type DepositAsBobReturnType, depositAsBob } from "./deposit";
export {
  CLIENT_CHAIN_ERROR_CODES,
  ClientChainError,
  type ClientChainErrorCode,
  isClientChainError,
} from "./errors";
