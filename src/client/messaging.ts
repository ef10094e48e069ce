import { jwtAuthenticator, type NatsConnection, wsconnect } from "@nats-io/nats-core";

export interface MessagingOptions {
  /**
   * `nats://…` (TCP: Bun and Node) or `ws(s)://…` (WebSocket: browsers, or anywhere): one, or
   * every server of a cluster, which the NATS client fails over between.
   */
  urls: string[];
  /** The node's WebSocket URL, used in browsers when `url` is TCP. */
  wsUrl: string | undefined;
  /** The messaging JWT from sign-in, read at every (re)connect so a renewed one is used. */
  jwt: () => string;
  /** The seed of the nkey the JWT names: signs the server's nonce at each connect. */
  nkeySeed: () => Uint8Array;
  inboxPrefix: string;
  name: string;
}

/**
 * The servers to connect to: the caller's override, else every server /config lists (a
 * cluster's), else its one `messagingUrl` (a node from before `messagingUrls`).
 */
export function messagingServers(
  config: { messagingUrl: string; messagingUrls?: string[] | undefined },
  override?: string,
): string[] {
  if (override) return [override];
  return config.messagingUrls && config.messagingUrls.length > 0
    ? config.messagingUrls
    : [config.messagingUrl];
}

/** Browsers, web and service workers: anywhere that is not Node or Bun has no TCP sockets. */
const HAS_SOCKETS =
  typeof (globalThis as { process?: { versions?: { node?: unknown } } }).process?.versions?.node ===
  "string";

/**
 * Connects with the official NATS clients: the TCP transport where there are sockets, the
 * WebSocket one in browsers. The TCP transport is imported only when used, so browser
 * bundles never pull in Node's `net`.
 */
export async function connectMessaging(options: MessagingOptions): Promise<NatsConnection> {
  const common = {
    authenticator: jwtAuthenticator(options.jwt, options.nkeySeed),
    inboxPrefix: options.inboxPrefix,
    name: options.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
  };
  const webSocketUrls = options.urls.filter((url) => /^wss?:/.test(url));
  if (webSocketUrls.length > 0 || !HAS_SOCKETS) {
    const urls = webSocketUrls.length > 0 ? webSocketUrls : options.wsUrl ? [options.wsUrl] : [];
    if (urls.length === 0)
      throw new Error("the node offers no WebSocket messaging URL for browsers");
    return wsconnect({ servers: urls, ...common });
  }
  const { connect } = await import("@nats-io/transport-node");
  return connect({ servers: options.urls, ...common });
}
