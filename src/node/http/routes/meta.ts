import type { Hono } from "hono";
import type { ApiDeps, ApiEnv, HealthReport } from "../types";

/** Public routes about the node itself: health, configuration, metrics. */
export function metaRoutes(
  app: Hono<ApiEnv>,
  deps: Pick<ApiDeps, "config" | "health" | "metrics" | "logger">,
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

  app.get("/metrics", async (c) => {
    const { registry } = deps.metrics;
    return c.body(await registry.metrics(), 200, { "Content-Type": registry.contentType });
  });
}
