import { MAX_MESSAGE_BYTES } from "../../protocol/schemas";
import type { Authenticate, ConnectionLimits, Permissions } from "../messaging/broker";
import type { AuthService } from "./auth";

/**
 * Who may publish and subscribe to what on the broker (DESIGN §5), and what one connection may
 * cost the node: subjects are `connext.<to>.<from>.<method>` with lowercase addresses, and a
 * user's request/reply inboxes live under `_inbox.<user>`.
 */

/**
 * A user publishes only as itself (`connext.<to>.<user>.…`): to its node, any method; to any
 * other user, vouchers only (`connext.<payee>.<user>.voucher`, a payment made directly to the
 * payee); and to its own inboxes (where the node's requests to it expect the reply). It
 * subscribes only to what is addressed to it (`connext.<user>.>`, its inboxes), so it never
 * sees another user's traffic.
 *
 * It may answer a request delivered to it once, within 2 minutes, on that request's reply
 * subject (`allowResponses`, nats-server's `allow_responses`): that is how a payee answers a
 * voucher into the payer's inbox (`_inbox.<payer>.…`) without being able to publish there
 * otherwise, unprompted or twice.
 *
 * Every reply subject it names is in its own inboxes, so nobody can have the node answer (up to
 * 1 MiB) to another user's subjects or to the node's request subjects, nor have a payee's answer
 * land anywhere but in the payer's own inbox.
 */
export function userPermissions(node: string, user: string): Permissions {
  const n = node.toLowerCase();
  const u = user.toLowerCase();
  return {
    publish: {
      allow: [`connext.${n}.${u}.>`, `connext.*.${u}.voucher`, `_inbox.${u}.>`],
      allowResponses: true,
    },
    subscribe: { allow: [`connext.${u}.>`, `_inbox.${u}.>`] },
    reply: { allow: [`_inbox.${u}.>`] },
  };
}

/** The node itself (any of its processes) may do everything. */
export function nodePermissions(): Permissions {
  return { publish: { allow: [">"] }, subscribe: { allow: [">"] }, reply: { allow: [">"] } };
}

const MiB = 1024 * 1024;

/**
 * What one user connection may cost the node (the broker's defaults apply to the node's own).
 * Sized to the protocol's messages: a user sends only protocol messages (at most
 * MAX_MESSAGE_BYTES); the largest it receives is the node's reply to a restore.
 */
export const USER_LIMITS = {
  maxPayload: MAX_MESSAGE_BYTES,
  // One restore reply (MAX_RESTORE_BYTES) and a dozen protocol messages behind it.
  maxPendingBytes: 2 * MiB,
  // A client holds three (its update and event subjects, its reply inbox); room for a few more.
  maxSubscriptions: 64,
  // A user may run a few clients at once (devices, a server beside a browser).
  maxConnections: 8,
} as const satisfies ConnectionLimits;

/**
 * The node's processes: never limited in subscriptions (one per proposal in flight) or
 * connections (one per process), and outside the broker-wide pending budget, so a users' flood
 * never cuts them (their own maxPendingBytes still does).
 */
export const NODE_LIMITS: ConnectionLimits = {
  maxSubscriptions: 0,
  maxConnections: 0,
  exemptFromBudget: true,
};

export interface BrokerAuthenticatorOptions {
  auth: AuthService;
  /** The node's identifier (its key's address). */
  node: string;
  /** Overrides of USER_LIMITS for user connections. */
  userLimits?: ConnectionLimits;
}

/**
 * The embedded broker's CONNECT hook: the client passes its API token as `token` to `connect`
 * (it arrives as `auth_token`). A token of the node's own address gets the node's permissions
 * and NODE_LIMITS, any other valid token a user's and USER_LIMITS; no token or a bad or expired
 * one is refused. A token that expires later does not end a connection already made.
 *
 * @example
 * const broker = await startBroker({ authenticate: brokerAuthenticator({ auth, node }) });
 * const nc = await connect({ servers: broker.url, token, inboxPrefix: `_inbox.${me.toLowerCase()}` });
 */
export function brokerAuthenticator({
  auth,
  node,
  userLimits,
}: BrokerAuthenticatorOptions): Authenticate {
  const nodeLower = node.toLowerCase();
  const limits: ConnectionLimits = { ...USER_LIMITS, ...userLimits };
  return function authenticateConnect(connect) {
    const token = connect.auth_token;
    if (typeof token !== "string") return undefined;
    let user: string;
    try {
      user = auth.verifyToken(token);
    } catch {
      return undefined;
    }
    if (user.toLowerCase() === nodeLower) {
      return { user, ...nodePermissions(), limits: { ...NODE_LIMITS } };
    }
    return { user, ...userPermissions(node, user), limits: { ...limits } };
  };
}
