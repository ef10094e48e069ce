import { computeAddress, hashMessage, SigningKey } from "ethers";
import { checksumAddress } from "./address";
import { AuthError } from "./errors";
import { assertSecret } from "./mac";
import { formatNonce, parseNonce } from "./nonce";
import { formatToken, parseToken } from "./token";

export interface AuthOptions {
  /** At least 32 bytes; `authSecretFromPrivateKey(nodeKey)` in the node. */
  secret: Uint8Array;
  nonceTtlSeconds?: number;
  tokenTtlSeconds?: number;
  /** Unix milliseconds (tests move time with it). */
  now?: () => number;
}

export interface Issued {
  /** Unix milliseconds. */
  expiresAt: number;
}

export interface SignedNonce {
  address: string;
  nonce: string;
  /** 65-byte EIP-191 personal_sign signature of `nonce`, 0x hex. */
  signature: string;
}

export interface AuthService {
  /** A sign-in message for `address` to sign with personal_sign. */
  issueNonce(address: string): Issued & { nonce: string };
  /** Checks a signed nonce; the signer's checksummed address and uncompressed (0x04…) key. */
  verifySignedNonce(signed: SignedNonce): { address: string; publicKey: string };
  issueToken(address: string): Issued & { token: string };
  /** The checksummed address a token was issued to. */
  verifyToken(token: string): string;
}

/**
 * Stateless sign-in (DESIGN §5): nonces and tokens carry their own claims under a MAC keyed
 * by `secret`, so node processes sharing a key agree without sharing storage. A signed nonce
 * can be exchanged for a token more than once before it expires; only its signer can sign it,
 * so that gives nobody else anything.
 *
 * @example
 * const auth = createAuth({ secret: authSecretFromPrivateKey(privateKey) });
 * const { nonce } = auth.issueNonce(wallet.address);
 * const signature = await wallet.signMessage(nonce);
 * const { address } = auth.verifySignedNonce({ address: wallet.address, nonce, signature });
 * const { token } = auth.issueToken(address);
 * auth.verifyToken(token); // wallet.address
 */
export function createAuth({
  secret,
  nonceTtlSeconds = 300,
  tokenTtlSeconds = 86_400,
  now = Date.now,
}: AuthOptions): AuthService {
  assertSecret(secret);
  // Copied so a caller that later zeroes or reuses its buffer cannot change our key.
  const key = Uint8Array.from(secret);

  return {
    issueNonce(address) {
      const expiresAt = now() + nonceTtlSeconds * 1000;
      return {
        nonce: formatNonce(key, { address: checksumAddress(address), expiresAt }),
        expiresAt,
      };
    },

    verifySignedNonce({ address, nonce, signature }) {
      const claimed = checksumAddress(address);
      const claims = parseNonce(key, nonce);
      if (claims.address !== claimed) {
        throw new AuthError(
          "INVALID_NONCE",
          `nonce was issued for ${claims.address}, not ${claimed}`,
        );
      }
      if (now() >= claims.expiresAt) throw new AuthError("NONCE_EXPIRED", "nonce expired");
      const publicKey = recoverPublicKey(nonce, signature);
      if (computeAddress(publicKey) !== claimed) {
        throw new AuthError("INVALID_SIGNATURE", `nonce was not signed by ${claimed}`);
      }
      return { address: claimed, publicKey };
    },

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

function recoverPublicKey(message: string, signature: string): string {
  if (typeof signature !== "string" || !/^0x[0-9a-fA-F]{130}$/.test(signature)) {
    throw new AuthError("INVALID_SIGNATURE", "a signature is 65 bytes of 0x hex");
  }
  try {
    return SigningKey.recoverPublicKey(hashMessage(message), signature);
  } catch (cause) {
    throw new AuthError("INVALID_SIGNATURE", "no key recovers from this signature", { cause });
  }
}
