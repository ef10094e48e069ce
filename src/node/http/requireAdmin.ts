import type { MiddlewareHandler } from "hono";
import { ApiError } from "./errors";
import { requireToken } from "./requireToken";
import type { ApiEnv } from "./types";

/**
 * Lets a request through only with `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant
 * time; 401 otherwise. An empty token is a configuration error, refused at construction.
 *
 * @example
 * app.use("/admin/*", requireAdmin(settings.adminToken));
 */
export function requireAdmin(token: string): MiddlewareHandler<ApiEnv> {
  return requireToken(token, "ADMIN_TOKEN");
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
