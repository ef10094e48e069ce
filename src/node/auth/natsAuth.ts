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
  /** For `connect`: reads the current JWT at every (re)connect. */
  authenticator: Authenticator;
  stop(): void;
}

/** How long the node's own JWT lives; renewed at half-life, so a reconnect never uses a stale one. */
const NODE_JWT_TTL_MS = 24 * 3600_000;

/**
 * A node process's own messaging credentials: a fresh nkey (never leaves the process) and a
 * JWT with the node's permissions (everything). Each process signs its own with the account's
 * signing key, which it derives from the node's key.
 */
export async function nodeMessagingCredentials(
  keys: NatsKeys,
  node: string,
  now: () => number = Date.now,
): Promise<NodeMessagingCredentials> {
  const nkey = createUser();
  const issue = () =>
    issueUserJwt(keys, {
      name: node,
      nkey: nkey.getPublicKey(),
      permissions: nodePermissions(),
      limits: { maxPayload: NODE_LIMITS.maxPayload },
      expiresAt: now() + NODE_JWT_TTL_MS,
    });
  let current = await issue();
  const timer = setInterval(() => {
    issue().then(
      (jwt) => {
        current = jwt;
      },
      () => {},
    );
  }, NODE_JWT_TTL_MS / 2);
  timer.unref?.();
  return {
    authenticator: jwtAuthenticator(
      () => current,
      () => nkey.getSeed(),
    ),
    stop: () => clearInterval(timer),
  };
}
