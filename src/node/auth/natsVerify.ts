import { type ClaimsData, decode, type User } from "@nats-io/jwt";
import { fromPublic } from "@nats-io/nkeys";
import { AuthError } from "./errors";

/** Who may have issued a user JWT: the account (public key) and its signing keys. */
export interface JwtIssuers {
  account: string;
  signingKeys: readonly string[];
}

/**
 * A CONNECT's `jwt` and `sig` checked as nats-server checks them in operator mode: a user JWT
 * signed by the account or one of its signing keys (then naming the account as
 * `issuer_account`), within its validity, and `sig` the JWT subject's signature over `nonce`.
 * Returns the JWT's claims; throws INVALID_JWT, JWT_EXPIRED or INVALID_NONCE_SIGNATURE.
 */
export function verifyUserJwt(
  jwt: unknown,
  sig: unknown,
  nonce: string,
  issuers: JwtIssuers,
  nowMs: number,
): ClaimsData<User> {
  if (typeof jwt !== "string" || jwt.length === 0) {
    throw new AuthError("INVALID_JWT", "no user JWT in CONNECT");
  }
  let claims: ClaimsData<User>;
  try {
    // Checks the JWT's signature against its issuer (`iss`).
    claims = decode<User>(jwt);
  } catch (cause) {
    throw new AuthError("INVALID_JWT", "not a signed NATS JWT", { cause });
  }
  const nats = claims.nats as (User & { type?: string }) | undefined;
  if (nats?.type !== "user") throw new AuthError("INVALID_JWT", "not a user JWT");
  const byAccount = claims.iss === issuers.account;
  const bySigningKey = issuers.signingKeys.includes(claims.iss);
  if (!byAccount && !bySigningKey) {
    throw new AuthError("INVALID_JWT", "a user JWT issued by another account");
  }
  if (bySigningKey && nats.issuer_account !== issuers.account) {
    throw new AuthError("INVALID_JWT", "a user JWT issued for another account");
  }
  const now = Math.floor(nowMs / 1000);
  if (typeof claims.exp === "number" && claims.exp > 0 && now >= claims.exp) {
    throw new AuthError("JWT_EXPIRED", "the user JWT has expired");
  }
  if (typeof claims.nbf === "number" && claims.nbf > 0 && now < claims.nbf) {
    throw new AuthError("JWT_EXPIRED", "the user JWT is not valid yet");
  }
  if (typeof sig !== "string" || nonce === "" || !signedNonce(claims.sub, sig, nonce)) {
    throw new AuthError("INVALID_NONCE_SIGNATURE", "sig is not the JWT's nkey's over the nonce");
  }
  return claims;
}

function signedNonce(nkey: string, sig: string, nonce: string): boolean {
  try {
    // Buffer's base64 reads the URL-safe alphabet too (nats-server accepts both).
    const signature = Buffer.from(sig, "base64");
    return fromPublic(nkey).verify(new TextEncoder().encode(nonce), signature);
  } catch {
    return false;
  }
}
