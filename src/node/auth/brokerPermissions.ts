import type { Authenticate, Permissions } from "../messaging/broker";
import type { AuthService } from "./auth";

/**
 * Who may publish and subscribe to what on the broker (DESIGN §5): subjects are
 * `connext.<to>.<from>.<method>` with lowercase addresses, and a user's request/reply inboxes
 * live under `_inbox.<user>`.
 */

/**
 * A user publishes only as itself to its node, and to its own inboxes (where the node's
 * requests to it expect the reply); it subscribes only to what is addressed to it.
 */
export function userPermissions(node: string, user: string): Permissions {
  const n = node.toLowerCase();
  const u = user.toLowerCase();
  return {
    publish: { allow: [`connext.${n}.${u}.>`, `_inbox.${u}.>`] },
    subscribe: { allow: [`connext.${u}.>`, `_inbox.${u}.>`] },
  };
}

/** The node itself (any of its processes) may do everything. */
export function nodePermissions(): Permissions {
  return { publish: { allow: [">"] }, subscribe: { allow: [">"] } };
}

export interface BrokerAuthenticatorOptions {
  auth: AuthService;
  /** The node's identifier (its key's address). */
  node: string;
}

/**
 * The embedded broker's CONNECT hook: the client passes its API token as `token` to `connect`
 * (it arrives as `auth_token`). A token of the node's own address gets the node's permissions,
 * any other valid token a user's; no token or a bad or expired one is refused. A token that
 * expires later does not end a connection already made.
 *
 * @example
 * const broker = await startBroker({ authenticate: brokerAuthenticator({ auth, node }) });
 * const nc = await connect({ servers: broker.url, token, inboxPrefix: `_inbox.${me.toLowerCase()}` });
 */
export function brokerAuthenticator({ auth, node }: BrokerAuthenticatorOptions): Authenticate {
  const nodeLower = node.toLowerCase();
  return function authenticateConnect(connect) {
    const token = connect.auth_token;
    if (typeof token !== "string") return undefined;
    let user: string;
    try {
      user = auth.verifyToken(token);
    } catch {
      return undefined;
    }
    if (user.toLowerCase() === nodeLower) return { user, ...nodePermissions() };
    return { user, ...userPermissions(node, user) };
  };
}
