import { BrokerError } from "./errors";
import type { Authenticate, BrokerOptions } from "./types";

/** BrokerOptions with nats-server's defaults filled in. */
export interface ResolvedOptions {
  host: string;
  port: number;
  maxPayload: number;
  maxControlLine: number;
  maxPendingBytes: number;
  maxPendingBytesTotal: number;
  maxSubscriptions: number;
  maxConnectionsPerUser: number;
  pingIntervalMs: number;
  maxPingsOut: number;
  authTimeoutMs: number;
  authenticate: Authenticate | undefined;
  websocketPort: number | undefined;
  serverName: string | undefined;
}

const MiB = 1024 * 1024;

export function resolveOptions(options: BrokerOptions): ResolvedOptions {
  const resolved: ResolvedOptions = {
    host: options.host ?? "127.0.0.1",
    port: options.port ?? 0,
    maxPayload: options.maxPayload ?? MiB,
    maxControlLine: options.maxControlLine ?? 4096,
    maxPendingBytes: options.maxPendingBytes ?? 64 * MiB,
    // Two default-sized slow consumers; users get far smaller per-connection limits from the
    // node's authenticator, so it takes many of them together to reach this.
    maxPendingBytesTotal: options.maxPendingBytesTotal ?? 128 * MiB,
    maxSubscriptions: options.maxSubscriptions ?? 0,
    maxConnectionsPerUser: options.maxConnectionsPerUser ?? 0,
    pingIntervalMs: options.pingIntervalMs ?? 120_000,
    maxPingsOut: options.maxPingsOut ?? 2,
    authTimeoutMs: options.authTimeoutMs ?? 2000,
    authenticate: options.authenticate,
    websocketPort: options.websocketPort,
    serverName: options.serverName,
  };
  port("port", resolved.port);
  if (resolved.websocketPort !== undefined) port("websocketPort", resolved.websocketPort);
  positive("maxPayload", resolved.maxPayload);
  positive("maxControlLine", resolved.maxControlLine);
  positive("maxPendingBytes", resolved.maxPendingBytes);
  positive("maxPendingBytesTotal", resolved.maxPendingBytesTotal);
  nonNegative("maxSubscriptions", resolved.maxSubscriptions);
  nonNegative("maxConnectionsPerUser", resolved.maxConnectionsPerUser);
  positive("pingIntervalMs", resolved.pingIntervalMs);
  positive("maxPingsOut", resolved.maxPingsOut);
  positive("authTimeoutMs", resolved.authTimeoutMs);
  // nats-server refuses a max_payload above max_pending too: such a message could never be queued.
  if (resolved.maxPayload > resolved.maxPendingBytes) {
    invalid(
      "maxPayload",
      resolved.maxPayload,
      `at most maxPendingBytes (${resolved.maxPendingBytes})`,
    );
  }
  // Likewise for the budget: one message of the largest size must fit.
  if (resolved.maxPayload > resolved.maxPendingBytesTotal) {
    invalid(
      "maxPayload",
      resolved.maxPayload,
      `at most maxPendingBytesTotal (${resolved.maxPendingBytesTotal})`,
    );
  }
  // parseSize reads at most 9 digits, as nats-server's does.
  if (resolved.maxPayload > 999_999_999) {
    invalid("maxPayload", resolved.maxPayload, "at most 999999999");
  }
  return resolved;
}

function port(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    invalid(name, value, "a port number (0 picks one)");
  }
}

function positive(name: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) invalid(name, value, "a positive integer");
}

function nonNegative(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) invalid(name, value, "an integer >= 0 (0: no limit)");
}

function invalid(name: string, value: unknown, expected: string): never {
  throw new BrokerError("INVALID_OPTIONS", `${name} must be ${expected}, got ${value}`);
}
