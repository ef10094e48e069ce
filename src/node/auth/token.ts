import { AuthError } from "./errors";
import { mac, macEquals } from "./mac";

/**
 * A bearer token for the HTTP API: `<checksummed address>.<expiry, unix ms>.<MAC>`. Every
 * character is URL-safe, so it travels in headers and query strings alike. (Messaging takes a
 * NATS user JWT instead: natsJwt.ts.)
 */

const TOKEN = /^(0x[0-9a-fA-F]{40})\.(\d{1,16})\.([A-Za-z0-9_-]{43})$/;

export interface TokenClaims {
  /** Checksummed. */
  address: string;
  /** Unix milliseconds. */
  expiresAt: number;
}

export function formatToken(secret: Uint8Array, claims: TokenClaims): string {
  const body = `${claims.address}.${claims.expiresAt}`;
  return `${body}.${mac(secret, "token", body)}`;
}

/** The claims of a token this secret issued; INVALID_TOKEN for anything else. Expiry unchecked. */
export function parseToken(secret: Uint8Array, token: string): TokenClaims {
  const match = TOKEN.exec(token);
  if (match === null) throw new AuthError("INVALID_TOKEN", "malformed token");
  const [, address, expiry, given] = match as unknown as [string, string, string, string];
  if (!macEquals(mac(secret, "token", `${address}.${expiry}`), given)) {
    throw new AuthError("INVALID_TOKEN", "not a token issued by this node");
  }
  return { address, expiresAt: Number(expiry) };
}
