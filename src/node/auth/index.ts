export { checksumAddress } from "./address";
export { type AuthOptions, type AuthService, createAuth, type Issued } from "./auth";
export {
  authResultFromClaims,
  type BrokerAuthenticatorOptions,
  brokerAuthenticator,
  nodePermissions,
  userPermissions,
} from "./brokerPermissions";
export { AUTH_ERROR_CODES, AuthError, type AuthErrorCode, isAuthError } from "./errors";
export { authSecretFromPrivateKey } from "./mac";
export {
  issueUserMessagingJwt,
  type NodeMessagingCredentials,
  natsIssuers,
  nodeMessagingCredentials,
} from "./natsAuth";
export { assertUserNkey, issueUserJwt, userJwtClaims } from "./natsJwt";
export { type NatsKeys, natsKeysFromPrivateKey } from "./natsKeys";
export { type JwtIssuers, verifyUserJwt } from "./natsVerify";
export { type SignInOrigin, signInOrigin } from "./publicUrl";
export {
  createSignIn,
  type SignedMessage,
  type SignInOptions,
  type SignInService,
  type SignInSite,
  signInStatement,
} from "./signIn";
