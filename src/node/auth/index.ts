export { checksumAddress } from "./address";
export {
  type AuthOptions,
  type AuthService,
  createAuth,
  type Issued,
  type SignedNonce,
} from "./auth";
export {
  type BrokerAuthenticatorOptions,
  brokerAuthenticator,
  nodePermissions,
  userPermissions,
} from "./brokerPermissions";
export { AUTH_ERROR_CODES, AuthError, type AuthErrorCode, isAuthError } from "./errors";
export { authSecretFromPrivateKey } from "./mac";
