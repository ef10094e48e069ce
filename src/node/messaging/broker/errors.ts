/**
 * Every way the broker refuses a client, as nats-server words it. Each close reason carries the
 * exact `-ERR` text nats-server sends (or none where it closes without a word), and the
 * WebSocket close status and reason its websocket listener uses for that reason.
 */
export const CLOSE_REASONS = {
  /** Bytes that start no known operation, or a payload not followed by CRLF. */
  UNKNOWN_OPERATION: { err: "Unknown Protocol Operation", ws: [1002, "Protocol Violation"] },
  /** Bad arguments, bad CONNECT JSON, HPUB without headers, a client's -ERR: closed silently. */
  PROTOCOL_VIOLATION: { err: undefined, ws: [1002, "Protocol Violation"] },
  MAX_PAYLOAD: { err: "Maximum Payload Violation", ws: [1009, "Maximum Message Payload Exceeded"] },
  MAX_CONTROL_LINE: {
    err: "maximum control line exceeded",
    ws: [1008, "Maximum Control Line Exceeded"],
  },
  AUTHORIZATION: { err: "Authorization Violation", ws: [1008, "Authentication Failure"] },
  AUTH_TIMEOUT: { err: "Authentication Timeout", ws: [1008, "Authentication Timeout"] },
  /** The credentials' expiry passed (nats-server's, for a user JWT). */
  AUTH_EXPIRED: { err: "User Authentication Expired", ws: [1008, "Authentication Expired"] },
  STALE: { err: "Stale Connection", ws: [1001, "Stale Connection"] },
  SLOW_CONSUMER: { err: "Slow Consumer", ws: [1008, "Slow Consumer (Pending Bytes)"] },
  /** The user already holds its `maxConnections` (nats-server's account connection limit). */
  MAX_CONNECTIONS: {
    err: "maximum account active connections exceeded",
    ws: [1008, "Maximum Account Connections Exceeded"],
  },
  BAD_CLIENT_PROTOCOL: {
    err: "invalid client protocol",
    ws: [1002, "Bad Client Protocol Version"],
  },
  NO_RESPONDERS_NEEDS_HEADERS: {
    err: "no responders requires headers support",
    ws: [1011, "No Responders Requires Headers"],
  },
  SERVER_SHUTDOWN: { err: undefined, ws: [1001, "Server Shutdown"] },
  CLIENT_CLOSED: { err: undefined, ws: [1000, "Client Closed"] },
} as const satisfies Record<string, CloseReasonSpec>;

export interface CloseReasonSpec {
  readonly err: string | undefined;
  readonly ws: readonly [code: number, reason: string];
}

export type CloseReason = keyof typeof CLOSE_REASONS;

/** Errors that leave the connection open. */
export const INVALID_SUBJECT = "Invalid Subject";
export const INVALID_PUBLISH_SUBJECT = "Invalid Publish Subject";
/** A SUB past the connection's `maxSubscriptions` (nats-server's max_subscriptions). */
export const MAX_SUBSCRIPTIONS = "maximum subscriptions exceeded";

export function publishDenied(subject: string): string {
  return `Permissions Violation for Publish to ${goQuote(subject)}`;
}

/** A PUB/HPUB whose reply subject is outside the reply allow-list. */
export function replyDenied(reply: string): string {
  return `Permissions Violation for Publish with Reply of ${goQuote(reply)}`;
}

export function subscribeDenied(subject: string, queue: string | null): string {
  const text = `Permissions Violation for Subscription to ${goQuote(subject)}`;
  return queue === null ? text : `${text} using queue ${goQuote(queue)}`;
}

/** Why `startBroker` (not a client) failed. */
export type BrokerErrorCode = "INVALID_OPTIONS" | "LISTEN_FAILED";

export class BrokerError extends Error {
  override readonly name = "BrokerError";

  constructor(
    readonly code: BrokerErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });
const GO_ESCAPES: Record<number, string> = {
  7: "\\a",
  8: "\\b",
  9: "\\t",
  10: "\\n",
  11: "\\v",
  12: "\\f",
  13: "\\r",
  34: '\\"',
  92: "\\\\",
};

/**
 * Go's `%q` of a subject held as latin1 (one char per wire byte), so the text matches
 * nats-server's byte for byte: quotes, backslash escapes, `\xNN` for other control bytes and
 * for bytes that are not UTF-8.
 */
export function goQuote(latin1: string): string {
  const bytes = Buffer.from(latin1, "latin1");
  let text: string | undefined;
  try {
    text = UTF8.decode(bytes);
  } catch {
    text = undefined;
  }
  let out = '"';
  if (text === undefined) {
    for (const byte of bytes) out += byte < 0x80 ? quoteAscii(byte) : `\\x${hex2(byte)}`;
  } else {
    for (const char of text) {
      const code = char.codePointAt(0) as number;
      out += code < 0x80 ? quoteAscii(code) : char;
    }
  }
  return `${out}"`;
}

function quoteAscii(code: number): string {
  const escaped = GO_ESCAPES[code];
  if (escaped !== undefined) return escaped;
  if (code < 0x20 || code === 0x7f) return `\\x${hex2(code)}`;
  return String.fromCharCode(code);
}

function hex2(byte: number): string {
  return byte.toString(16).padStart(2, "0");
}
