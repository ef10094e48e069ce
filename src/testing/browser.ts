import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import {
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  chromium,
  type Page,
} from "playwright-core";

/**
 * Headless Chromium for the browser tests (the client bundle, the dashboard, the wallet),
 * driven by playwright-core. It drives Debian's `chromium` (no downloaded browser: the
 * tests work offline and CI installs the package, .ci/run).
 *
 * @example
 * describe.skipIf(!CHROMIUM_BIN)("the wallet", () => {
 *   let browser: Browser;
 *   beforeAll(async () => { browser = await launchBrowser(); });
 *   afterAll(() => browser?.close());
 *   test("shows a balance", async () => {
 *     const { page, console } = await openPage(browser, { viewport: PHONE });
 *     await page.goto(`${node.httpUrl}/wallet`);
 *     await screenshot(page, "wallet-balance");
 *   });
 * });
 */

/** The Debian package that provides Chromium; .ci/run installs it. */
export const CHROMIUM_PACKAGE = "chromium";

/** A Chromium-family browser on this machine: $CHROMIUM_BIN, else the first one on PATH. */
export const CHROMIUM_BIN: string | undefined =
  process.env.CHROMIUM_BIN ??
  ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]
    .map((name) => Bun.which(name))
    .find((path) => path !== null) ??
  undefined;

/** Why a browser test is skipped on this machine, or undefined when Chromium is there. */
export const CHROMIUM_MISSING: string | undefined = CHROMIUM_BIN
  ? undefined
  : `SKIPPED: browser tests need Chromium; install the Debian package \`${CHROMIUM_PACKAGE}\` (apt-get install -y ${CHROMIUM_PACKAGE}) or set CHROMIUM_BIN.`;

/** Screenshots go here (git-ignored): look at them before calling a page done. */
export const ARTIFACTS_DIR = resolve(import.meta.dir, "../../artifacts");

/** A phone-sized window (the wallet must be usable in one). */
export const PHONE: BrowserContextOptions = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
};

export class BrowserTestError extends Error {
  override readonly name = "BrowserTestError";

  constructor(
    readonly code: "NO_CHROMIUM",
    message: string,
  ) {
    super(message);
  }
}

/** Starts headless Chromium; close it with `browser.close()`. */
export async function launchBrowser(executablePath = CHROMIUM_BIN): Promise<Browser> {
  if (!executablePath) {
    throw new BrowserTestError("NO_CHROMIUM", CHROMIUM_MISSING ?? "no Chromium");
  }
  return chromium.launch({
    executablePath,
    headless: true,
    // CI runs as root, where Chromium's sandbox refuses to start; containers have a small /dev/shm.
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
  });
}

export interface OpenedPage {
  page: Page;
  /** What the page logged and threw, in order ("log: …", "error: …", "exception: …"). */
  console: string[];
}

/**
 * A new page in its own context (own cookies and storage: two contexts are two users), or in
 * `context` when given one; its console is recorded for failure messages.
 */
export async function openPage(
  browser: Browser,
  options: BrowserContextOptions & { context?: BrowserContext } = {},
): Promise<OpenedPage> {
  const { context: given, ...contextOptions } = options;
  const context = given ?? (await browser.newContext(contextOptions));
  const page = await context.newPage();
  const console: string[] = [];
  page.on("console", (message) => {
    // Where an error or warning came from helps; every log line naming the page does not.
    const { url } = message.location();
    const where = url && message.type() !== "log" && message.type() !== "info" ? ` (${url})` : "";
    console.push(`${message.type()}: ${message.text()}${where}`);
  });
  page.on("pageerror", (error) => console.push(`exception: ${error.stack ?? error.message}`));
  page.on("requestfailed", (request) =>
    console.push(`requestfailed: ${request.url()} ${request.failure()?.errorText ?? ""}`),
  );
  return { page, console };
}

/** Saves a full-page PNG as artifacts/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name.replace(/[^A-Za-z0-9._-]+/g, "-")}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
