import type { MiddlewareHandler } from "hono";
import type { Logger } from "pino";

/** One debug line per request: method, path (no query: tokens never reach logs), status, time. */
export function requestLog(logger: Logger): MiddlewareHandler {
  return async function logRequest(c, next) {
    const started = performance.now();
    await next();
    logger.debug(
      {
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        durationMs: Math.round((performance.now() - started) * 100) / 100,
      },
      "http request",
    );
  };
}
