import type { OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { bearer, describe, json, refusals } from "../openapi";
import { healthSchema, publicConfigSchema } from "../publicConfigSchema";
import { webSocketUrlAt } from "../publicOrigin";
import { requireToken } from "../requireToken";
import type { ApiDeps, ApiEnv, HealthReport, NodePublicConfig } from "../types";

/**
 * Routes about the node itself: health and configuration (public), and metrics, public on a
 * private network or behind `Authorization: Bearer <METRICS_TOKEN>` when the node has one.
 */
export function metaRoutes(
  app: OpenAPIHono<ApiEnv>,
  deps: Pick<ApiDeps, "config" | "health" | "metrics" | "metricsToken" | "logger" | "trustProxy">,
): void {
  describe(app, {
    method: "get",
    path: "/health",
    summary: "Whether the node's database, chain and messaging answer",
    responses: {
      200: json("all is well: one check per dependency", healthSchema),
      503: json("something is down", healthSchema),
    },
  });
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

  describe(app, {
    method: "get",
    path: "/config",
    summary: "What anyone may learn about the node before signing in",
    responses: {
      200: json("identifier, chain, contracts, assets, messaging URLs, limits", publicConfigSchema),
    },
  });
  app.get("/config", (c) => {
    const config = deps.config();
    return c.json(deps.trustProxy === true ? asReached(config, c.get("origin")) : config);
  });

  const metricsAccess: MiddlewareHandler<ApiEnv> =
    deps.metricsToken === undefined
      ? (_c, next) => next()
      : requireToken(deps.metricsToken, "METRICS_TOKEN");
  describe(app, {
    method: "get",
    path: "/metrics",
    summary: "Prometheus metrics",
    ...(deps.metricsToken === undefined ? {} : { security: bearer("metricsToken") }),
    responses: {
      200: {
        description: "the Prometheus text format",
        content: { "text/plain": { schema: { type: "string" } } },
      },
      ...refusals({ 401: "METRICS_TOKEN is set and the request does not carry it" }),
    },
  });
  app.get("/metrics", metricsAccess, async (c) => {
    const { registry } = deps.metrics;
    return c.body(await registry.metrics(), 200, { "Content-Type": registry.contentType });
  });
}

/**
 * Behind a trusted proxy the browser's WebSocket URL is on the origin the client reached
 * (`wss://` through a TLS proxy), not the address the node listens on.
 */
function asReached(config: NodePublicConfig, origin: string): NodePublicConfig {
  if (config.messagingWsUrl === undefined) return config;
  const path = new URL(config.messagingWsUrl).pathname;
  return { ...config, messagingWsUrl: webSocketUrlAt(origin, path) };
}
