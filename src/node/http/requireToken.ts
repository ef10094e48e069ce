import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { ApiError } from "./errors";
import type { ApiEnv } from "./types";

const BEARER = /^Bearer ([^\s]+)$/i;

/** Fixed-length digests, so comparing them takes the same time whatever the lengths. */
function digest(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}

/**
 * Lets a request through only with `Authorization: Bearer <token>` for an operator's token
 * (ADMIN_TOKEN, METRICS_TOKEN), compared in constant time; 401 UNAUTHORIZED without one,
 * 401 INVALID_TOKEN with another. An empty token is a configuration error, refused here.
 *
 * @example
 * app.get("/metrics", requireToken(settings.metricsToken, "METRICS_TOKEN"), serveMetrics);
 */
export function requireToken(token: string, setting: string): MiddlewareHandler<ApiEnv> {
  if (token.length === 0) throw new Error(`${setting} must not be empty`);
  const expected = digest(token);
  return async function authenticateOperator(c, next) {
    const header = c.req.header("Authorization");
    const presented = header === undefined ? undefined : BEARER.exec(header)?.[1];
    if (presented === undefined) {
      throw new ApiError(401, "UNAUTHORIZED", `send Authorization: Bearer <${setting}>`);
    }
    if (!timingSafeEqual(digest(presented), expected)) {
      throw new ApiError(401, "INVALID_TOKEN", `not the node's ${setting}`);
    }
    await next();
  };
}
