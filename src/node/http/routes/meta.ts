import type { Hono, MiddlewareHandler } from "hono";
import { requireToken } from "../requireToken";
import type { ApiDeps, ApiEnv, HealthReport } from "../types";

/**
 * Routes about the node itself: health and configuration (public), and metrics, public on a
 * private network or behind `Authorization: Bearer <METRICS_TOKEN>` when the node has one.
 */
export function metaRoutes(
  app: Hono<ApiEnv>,
  deps: Pick<ApiDeps, "config" | "health" | "metrics" | "metricsToken" | "logger">,
): void {
  app.get("/health", async (c) => {
    let report: HealthReport;
    try {
      report = await deps.health();
    } catch (error) {
      deps.logger.error({ err: error }, "health check failed");
      report = { ok: false, checks: { health: "the health check itself failed" } };
    }
    return c.json(report, report.ok ? 200 : 503);
  });

  app.get("/config", (c) => c.json(deps.config()));

  const metricsAccess: MiddlewareHandler<ApiEnv> =
    deps.metricsToken === undefined
      ? (_c, next) => next()
      : requireToken(deps.metricsToken, "METRICS_TOKEN");
  app.get("/metrics", metricsAccess, async (c) => {
    const { registry } = deps.metrics;
    return c.body(await registry.metrics(), 200, { "Content-Type": registry.contentType });
  });
}
