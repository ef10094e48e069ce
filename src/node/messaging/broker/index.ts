import { BrokerError } from "./errors";
import { newServerId } from "./info";
import { resolveOptions } from "./options";
import { BrokerCore } from "./server";
import { listenTcp } from "./tcp";
import type { Broker, BrokerOptions } from "./types";
import { serveWebSocket, websocketMount } from "./websocket";

export { BrokerError, type BrokerErrorCode } from "./errors";
export type * from "./types";

/**
 * Starts the embedded NATS broker: a TCP listener (and, with `websocketPort`, a standalone
 * WebSocket listener) that the official NATS clients treat as nats-server.
 *
 * @example
 * const broker = await startBroker({ port: 4222 });
 * const nc = await connect({ servers: broker.url });
 * // ...
 * await broker.stop();
 */
export async function startBroker(options: BrokerOptions = {}): Promise<Broker> {
  const resolved = resolveOptions(options);
  const serverId = newServerId();
  const core = new BrokerCore(resolved, {
    serverId,
    serverName: resolved.serverName ?? serverId,
    host: resolved.host,
    port: resolved.port,
    maxPayload: resolved.maxPayload,
    authRequired: resolved.authenticate !== undefined,
  });

  const tcp = listen("TCP", resolved.port, () => listenTcp(core));
  core.info.port = tcp.port;
  core.addListener({ stop: (force) => tcp.stop(force) });

  const mount = websocketMount(core);
  let websocketUrl: string | undefined;
  if (resolved.websocketPort !== undefined) {
    const port = resolved.websocketPort;
    const ws = listen(
      "WebSocket",
      port,
      () => serveWebSocket(core, mount, port),
      () => {
        tcp.stop(true);
      },
    );
    websocketUrl = `ws://${urlHost(resolved.host)}:${ws.port}`;
    core.addListener({ stop: (force) => void ws.stop(force) });
  }

  return {
    url: `nats://${urlHost(resolved.host)}:${tcp.port}`,
    port: tcp.port,
    websocketUrl,
    websocket: mount,
    connectionCount: () => core.connections.size,
    stats: () => core.stats(),
    stop: () => core.stop(),
  };
}

function listen<T>(kind: string, port: number, start: () => T, undo?: () => void): T {
  try {
    return start();
  } catch (cause) {
    undo?.();
    throw new BrokerError("LISTEN_FAILED", `cannot listen for ${kind} on port ${port}`, { cause });
  }
}

function urlHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}
