import type { ClaimsData, User } from "@nats-io/jwt";
import { MAX_MESSAGE_BYTES } from "../../protocol/schemas";
import type { Authenticate, AuthResult, ConnectionLimits, Permissions } from "../messaging/broker";
import { type JwtIssuers, verifyUserJwt } from "./natsVerify";

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
  /** The account and signing keys whose user JWTs are accepted (natsIssuers(keys)). */
  issuers: JwtIssuers;
  /** Overrides of USER_LIMITS for user connections (the JWT's payload and subs come first). */
  userLimits?: ConnectionLimits;
  /** Unix milliseconds (tests move time with it). */
  now?: () => number;
}

/**
 * The embedded broker's CONNECT hook, accepting exactly what nats-server run with
 * `connext-node nats-config` accepts: a user JWT issued by the node's account (natsJwt.ts) and
 * the JWT's nkey's signature over this connection's nonce. The permissions come from the JWT's
 * claims; a JWT that may publish everywhere (`>`) is one of the node's processes and gets
 * NODE_LIMITS. Anything else is refused. A connection is closed when its JWT expires, as
 * nats-server closes it; clients reconnect with the one they renewed meanwhile.
 *
 * @example
 * const broker = await startBroker({ authenticate: brokerAuthenticator({ issuers: natsIssuers(keys) }) });
 */
export function brokerAuthenticator({
  issuers,
  userLimits,
  now = Date.now,
}: BrokerAuthenticatorOptions): Authenticate {
  const limits: ConnectionLimits = { ...USER_LIMITS, ...userLimits };
  return function authenticateConnect(connect, { nonce }) {
    const at = now();
    let claims: ClaimsData<User>;
    try {
      claims = verifyUserJwt(connect.jwt, connect.sig, nonce, issuers, at);
    } catch {
      return undefined;
    }
    const result = authResultFromClaims(claims, limits);
    if (result !== undefined && typeof claims.exp === "number" && claims.exp > 0) {
      result.expiresInMs = claims.exp * 1000 - at;
    }
    return result;
  };
}

/**
 * A verified user JWT as the broker's permissions. Deny lists are refused (the node never
 * issues them and the broker has none). Reply subjects a connection may name are the inboxes it
 * may subscribe to (`_inbox.…`, or everything for `>`): nats-server has no such rule, which is
 * why the node also drops requests whose reply is outside the sender's inbox.
 */
export function authResultFromClaims(
  claims: ClaimsData<User>,
  userLimits: ConnectionLimits = USER_LIMITS,
): AuthResult | undefined {
  const nats = claims.nats;
  if ((nats.pub?.deny?.length ?? 0) > 0 || (nats.sub?.deny?.length ?? 0) > 0) return undefined;
  const publish = nats.pub?.allow ?? [];
  const subscribe = nats.sub?.allow ?? [];
  const user = claims.name || claims.sub;
  const resp = nats.resp;
  const allowResponses =
    resp === undefined || (resp.max === undefined && resp.ttl === undefined)
      ? undefined
      : { max: resp.max ?? 0, expiresMs: Math.floor((resp.ttl ?? 0) / NS_PER_MS) };
  const permissions: Permissions = {
    publish: { allow: [...publish], ...(allowResponses ? { allowResponses } : {}) },
    subscribe: { allow: [...subscribe] },
    reply: { allow: subscribe.filter((p) => p === ">" || p.startsWith("_inbox.")) },
  };
  if (publish.includes(">")) return { user, ...permissions, limits: { ...NODE_LIMITS } };
  const limits: ConnectionLimits = { ...userLimits };
  if (typeof nats.payload === "number")
    limits.maxPayload = nats.payload > 0 ? nats.payload : undefined;
  if (typeof nats.subs === "number") limits.maxSubscriptions = Math.max(nats.subs, 0);
  if (limits.maxPayload === undefined) delete limits.maxPayload;
  return { user, ...permissions, limits };
}

const NS_PER_MS = 1_000_000;
