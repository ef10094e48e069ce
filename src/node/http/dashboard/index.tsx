/** @jsxImportSource hono/jsx */
import { Hono } from "hono";
import { assetRoutes } from "./assets";
import { authRoutes, type DashboardEnv } from "./auth";
import { channelRoutes } from "./channels";
import { collateralRoutes } from "./collateral";
import { LatencyHistory } from "./latency";
import { Layout } from "./layout";
import { loadOverview, Overview, OverviewLive } from "./overview";
import { paymentRoutes } from "./payments";
import { SessionStore } from "./sessions";
import { transactionRoutes } from "./transactions";
import type { DashboardDeps } from "./types";

export type { DashboardDeps } from "./types";

/**
 * The operator's dashboard (issue 14): server-rendered pages under /dashboard behind a sign-in
 * with ADMIN_TOKEN, and their static files under /assets. Without `deps` (no ADMIN_TOKEN) the
 * pages say how to turn it on.
 *
 * @example
 * app.route("/", dashboardApp(deps.dashboard));
 */
export function dashboardApp(deps: DashboardDeps | undefined): Hono<DashboardEnv> {
  const app = new Hono<DashboardEnv>();
  assetRoutes(app);
  if (deps === undefined) {
    const off = (c: import("hono").Context) =>
      c.html(
        <Layout title="Dashboard off">
          <article>
            <h2>The dashboard is off</h2>
            <p>
              Start the node with <code>ADMIN_TOKEN</code> (or <code>--admin-token</code>) to sign
              in here; <code>connext-node dev</code> creates one when none is set.
            </p>
          </article>
        </Layout>,
        404,
      );
    app.get("/dashboard", off);
    app.get("/dashboard/*", off);
    return app;
  }
  const sessions = new SessionStore(deps.now ? { now: deps.now } : {});
  const latency = deps.latency ?? new LatencyHistory(deps.registry);
  authRoutes(app, sessions, deps.adminToken);

  app.get("/dashboard", async (c) =>
    c.html(
      <Layout title="Overview" csrf={c.get("session").csrf} current="/dashboard">
        <Overview data={await loadOverview(deps, latency)} />
      </Layout>,
    ),
  );
  app.get("/dashboard/live/overview", async (c) =>
    c.html(<OverviewLive data={await loadOverview(deps, latency, false)} />),
  );
  channelRoutes(app, deps);
  paymentRoutes(app, deps);
  collateralRoutes(app, deps);
  transactionRoutes(app, deps);
  return app;
}
