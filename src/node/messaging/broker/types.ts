/**
 * The embedded broker's public shape (issue: embedded messaging broker). It speaks the NATS
 * client protocol over TCP and WebSocket, so the official NATS clients cannot tell it from
 * nats-server for everything the project uses.
 */

/** The fields of a client's CONNECT that authentication may look at. */
export interface ConnectOptions {
  user?: string;
  pass?: string;
  auth_token?: string;
  /** A user JWT and, with it, the signature (base64 or base64url) of INFO's nonce by its nkey. */
  jwt?: string;
  sig?: string;
  name?: string;
  lang?: string;
  version?: string;
  verbose?: boolean;
  pedantic?: boolean;
  headers?: boolean;
  no_responders?: boolean;
  protocol?: number;
  echo?: boolean;
  [field: string]: unknown;
}

/** Subject patterns (wildcards allowed) a user may publish to / subscribe to / reply through. */
export interface Permissions {
  publish: {
    allow: string[];
    /**
     * nats-server's `allow_responses`: a message with a reply subject delivered to this
     * connection lets it publish to that reply subject (even outside `allow`) `max` times
     * within `expiresMs`. `true`: nats-server's defaults, once within 2 minutes. In the object
     * form, as nats-server: `max` absent or 0 is 1, negative is no limit; `expiresMs` absent or
     * 0 is 2 minutes, negative is no expiry.
     */
    allowResponses?: AllowResponses;
  };
  subscribe: { allow: string[] };
  /**
   * Reply subjects a PUB/HPUB may name; absent: any (nats-server has no such list). Without it
   * a user could have a responder answer to someone else's subject (reply-to reflection).
   */
  reply?: { allow: string[] };
}

/** See `Permissions.publish.allowResponses`. */
export type AllowResponses = boolean | { max?: number; expiresMs?: number };

/**
 * One authenticated connection's limits, returned by `authenticate` next to the permissions.
 * Each field left out takes the broker's option of the same meaning.
 */
export interface ConnectionLimits {
  /**
   * Largest payload this connection may publish, at most the broker's `maxPayload`. A lower one
   * is announced to the client in an INFO update right after its CONNECT.
   */
  maxPayload?: number;
  /** Bytes queued to this connection before it is cut off as a slow consumer. */
  maxPendingBytes?: number;
  /** Subscriptions this connection may hold at once; 0: no limit. */
  maxSubscriptions?: number;
  /** Connections open at once under this connection's `user` (this one included); 0: no limit. */
  maxConnections?: number;
  /**
   * Outside `maxPendingBytesTotal`: its queued bytes are not counted there and it is never cut to
   * stay within it (only its own `maxPendingBytes` applies). For the node's own connections.
   */
  exemptFromBudget?: boolean;
}

export interface AuthResult extends Permissions {
  /** Who the connection is, for logs and metrics, and the key of `maxConnections`. */
  user: string;
  limits?: ConnectionLimits;
  /**
   * When the credentials run out, in milliseconds from now: the connection is then closed
   * with `-ERR 'User Authentication Expired'`, as nats-server closes one whose JWT expired
   * (the client reconnects with fresh credentials). Absent: never.
   */
  expiresInMs?: number;
}

/** What the broker told this connection before its CONNECT. */
export interface ConnectContext {
  /** The INFO's `nonce`: a CONNECT with an nkey carries its signature over it (`sig`). */
  nonce: string;
}

/**
 * Checked on CONNECT. Return the user and its permissions, or `undefined` (or throw) to refuse
 * with nats-server's "Authorization Violation".
 */
export type Authenticate = (
  connect: ConnectOptions,
  context: ConnectContext,
) => AuthResult | undefined | Promise<AuthResult | undefined>;

export interface BrokerOptions {
  /** Loopback by default. */
  host?: string;
  /** TCP port; 0 or absent picks a free one. */
  port?: number;
  /** Largest payload accepted, announced in INFO (nats-server's default: 1 MiB). */
  maxPayload?: number;
  /** Largest control line (nats-server's default: 4 KiB). */
  maxControlLine?: number;
  /** Bytes queued to a client that stops reading before it is cut off as a slow consumer. */
  maxPendingBytes?: number;
  /**
   * Bytes queued to all clients together (those not exempt); a write past it cuts the client
   * with the largest backlog as a slow consumer.
   */
  maxPendingBytesTotal?: number;
  /** Subscriptions one connection may hold at once; 0: no limit (nats-server's default). */
  maxSubscriptions?: number;
  /** Connections one authenticated user may hold at once; 0: no limit. */
  maxConnectionsPerUser?: number;
  /** Server PING interval and how many may go unanswered before the connection is stale. */
  pingIntervalMs?: number;
  maxPingsOut?: number;
  /** Absent: every client may do everything. */
  authenticate?: Authenticate;
  /** With `authenticate`: how long a client has to send CONNECT (nats-server's default: 2 s). */
  authTimeoutMs?: number;
  /** A standalone WebSocket listener on this port (0 picks one); absent: none. */
  websocketPort?: number;
  serverName?: string;
}

export interface Broker {
  /** `nats://host:port` */
  readonly url: string;
  readonly port: number;
  /** `ws://host:port` when a standalone WebSocket listener runs. */
  readonly websocketUrl: string | undefined;
  /**
   * For mounting WebSocket clients on another Bun HTTP server (the node's, same origin as its
   * API): call `upgrade` from its fetch handler and pass `websocket` to `Bun.serve`.
   */
  readonly websocket: {
    upgrade(request: Request, server: import("bun").Server<unknown>): boolean;
    handlers: import("bun").WebSocketHandler<unknown>;
  };
  /** Number of client connections open now. */
  connectionCount(): number;
  /** Queued-bytes accounting, for tests and metrics. */
  stats(): BrokerStats;
  /** Stops accepting, flushes what is queued, closes every connection. */
  stop(): Promise<void>;
}

export interface BrokerStats {
  /** Client connections open now. */
  connections: number;
  /** Bytes queued to clients now, as counted against `maxPendingBytesTotal`. */
  pendingBytes: number;
  /** The most `pendingBytes` has been since the broker started. */
  peakPendingBytes: number;
  /** Connections cut off as slow consumers since the broker started (either limit). */
  slowConsumers: number;
}
