import type { Server, ServerWebSocket, WebSocketHandler } from "bun";
import type { Connection, Transport } from "./connection";
import { CLOSE_REASONS, type CloseReason } from "./errors";
import type { BrokerCore } from "./server";

/**
 * NATS over WebSocket, as nats-server's websocket listener (no_tls) carries it: the same
 * protocol bytes in binary (or text) messages, frames free to span messages either way.
 */

interface WsData {
  ip: string;
  conn: Connection | undefined;
}

export interface WebSocketMount {
  upgrade(request: Request, server: Server<unknown>): boolean;
  handlers: WebSocketHandler<unknown>;
}

export function websocketMount(core: BrokerCore): WebSocketMount {
  const { maxPayload, maxControlLine } = core.options;
  const handlers: WebSocketHandler<WsData> = {
    open(ws) {
      ws.data.conn = core.open(wsTransport(ws), ws.data.ip || ws.remoteAddress);
    },
    message(ws, message) {
      ws.data.conn?.receive(typeof message === "string" ? Buffer.from(message) : message);
    },
    drain(ws) {
      ws.data.conn?.drained();
    },
    close(ws) {
      ws.data.conn?.transportClosed();
    },
    // A message may carry a whole PUB (and clients batch several); NATS limits apply inside.
    maxPayloadLength: Math.max(16 * 1024 * 1024, 2 * (maxPayload + maxControlLine)),
    // The broker applies maxPendingBytes itself; Bun must never drop a send.
    backpressureLimit: 0,
    closeOnBackpressureLimit: false,
    // Liveness is NATS's PING/PONG, as with nats-server.
    idleTimeout: 0,
    sendPings: false,
    perMessageDeflate: false,
  };
  return {
    upgrade(request, server) {
      const ip = server.requestIP(request)?.address ?? "";
      const data: WsData = { ip, conn: undefined };
      return (server as Server<WsData>).upgrade(request, { data });
    },
    handlers: handlers as WebSocketHandler<unknown>,
  };
}

/** A standalone WebSocket listener (`websocketPort`) for the mount above. */
export function serveWebSocket(
  core: BrokerCore,
  mount: WebSocketMount,
  port: number,
): Server<unknown> {
  return Bun.serve({
    hostname: core.options.host,
    port,
    fetch(request, server) {
      if (mount.upgrade(request, server)) return undefined;
      return new Response("NATS WebSocket endpoint: connect with a WebSocket client\n", {
        status: 400,
      });
    },
    websocket: mount.handlers,
  });
}

function wsTransport(ws: ServerWebSocket<WsData>): Transport {
  return {
    // Bun copies what it cannot send at once into its own buffer (counted by held()).
    write: (bytes, start, end) =>
      ws.sendBinary(bytes.subarray(start, end)) === 0 ? -1 : end - start,
    held: () => ws.getBufferedAmount(),
    close: (reason: CloseReason) => {
      const [code, text] = CLOSE_REASONS[reason].ws;
      ws.close(code, text);
    },
    pause: () => ws.pause(),
    resume: () => ws.resume(),
  };
}
