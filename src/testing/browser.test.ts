import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import type { Browser } from "playwright-core";
import { createApi } from "../node/http/api";
import { stubApiDeps } from "../node/http/testing";
import { CHROMIUM_MISSING, launchBrowser, openPage, PHONE, screenshot } from "./browser";

/**
 * The shared browser helper, and what the security headers do in a real browser: the node's
 * landing page renders, and a script injected inline is blocked by its CSP.
 */
if (CHROMIUM_MISSING) console.warn(`\n  ${CHROMIUM_MISSING}\n`);

describe.skipIf(CHROMIUM_MISSING !== undefined)("the browser helper", () => {
  let browser: Browser;
  let server: ReturnType<typeof Bun.serve>;
  const app = createApi(stubApiDeps());
  // A route as a careless page would write it: an inline script, which the CSP must block.
  app.get("/inline", (c) =>
    c.html(
      '<!doctype html><p id="p">safe</p><script>document.getElementById("p").textContent = "ran"</script>',
    ),
  );

  beforeAll(async () => {
    server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: app.fetch });
    browser = await launchBrowser();
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    server?.stop(true);
  });

  test("opens the landing page in a phone-sized window and saves a screenshot", async () => {
    const { page } = await openPage(browser, PHONE);
    await page.goto(`${server.url}`);
    expect(await page.textContent("h1")).toBe("Connext node");
    expect(await page.getAttribute('a[href="/wallet"]', "href")).toBe("/wallet");
    const path = await screenshot(page, "landing-page");
    expect(existsSync(path)).toBe(true);
    await page.context().close();
  }, 30_000);

  test("an inline script does not run under the node's CSP, and the console says why", async () => {
    const { page, console } = await openPage(browser);
    await page.goto(`${server.url}inline`);
    expect(await page.textContent("#p")).toBe("safe");
    expect(console.join("\n")).toContain("Content Security Policy");
    await page.context().close();
  }, 30_000);
});
