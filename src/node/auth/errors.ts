/** Every reason authentication refuses, as stable codes (the HTTP API sends them as is). */
export const AUTH_ERROR_CODES = [
  /** A private key or secret that cannot key the MACs (configuration, not a client's fault). */
  "INVALID_SECRET",
  /** Not a 0x-prefixed 20-byte hex address (or a mixed-case one with a bad checksum). */
  "INVALID_ADDRESS",
  /** Not a sign-in message (EIP-4361) in the form this node issues, or not the address's. */
  "INVALID_MESSAGE",
  /** A sign-in message for another site: its domain or URI is not this node's public URL. */
  "WRONG_DOMAIN",
  /** A sign-in message for another chain than the node's. */
  "WRONG_CHAIN",
  /** A sign-in message whose statement names another node. */
  "WRONG_NODE",
  /** Not a nonce this node issued for this address: malformed, altered or another's. */
  "INVALID_NONCE",
  /** A genuine nonce (and so its sign-in message) past its expiry. */
  "NONCE_EXPIRED",
  /** Malformed, or signed by a key other than the address's. */
  "INVALID_SIGNATURE",
  /** Not a token this node issued: malformed or altered. */
  "INVALID_TOKEN",
  /** A genuine token past its expiry. */
  "TOKEN_EXPIRED",
  /** Not a NATS user public key (`U…`, 56 characters): what a client signs in with for messaging. */
  "INVALID_NKEY",
  /** A messaging JWT not issued by this node's account, malformed, or not a user's. */
  "INVALID_JWT",
  /** A genuine messaging JWT past its expiry (or not yet valid). */
  "JWT_EXPIRED",
  /** A CONNECT whose `sig` is not the JWT's nkey's signature over the connection's nonce. */
  "INVALID_NONCE_SIGNATURE",
] as const;

export type AuthErrorCode = (typeof AUTH_ERROR_CODES)[number];

export class AuthError extends Error {
  override readonly name = "AuthError";

  constructor(
    readonly code: AuthErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isAuthError(error: unknown, code?: AuthErrorCode): error is AuthError {
  return error instanceof AuthError && (code === undefined || error.code === code);
}
