import pico from "@picocss/pico/css/pico.min.css" with { type: "text" };
import picoPackage from "@picocss/pico/package.json";
import type { Hono } from "hono";
import htmx from "htmx.org/dist/htmx.min.js" with { type: "text" };
import htmxPackage from "htmx.org/package.json";
import packageJson from "../../../../package.json";
import dashboardCss from "../../../../public/dashboard.css" with { type: "text" };

/**
 * The dashboard's static files, read at build time (text imports), so the compiled binary
 * serves them offline: Pico CSS and htmx from their npm packages, and our own stylesheet from
 * public/. Each path names its version, so browsers may keep them for good.
 */
export const ASSETS = {
  pico: `/assets/pico-${picoPackage.version}/pico.min.css`,
  htmx: `/assets/htmx-${htmxPackage.version}/htmx.min.js`,
  css: `/assets/connext-${packageJson.version}/dashboard.css`,
} as const;

const FILES: [path: string, body: string, type: string][] = [
  [ASSETS.pico, pico, "text/css; charset=utf-8"],
  [ASSETS.htmx, htmx, "text/javascript; charset=utf-8"],
  [ASSETS.css, dashboardCss, "text/css; charset=utf-8"],
];

// biome-ignore lint/suspicious/noExplicitAny: mounts on any Hono environment
export function assetRoutes(app: Hono<any>): void {
  for (const [path, body, type] of FILES) {
    app.get(path, (c) =>
      c.body(body, 200, {
        "Content-Type": type,
        "Cache-Control": "public, max-age=31536000, immutable",
        "X-Content-Type-Options": "nosniff",
      }),
    );
  }
}
