import { checksumAddress } from "./address";
import { AuthError } from "./errors";
import { assertSecret } from "./mac";
import { formatToken, parseToken } from "./token";

export interface AuthOptions {
  /** At least 32 bytes; `authSecretFromPrivateKey(nodeKey)` in the node. */
  secret: Uint8Array;
  tokenTtlSeconds?: number;
  /** Unix milliseconds (tests move time with it). */
  now?: () => number;
}

export interface Issued {
  /** Unix milliseconds. */
  expiresAt: number;
}

export interface AuthService {
  issueToken(address: string): Issued & { token: string };
  /** The checksummed address a token was issued to. */
  verifyToken(token: string): string;
}

/**
 * Stateless bearer tokens (DESIGN §5), given once a user has signed in (signIn.ts): a token
 * carries its own claims under a MAC keyed by `secret`, so node processes sharing a key agree
 * without sharing storage.
 *
 * @example
 * const auth = createAuth({ secret: authSecretFromPrivateKey(privateKey) });
 * const { token } = auth.issueToken(address);
 * auth.verifyToken(token); // address, checksummed
 */
export function createAuth({
  secret,
  tokenTtlSeconds = 86_400,
  now = Date.now,
}: AuthOptions): AuthService {
  assertSecret(secret);
  // Copied so a caller that later zeroes or reuses its buffer cannot change our key.
  const key = Uint8Array.from(secret);

  return {
    issueToken(address) {
      const expiresAt = now() + tokenTtlSeconds * 1000;
      return {
        token: formatToken(key, { address: checksumAddress(address), expiresAt }),
        expiresAt,
      };
    },

    verifyToken(token) {
      const claims = parseToken(key, token);
      if (now() >= claims.expiresAt) throw new AuthError("TOKEN_EXPIRED", "token expired");
      return claims.address;
    },
  };
}
