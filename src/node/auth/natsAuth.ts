import { type Authenticator, jwtAuthenticator } from "@nats-io/nats-core";
import { createUser } from "@nats-io/nkeys";
import { NODE_LIMITS, nodePermissions, USER_LIMITS, userPermissions } from "./brokerPermissions";
import { issueUserJwt } from "./natsJwt";
import type { NatsKeys } from "./natsKeys";
import type { JwtIssuers } from "./natsVerify";

/** The account and signing keys whose user JWTs the node's messaging accepts. */
export function natsIssuers(keys: NatsKeys): JwtIssuers {
  return {
    account: keys.account.getPublicKey(),
    signingKeys: [keys.signing.getPublicKey()],
  };
}

/**
 * A signed-in user's messaging JWT: `userPermissions` and USER_LIMITS for its nkey, expiring
 * with its API token (the client renews both together).
 */
export function issueUserMessagingJwt(
  keys: NatsKeys,
  node: string,
  user: string,
  nkey: string,
  expiresAt: number,
): Promise<string> {
  return issueUserJwt(keys, {
    name: user,
    nkey,
    permissions: userPermissions(node, user),
    limits: USER_LIMITS,
    expiresAt,
  });
}

export interface NodeMessagingCredentials {
  /** For `connect`: signs each server's nonce with the process's nkey. */
  authenticator: Authenticator;
}

/**
 * A node process's own messaging credentials: a fresh nkey and a JWT with the node's
 * permissions (everything), signed with the account's signing key the process derives from
 * the node's key. The JWT does not expire: it is useless without the nkey's seed, which never
 * leaves the process (which holds the signing key anyway), and an expiry would only make every
 * server drop the node's connections once per lifetime.
 */
export async function nodeMessagingCredentials(
  keys: NatsKeys,
  node: string,
): Promise<NodeMessagingCredentials> {
  const nkey = createUser();
  const jwt = await issueUserJwt(keys, {
    name: node,
    nkey: nkey.getPublicKey(),
    permissions: nodePermissions(),
    limits: { maxPayload: NODE_LIMITS.maxPayload },
    expiresAt: undefined,
  });
  return { authenticator: jwtAuthenticator(jwt, nkey.getSeed()) };
}
