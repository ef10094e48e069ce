export { checksumAddress } from "./address";
export { type AuthOptions, type AuthService, createAuth, type Issued } from "./auth";
export {
  type BrokerAuthenticatorOptions,
  brokerAuthenticator,
  nodePermissions,
  userPermissions,
} from "./brokerPermissions";
export { AUTH_ERROR_CODES, AuthError, type AuthErrorCode, isAuthError } from "./errors";
export { authSecretFromPrivateKey } from "./mac";
export { type SignInOrigin, signInOrigin } from "./publicUrl";
export {
  createSignIn,
  type SignedMessage,
  type SignInOptions,
  type SignInService,
  type SignInSite,
  signInStatement,
} from "./signIn";
