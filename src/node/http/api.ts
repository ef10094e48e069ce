import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { dashboardApp } from "./dashboard";
import { ApiError, errorResponse, toApiError } from "./errors";
import { serveOpenApi } from "./openapi";
import { publicOrigin } from "./publicOrigin";
import { requestLog } from "./requestLog";
import { adminRoutes } from "./routes/admin";
import { authRoutes } from "./routes/auth";
import { homeRoutes } from "./routes/home";
import { identityRoutes } from "./routes/identities";
import { metaRoutes } from "./routes/meta";
import { userRoutes } from "./routes/user";
import { securityHeaders } from "./securityHeaders";
import type { ApiDeps, ApiEnv } from "./types";
import { walletRoutes } from "./wallet";

/** No route takes more than a signed sign-in message; anything larger is refused before parsing. */
export const MAX_BODY_BYTES = 16 * 1024;

/**
 * The node's HTTP API: health, public config, sign-in (EIP-4361), users' public keys, the
 * signed-in user's channel, transfers and payments, Prometheus metrics (METRICS_TOKEN, if
 * set), and the operator's admin routes (ADMIN_TOKEN; routes/admin.ts). Every error is JSON
 * `{ code, message }`. `GET /` is the landing page, `GET /openapi.json` the API's document.
 *
 * Middleware runs in this order for every route, pages included: request log, security
 * headers (CSP, X-Frame-Options…), the client's origin (`c.get("origin")`, TRUST_PROXY), CORS,
 * body limit. Pages mounted later (dashboard, wallet) are registered after them and get them all.
 *
 * @example
 * const app = createApi({ config, auth, signIn, identities, reads, health, metrics, logger });
 * const server = startHttpServer({ app, host: "127.0.0.1", port: 8080 });
 */
export function createApi(deps: ApiDeps): OpenAPIHono<ApiEnv> {
  const app = new OpenAPIHono<ApiEnv>();

  app.use(requestLog(deps.logger));
  // Outside CORS and the body limit, so their refusals (and every 404/500) carry them too.
  app.use(securityHeaders());
  app.use(publicOrigin(deps.trustProxy === true));
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

  homeRoutes(app, deps);
  metaRoutes(app, deps);
  authRoutes(app, deps);
  identityRoutes(app, deps);
  userRoutes(app, deps);
  adminRoutes(app, deps);
  app.route("/", dashboardApp(deps.dashboard));
  walletRoutes(app, deps.wallet);
  serveOpenApi(app);

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
