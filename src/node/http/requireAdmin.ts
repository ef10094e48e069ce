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
 * Lets a request through only with `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant
 * time; 401 otherwise. An empty token is a configuration error, refused at construction.
 *
 * @example
 * app.use("/admin/*", requireAdmin(settings.adminToken));
 */
export function requireAdmin(token: string): MiddlewareHandler<ApiEnv> {
  if (token.length === 0) throw new Error("the admin token must not be empty");
  const expected = digest(token);
  return async function authenticateAdmin(c, next) {
    const header = c.req.header("Authorization");
    const presented = header === undefined ? undefined : BEARER.exec(header)?.[1];
    if (presented === undefined) {
      throw new ApiError(401, "UNAUTHORIZED", "send Authorization: Bearer <ADMIN_TOKEN>");
    }
    if (!timingSafeEqual(digest(presented), expected)) {
      throw new ApiError(401, "INVALID_TOKEN", "not the node's admin token");
    }
    await next();
  };
}

/** Every /admin route when the node runs without ADMIN_TOKEN: 404 ADMIN_DISABLED. */
export function adminDisabled(): MiddlewareHandler<ApiEnv> {
  return async function refuseAdmin() {
    throw new ApiError(
      404,
      "ADMIN_DISABLED",
      "the admin API is off: start the node with ADMIN_TOKEN to turn it on",
    );
  };
}
