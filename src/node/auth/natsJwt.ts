import { encodeUser, type User } from "@nats-io/jwt";
import { fromPublic } from "@nats-io/nkeys";
import type { ConnectionLimits, Permissions } from "../messaging/broker";
import { checksumAddress } from "./address";
import { AuthError } from "./errors";
import type { NatsKeys } from "./natsKeys";

/**
 * Messaging credentials (DESIGN §5): a user JWT signed by the account's signing key, naming the
 * nkey the client generated and the same permissions the embedded broker enforces. nats-server
 * and the embedded broker both check it, and the connection's signature over their nonce.
 */

/** nats-server's `resp.ttl` is a Go duration: nanoseconds. */
const NS_PER_MS = 1_000_000;
/** nats-server's defaults for `allow_responses: true`: one answer within 2 minutes. */
const RESPONSE_MAX = 1;
const RESPONSE_TTL_MS = 2 * 60 * 1000;

/** The permissions and limits of `Permissions` as a user JWT's claims (-1: no limit). */
export function userJwtClaims(
  permissions: Permissions,
  limits: ConnectionLimits = {},
): Partial<User> {
  const claims: Partial<User> = {
    pub: { allow: [...permissions.publish.allow] },
    sub: { allow: [...permissions.subscribe.allow] },
    subs: limits.maxSubscriptions ? limits.maxSubscriptions : -1,
    payload: limits.maxPayload ? limits.maxPayload : -1,
    data: -1,
  };
  const responses = permissions.publish.allowResponses;
  if (responses === true) {
    claims.resp = { max: RESPONSE_MAX, ttl: RESPONSE_TTL_MS * NS_PER_MS };
  } else if (typeof responses === "object") {
    claims.resp = {
      max: responses.max ?? RESPONSE_MAX,
      ttl: (responses.expiresMs ?? RESPONSE_TTL_MS) * NS_PER_MS,
    };
  }
  return claims;
}

export interface IssueUserJwt {
  /** The JWT's name: the user's checksummed address (or the node's). */
  name: string;
  /** The client's public nkey (`U…`). */
  nkey: string;
  permissions: Permissions;
  limits?: ConnectionLimits;
  /** Unix milliseconds; the JWT carries whole seconds. Undefined: it does not expire. */
  expiresAt: number | undefined;
}

/** A user JWT for `nkey`, signed by the account's signing key. INVALID_NKEY for a bad key. */
export async function issueUserJwt(keys: NatsKeys, request: IssueUserJwt): Promise<string> {
  assertUserNkey(request.nkey);
  return encodeUser(
    checksumAddress(request.name),
    request.nkey,
    keys.account.getPublicKey(),
    userJwtClaims(request.permissions, request.limits),
    {
      signer: keys.signing,
      ...(request.expiresAt === undefined ? {} : { exp: Math.floor(request.expiresAt / 1000) }),
    },
  );
}

const USER_NKEY = /^U[A-Z2-7]{55}$/;

export function assertUserNkey(nkey: unknown): asserts nkey is string {
  if (typeof nkey !== "string" || !USER_NKEY.test(nkey)) {
    throw new AuthError("INVALID_NKEY", "not a NATS user public key (U…, 56 characters)");
  }
  try {
    fromPublic(nkey);
  } catch (cause) {
    throw new AuthError("INVALID_NKEY", "not a NATS user public key (bad checksum)", { cause });
  }
}
