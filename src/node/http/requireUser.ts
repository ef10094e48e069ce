import type { MiddlewareHandler } from "hono";
import type { AuthService } from "../auth";
import { ApiError } from "./errors";
import type { ApiEnv } from "./types";

const BEARER = /^Bearer ([^\s]+)$/i;

/** Sets `user` from `Authorization: Bearer <token>`; 401 without a valid token. */
export function requireUser(auth: AuthService): MiddlewareHandler<ApiEnv> {
  return async function authenticateRequest(c, next) {
    const header = c.req.header("Authorization");
    const token = header === undefined ? undefined : BEARER.exec(header)?.[1];
    if (token === undefined) {
      throw new ApiError(401, "UNAUTHORIZED", "send Authorization: Bearer <token> from POST /auth");
    }
    c.set("user", auth.verifyToken(token));
    await next();
  };
}
