import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Server } from "bun";
import { parseEther, ZeroAddress } from "ethers";
import type { Browser } from "playwright-core";
import { buildClient } from "../../../scripts/build-client";
import { devAccount } from "../../contracts-bindings";
import { nodeChannel, waitFor } from "../../e2e/expectations";
import { type Stack, startStack } from "../../e2e/stack";
import { CHROMIUM_MISSING, launchBrowser, openPage, screenshot } from "../../testing/browser";
import type { ConnextClient } from "..";

/**
 * The browser bundle in headless Chromium (playwright-core, src/testing/browser.ts): a page
 * served from its own origin imports dist/client/browser.js, and its client signs in over HTTP
 * (CORS), reaches the node's NATS over WebSocket, sets its channel up in IndexedDB, deposits
 * on anvil and pays a Bun client. Its screenshot: artifacts/client-in-a-browser.png.
 */
if (CHROMIUM_MISSING) console.warn(`\n  ${CHROMIUM_MISSING}\n`);

interface Outcome {
  ok: boolean;
  error?: string;
  origin: string;
  userAgent: string;
  identifier: string;
  channelAddress: string;
  setupNonce: number;
  nonce: number;
  store: string;
  stored: boolean;
  status: string;
  balance: { user: string; node: string };
}

describe.skipIf(CHROMIUM_MISSING !== undefined)("the browser bundle in Chromium", () => {
  let dir: string;
  let stack: Stack;
  let browser: Browser;
  let server: Server<undefined>;
  let payee: ConnextClient;
  const reports: ((outcome: Outcome) => void)[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "connext-browser-compat-"));
    const build = join(dir, "dist");
    [stack, , browser] = await Promise.all([startStack(), buildClient(build), launchBrowser()]);
    payee = await stack.client(2);
    const page = Bun.file(join(import.meta.dir, "fixtures/page.html"));
    server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      routes: {
        "/": () => new Response(page, { headers: { "content-type": "text/html" } }),
        "/browser.js": () => new Response(Bun.file(join(build, "browser.js"))),
        "/browser.js.map": () => new Response(Bun.file(join(build, "browser.js.map"))),
        "/report": {
          POST: async (request) => {
            const outcome = (await request.json()) as Outcome;
            for (const report of reports.splice(0)) report(outcome);
            return new Response(null, { status: 204 });
          },
        },
      },
      fetch: () => new Response("not found", { status: 404 }),
    });
  }, 60_000);

  afterAll(async () => {
    server?.stop(true);
    await browser?.close();
    await stack?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("the bundle keeps noble's secp256k1: the native loader (bun:ffi) is replaced by a stub", async () => {
    const code = await Bun.file(join(dir, "dist/browser.js")).text();
    expect(code).toContain("secp256k1 stays noble");
    expect(code).not.toContain("dlopen");
    expect(code).not.toContain("libsecp256k1.so");
  });

  test("a page signs in, sets its channel up over WebSocket, deposits and pays", async () => {
    const user = devAccount(3);
    const deposit = parseEther("0.5");
    const amount = parseEther("0.1");
    const query = new URLSearchParams({
      key: user.privateKey,
      node: stack.node.httpUrl,
      rpc: stack.anvil.rpcUrl,
      payee: payee.identifier,
      deposit: deposit.toString(),
      amount: amount.toString(),
    });
    const { page, console: pageConsole } = await openPage(browser);
    const reported = new Promise<Outcome>((resolve) => reports.push(resolve));
    await page.goto(`${server.url}?${query}`);
    const outcome = await Promise.race([reported, Bun.sleep(45_000).then(() => undefined)]);
    await screenshot(page, "client-in-a-browser");
    const pageLog = pageConsole.join("\n    ");
    if (!outcome)
      throw new Error(`the page reported nothing in 45 s; its console:\n    ${pageLog}`);
    if (!outcome.ok) throw new Error(`the page failed: ${outcome.error}\n    ${pageLog}`);
    console.log(`  ${outcome.userAgent}\n    ${pageLog}`);

    expect(new URL(outcome.origin).origin).not.toBe(new URL(stack.node.httpUrl).origin);
    expect(outcome.userAgent).toContain("HeadlessChrome");
    expect(stack.node.messagingWsUrl).toStartWith("ws://");
    expect(outcome.identifier).toBe(user.address);
    expect(outcome.setupNonce).toBe(1);
    expect(outcome.store).toBe("indexeddb");
    expect(outcome.stored).toBe(true);
    expect(outcome.status).toBe("completed");
    expect(BigInt(outcome.balance.user)).toBe(deposit - amount);
    expect(BigInt(outcome.balance.node)).toBe(amount);
    expect(await stack.provider.getBalance(outcome.channelAddress)).toBe(deposit);
    const theirs = await nodeChannel(stack, 3);
    expect(theirs.channelAddress).toBe(outcome.channelAddress);
    expect(theirs.nonce).toBe(outcome.nonce);
    await waitFor(() => payee.getBalance(ZeroAddress).user === amount);
  }, 60_000);
});
