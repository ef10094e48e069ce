import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { ApiError, errorResponse, toApiError } from "./errors";
import { requestLog } from "./requestLog";
import { adminRoutes } from "./routes/admin";
import { authRoutes } from "./routes/auth";
import { identityRoutes } from "./routes/identities";
import { metaRoutes } from "./routes/meta";
import { userRoutes } from "./routes/user";
import type { ApiDeps, ApiEnv } from "./types";
import { walletRoutes } from "./wallet";

/** No route takes more than a signed sign-in message; anything larger is refused before parsing. */
export const MAX_BODY_BYTES = 16 * 1024;

/**
 * The node's HTTP API: health, public config, sign-in (EIP-4361), users' public keys, the
 * signed-in user's channel, transfers and payments, Prometheus metrics (METRICS_TOKEN, if
 * set), and the operator's admin routes (ADMIN_TOKEN; routes/admin.ts). Every error is JSON
 * `{ code, message }`.
 *
 * @example
 * const app = createApi({ config, auth, signIn, identities, reads, health, metrics, logger });
 * const server = startHttpServer({ app, host: "127.0.0.1", port: 8080 });
 */
export function createApi(deps: ApiDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();

  app.use(requestLog(deps.logger));
  // Bearer tokens, not cookies: any origin may call (a wallet app on its own domain).
  app.use(
    cors({
      origin: "*",
      allowMethods: ["GET", "POST", "PUT", "DELETE", "OPTIONS"],
      allowHeaders: ["Authorization", "Content-Type"],
      maxAge: 600,
    }),
  );
  app.use(
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) =>
        errorResponse(
          c,
          new ApiError(413, "PAYLOAD_TOO_LARGE", `bodies are limited to ${MAX_BODY_BYTES} bytes`),
        ),
    }),
  );

  metaRoutes(app, deps);
  authRoutes(app, deps);
  identityRoutes(app, deps);
  userRoutes(app, deps);
  adminRoutes(app, deps);
  walletRoutes(app, deps.wallet);

  app.notFound((c) =>
    errorResponse(c, new ApiError(404, "NOT_FOUND", `no route for ${c.req.method} ${c.req.path}`)),
  );
  app.onError((error, c) => {
    const known = toApiError(error);
    if (known !== undefined) return errorResponse(c, known);
    deps.logger.error(
      { err: error, method: c.req.method, path: c.req.path },
      "http handler failed",
    );
    return errorResponse(c, new ApiError(500, "INTERNAL", "internal error"));
  });

  return app;
}
