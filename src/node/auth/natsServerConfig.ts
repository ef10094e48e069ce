import { encodeAccount, encodeOperator, type OperatorLimits } from "@nats-io/jwt";
import type { NatsKeys } from "./natsKeys";

/**
 * A nats-server configuration in operator mode (decentralised auth) for the node's account:
 * nats-server then accepts only user JWTs signed by the account's signing key, with the nkey's
 * signature over its nonce, and enforces each JWT's permissions — the same credentials and
 * rules as the embedded broker. The account JWTs are preloaded (`resolver: MEMORY`), so the
 * server needs nothing else; a node run with the same key issues JWTs it accepts.
 */
export interface NatsServerConfigOptions {
  /** Client listener; defaults 127.0.0.1:4222. */
  host?: string;
  port?: number;
  /** nats-server's `server_name` (each server of a cluster needs its own). */
  serverName?: string;
  /** A WebSocket listener for browsers (plain ws: put TLS in front); absent: none. */
  websocketPort?: number;
  /** A cluster listener on this port (same host); absent: a single server. */
  clusterPort?: number;
  /** Other servers' cluster listeners, `host:port` or `nats-route://host:port`. */
  routes?: readonly string[];
  /** The cluster's name, the same on every server; default "connext". */
  clusterName?: string;
  /** Shown in the file's header. */
  node?: string;
}

/** Unlimited, as nats-server reads -1; JetStream stays off (the project does not use it). */
const ACCOUNT_LIMITS: Partial<OperatorLimits> = {
  subs: -1,
  data: -1,
  payload: -1,
  imports: -1,
  exports: -1,
  wildcards: true,
  conn: -1,
  leaf: -1,
};

export async function natsServerConfig(
  keys: NatsKeys,
  options: NatsServerConfigOptions = {},
): Promise<string> {
  const system = keys.system.getPublicKey();
  const account = keys.account.getPublicKey();
  const operatorJwt = await encodeOperator("connext", keys.operator, { system_account: system });
  const systemJwt = await encodeAccount(
    "SYS",
    system,
    { limits: ACCOUNT_LIMITS },
    { signer: keys.operator },
  );
  const accountJwt = await encodeAccount(
    "connext",
    account,
    { limits: ACCOUNT_LIMITS, signing_keys: [keys.signing.getPublicKey()] },
    { signer: keys.operator },
  );
  const lines = [
    "# nats-server configuration written by `connext-node nats-config`",
    ...(options.node ? [`# for the node ${options.node}`] : []),
    "# Only user JWTs of the node's account are accepted: clients get theirs at sign-in.",
    "",
    ...(options.serverName ? [`server_name: ${quote(options.serverName)}`] : []),
    `host: ${quote(options.host ?? "127.0.0.1")}`,
    `port: ${options.port ?? 4222}`,
    "",
    `operator: ${operatorJwt}`,
    `system_account: ${system}`,
    "resolver: MEMORY",
    "resolver_preload: {",
    `  ${system}: ${quote(systemJwt)}`,
    `  ${account}: ${quote(accountJwt)}`,
    "}",
  ];
  if (options.websocketPort !== undefined) {
    lines.push(
      "",
      "websocket {",
      `  host: ${quote(options.host ?? "127.0.0.1")}`,
      `  port: ${options.websocketPort}`,
      "  no_tls: true",
      "}",
    );
  }
  if (options.clusterPort !== undefined) {
    const routes = (options.routes ?? []).map((route) =>
      quote(route.includes("://") ? route : `nats-route://${route}`),
    );
    lines.push(
      "",
      "cluster {",
      `  name: ${quote(options.clusterName ?? "connext")}`,
      `  host: ${quote(options.host ?? "127.0.0.1")}`,
      `  port: ${options.clusterPort}`,
      `  routes: [${routes.join(", ")}]`,
      "}",
    );
  }
  return `${lines.join("\n")}\n`;
}

/** A nats-server configuration string: JSON's quoting is a subset it reads. */
function quote(value: string): string {
  return JSON.stringify(value);
}
