import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Server } from "bun";
import { Hono } from "hono";
import type { ApiEnv } from "../types";
import { type DevFunding, WALLET_CSP, walletRoutes } from ".";

/** The wallet's routes on a bare Hono app: the page, its assets, the chain proxy, dev funding. */

let upstream: Server<undefined>;
const forwarded: unknown[] = [];

beforeAll(() => {
  // A chain that answers every call with its method's name.
  upstream = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const body = (await request.json()) as
        | { id: number; method: string }
        | { id: number; method: string }[];
      forwarded.push(body);
      const answer = (call: { id: number; method: string }) => ({
        jsonrpc: "2.0",
        id: call.id,
        result: call.method,
      });
      return Response.json(Array.isArray(body) ? body.map(answer) : answer(body));
    },
  });
});

afterAll(() => upstream?.stop(true));

function app(devFunding?: DevFunding): Hono<ApiEnv> {
  const hono = new Hono<ApiEnv>();
  hono.onError((error, c) => c.json({ message: String(error) }, 400));
  walletRoutes(hono, { ethRpcUrl: upstream.url.href, ...(devFunding ? { devFunding } : {}) });
  return hono;
}

const rpc = (hono: Hono<ApiEnv>, body: unknown) =>
  hono.request("/wallet/rpc", { method: "POST", body: JSON.stringify(body) });

describe("the wallet page", () => {
  test("is HTML under a strict CSP, with no inline script or style, linking versioned assets", async () => {
    const hono = app();
    const response = await hono.request("/wallet");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(response.headers.get("content-security-policy")).toBe(WALLET_CSP);
    expect(WALLET_CSP).toContain("script-src 'self'");
    expect(WALLET_CSP).not.toContain("unsafe");
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    const html = await response.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style/);
    expect(html).not.toMatch(/\son[a-z]+=/);
    expect(html).not.toMatch(/\sstyle=/);
    expect(html).toContain('data-dev-funding="off"');
    const links = [...html.matchAll(/(?:src|href)="(\/wallet\/assets\/[^"]+)"/g)].map(
      (m) => m[1] as string,
    );
    expect(links.map((l) => l.split("/").pop())).toEqual([
      "pico.min.css",
      "wallet.css",
      "wallet.js",
    ]);
    for (const link of links) {
      const asset = await hono.request(link);
      expect(asset.status).toBe(200);
      expect(asset.headers.get("cache-control")).toContain("immutable");
      expect(asset.headers.get("content-type")).toMatch(
        link.endsWith(".js") ? /javascript/ : /text\/css/,
      );
      expect((await asset.text()).length).toBeGreaterThan(1000);
    }
    expect((await hono.request("/wallet/assets/000000000000/wallet.js")).status).toBe(404);
  }, 60_000);

  test("the script is self-contained: no imports, no node: modules", async () => {
    const html = await (await app().request("/wallet")).text();
    const path = html.match(/src="(\/wallet\/assets\/[^"]+\.js)"/)?.[1] as string;
    const script = await (await app().request(path)).text();
    // Matches only, never the 900 kB script, in a failure's message.
    const imports = [
      ...script.matchAll(/\b(?:import|export)\b[^;"'`]*?\bfrom\s*["']([^"']+)["']/g),
      ...script.matchAll(/\bimport\s*\(\s*["'`]([^"'`]+)["'`]\s*\)/g),
    ].map((m) => m[1]);
    expect(imports).toEqual([]);
    expect(script.match(/["'`](?:node|bun):[a-z_/]+["'`]/)?.[0]).toBeUndefined();
  }, 60_000);
});

describe("POST /wallet/rpc", () => {
  test("passes the wallet's calls to the chain, batches too", async () => {
    const hono = app();
    const single = await rpc(hono, { jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] });
    expect(await single.json()).toEqual({ jsonrpc: "2.0", id: 1, result: "eth_chainId" });
    const batch = await rpc(hono, [
      { jsonrpc: "2.0", id: 1, method: "eth_getBalance", params: [] },
      { jsonrpc: "2.0", id: 2, method: "eth_sendRawTransaction", params: ["0x00"] },
    ]);
    expect(((await batch.json()) as { result: string }[]).map((r) => r.result)).toEqual([
      "eth_getBalance",
      "eth_sendRawTransaction",
    ]);
  });

  test("a client past its call budget (600 at once, 100 a second) is refused until it refills", async () => {
    const hono = app();
    const batch = Array.from({ length: 100 }, (_, id) => ({ id, method: "eth_chainId" }));
    for (let i = 0; i < 6; i++) expect((await rpc(hono, batch)).status).toBe(200);
    const refused = await rpc(hono, { jsonrpc: "2.0", id: 1, method: "eth_chainId" });
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: { code: number } }).error.code).toBe(-32005);
  });

  test("refuses what would sign with the chain's accounts or change its state, and junk", async () => {
    const hono = app();
    forwarded.length = 0;
    for (const method of [
      "eth_sendTransaction",
      "eth_sign",
      "anvil_setBalance",
      "evm_mine",
      "personal_sign",
    ]) {
      const response = await rpc(hono, { jsonrpc: "2.0", id: 7, method, params: [] });
      expect(response.status).toBe(403);
      expect(((await response.json()) as { error: { code: number } }).error.code).toBe(-32601);
    }
    const mixed = await rpc(hono, [
      { jsonrpc: "2.0", id: 1, method: "eth_chainId" },
      { jsonrpc: "2.0", id: 2, method: "eth_sendTransaction" },
    ]);
    expect(mixed.status).toBe(403);
    expect((await hono.request("/wallet/rpc", { method: "POST", body: "{" })).status).toBe(400);
    expect((await rpc(hono, [])).status).toBe(400);
    expect(
      (
        await rpc(
          hono,
          Array.from({ length: 101 }, (_, id) => ({ id, method: "eth_chainId" })),
        )
      ).status,
    ).toBe(400);
    expect(forwarded).toEqual([]);
  });
});

describe("POST /dev/fund", () => {
  test("does not exist without dev funding (connext-node start)", async () => {
    const hono = app();
    const response = await hono.request("/dev/fund", {
      method: "POST",
      body: JSON.stringify({ address: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" }),
    });
    expect(response.status).toBe(404);
    expect(await (await hono.request("/wallet")).text()).toContain('data-dev-funding="off"');
  });

  test("with dev funding: funds a checksummed address, refuses a malformed one", async () => {
    const funded: string[] = [];
    const hono = app(async (address) => {
      funded.push(address);
      return { address, eth: { amount: "1", transactionHash: "0x01" } };
    });
    expect(await (await hono.request("/wallet")).text()).toContain('data-dev-funding="on"');
    const ok = await hono.request("/dev/fund", {
      method: "POST",
      body: JSON.stringify({ address: "0x70997970c51812dc3a010c7d01b50e0d17dc79c8" }),
    });
    expect(ok.status).toBe(200);
    expect(funded).toEqual(["0x70997970C51812dc3A010C7d01b50e0d17dc79C8"]);
    const bad = await hono.request("/dev/fund", {
      method: "POST",
      body: JSON.stringify({ address: "0x12" }),
    });
    expect(bad.status).toBeGreaterThanOrEqual(400);
    expect(funded).toHaveLength(1);
  });
});

describe("the wallet's source", () => {
  test("never parses data as HTML: no innerHTML, outerHTML, insertAdjacentHTML or document.write", async () => {
    const glob = new Bun.Glob("**/*.ts");
    const dir = new URL("../../../wallet/", import.meta.url).pathname;
    let files = 0;
    for await (const file of glob.scan(dir)) {
      files++;
      const source = await Bun.file(`${dir}${file}`).text();
      expect({
        file,
        found: source.match(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/g),
      }).toEqual({
        file,
        found: null,
      });
    }
    expect(files).toBeGreaterThan(3);
  });
});
