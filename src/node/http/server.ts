import type { Server, WebSocketHandler } from "bun";
import type { Hono } from "hono";

/** Backstop for Bun itself; the API's own limit (16 KiB) answers first with a JSON 413. */
const MAX_REQUEST_BYTES = 1024 * 1024;
/** How long `stop()` waits for requests in flight before closing their connections. */
const STOP_GRACE_MS = 10_000;

export interface WebSocketRoute {
  /** e.g. "/messaging" */
  path: string;
  /** `Broker.websocket.upgrade`: true when the request became a WebSocket. */
  upgrade(request: Request, server: Server<unknown>): boolean;
  handlers: WebSocketHandler<unknown>;
}

export interface HttpServerOptions {
  // biome-ignore lint/suspicious/noExplicitAny: any Hono environment serves the same way
  app: Hono<any>;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Mounts NATS-over-WebSocket on the same origin as the API. */
  websocket?: WebSocketRoute;
}

export interface HttpServer {
  /** `http://host:port` */
  url: string;
  port: number;
  /**
   * Stops accepting, lets requests in flight finish (10 s at most), then closes every
   * connection, WebSockets included.
   */
  stop(): Promise<void>;
}

/**
 * Serves the API with Bun.serve; requests to `websocket.path` are upgraded and handed to the
 * broker (browsers reach the messaging on the API's own origin).
 *
 * @example
 * const server = startHttpServer({
 *   app: createApi(deps),
 *   host: "127.0.0.1",
 *   port: 8080,
 *   websocket: { path: "/messaging", ...broker.websocket },
 * });
 */
export function startHttpServer({ app, host, port, websocket }: HttpServerOptions): HttpServer {
  const server = Bun.serve({
    hostname: host,
    port,
    maxRequestBodySize: MAX_REQUEST_BYTES,
    fetch(request, srv) {
      if (websocket !== undefined && new URL(request.url).pathname === websocket.path) {
        if (websocket.upgrade(request, srv)) return undefined;
        return Response.json(
          { code: "UPGRADE_REQUIRED", message: `${websocket.path} takes WebSocket connections` },
          { status: 426, headers: { Upgrade: "websocket" } },
        );
      }
      return app.fetch(request, { server: srv });
    },
    // Without a route nothing is ever upgraded; Bun's types still want handlers when fetch may
    // return undefined.
    websocket: websocket?.handlers ?? { message() {} },
  });
  const boundPort = server.port as number;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${boundPort}`,
    port: boundPort,
    async stop() {
      // Not awaited: Bun's graceful stop also waits for every WebSocket (the broker's clients)
      // and idle keep-alive connection to end, which may be never.
      void server.stop(false);
      const deadline = Date.now() + STOP_GRACE_MS;
      while (server.pendingRequests > 0 && Date.now() < deadline) await Bun.sleep(10);
      await server.stop(true);
    },
  };
}
