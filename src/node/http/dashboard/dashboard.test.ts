import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { getAddress, Wallet } from "ethers";
import type { Hono } from "hono";
import pino from "pino";
import { party } from "../../../protocol/testing/twoParties";
import { authSecretFromPrivateKey, createAuth, createSignIn } from "../../auth";
import { CollateralPolicies } from "../../engine/collateralPolicies";
import { createMetrics } from "../../metrics";
import { ChannelStore } from "../../store/channelStore";
import { CollateralSettingsRepository } from "../../store/collateralSettings";
import { type Database, openDatabase } from "../../store/database";
import { IdentityRepository } from "../../store/identities";
import { ReportRepository } from "../../store/reports";
import { payments, transfers } from "../../store/schema";
import { exchangeApplied, setupDraft } from "../../store/testing/channelFixture";
import { createApi } from "../api";
import type { ApiDeps, ApiEnv, NodePublicConfig } from "../types";
import { ASSETS } from "./assets";
import { csvCell, csvRow } from "./csv";
import { LatencyHistory, updateLatency } from "./latency";
import { SessionStore } from "./sessions";

/**
 * The dashboard through the node's whole API (`createApi`), requests made with `app.request`:
 * sign-in, sessions, CSRF, escaping, CSV, collateral edits, over PGlite in memory.
 */

const TOKEN = "a-dashboard-admin-token-0123456789";
const ETH = "0x0000000000000000000000000000000000000000";
const TST = getAddress("0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
const SCRIPT = `<script>alert("x")</script>`;
const nodeWallet = Wallet.createRandom();
const config: NodePublicConfig = {
  nodeIdentifier: nodeWallet.address,
  chainId: 31337,
  contractAddresses: {
    channelFactory: ETH,
    channelMastercopy: ETH,
    transferRegistry: ETH,
    hashlockTransfer: ETH,
    withdraw: ETH,
    threadTransfer: ETH,
    testToken: TST,
  },
  supportedAssets: [ETH, TST],
  messagingUrl: "nats://127.0.0.1:4222",
  protocolVersion: 1,
};
const secret = authSecretFromPrivateKey(nodeWallet.privateKey);

let database: Database;
let policies: CollateralPolicies;
let app: Hono<ApiEnv>;
let off: Hono<ApiEnv>;
let dashboard: ApiDeps["dashboard"];
/** The same dashboard behind a TLS-terminating proxy (TRUST_PROXY). */
let proxiedApp: Hono<ApiEnv>;
let channelAddress: string;
let user: string;
const topUps: string[] = [];
const PAYMENT_WITH_META = `0x${"ee".repeat(32)}`;

function baseDeps(): ApiDeps {
  return {
    config: () => config,
    auth: createAuth({ secret }),
    signIn: createSignIn({
      secret,
      site: () => ({ node: nodeWallet.address, chainId: 31337, publicUrl: "http://127.0.0.1" }),
    }),
    identities: new IdentityRepository(database.db),
    reads: { channel: async () => undefined, transfers: async () => [], payments: async () => [] },
    health: async () => ({ ok: true, checks: {} }),
    metrics: createMetrics(),
    logger: pino({ level: "silent" }),
  };
}

async function insertPayment(
  id: string,
  values: Partial<typeof payments.$inferInsert> = {},
): Promise<void> {
  await database.db.insert(payments).values({
    paymentId: id,
    senderTransferId: `0x${id.slice(2, 64)}01`,
    sender: user,
    recipient: getAddress(`0x${"12".repeat(20)}`),
    assetId: ETH,
    amount: "1000000000000000000",
    lockHash: `0x${"ab".repeat(32)}`,
    expiry: 0,
    status: "completed",
    ...values,
  });
}

beforeAll(async () => {
  database = await openDatabase();
  policies = await CollateralPolicies.load(new CollateralSettingsRepository(database.db), {
    [ETH]: { target: 10n ** 18n, reclaimThreshold: 5n * 10n ** 18n },
  });
  const store = new ChannelStore(database.db);
  const node = party(`0x${"11".repeat(32)}`);
  const bob = party(`0x${"22".repeat(32)}`);
  const { applied } = await exchangeApplied(node, bob, "user", setupDraft(node));
  await store.saveApplied(applied);
  channelAddress = applied.state.channelAddress;
  user = applied.state.bob;

  for (let i = 1; i <= 5; i++) {
    await insertPayment(`0x${i.toString(16).padStart(64, "0")}`, {
      status: i === 5 ? "failed" : "completed",
      amount: String(BigInt(i) * 10n ** 17n),
      ...(i === 5 ? { error: `=HYPERLINK("http://evil") ${SCRIPT}` } : {}),
    });
  }
  // A payment whose payer's transfer carries script in its metadata.
  const transferId = `0x${"ef".repeat(32)}`;
  await database.db.insert(transfers).values({
    transferId,
    channelAddress,
    transferDefinition: ETH,
    initiator: user,
    responder: node.signer.address,
    assetId: ETH,
    initiatorAmount: "7",
    responderAmount: "0",
    state: {},
    status: "active",
    position: 0,
    createdNonce: 2,
    meta: { note: SCRIPT, [SCRIPT]: 1 },
  });
  await insertPayment(PAYMENT_WITH_META, { senderTransferId: transferId, amount: "7" });

  dashboard = {
    adminToken: TOKEN,
    config: () => config,
    reports: new ReportRepository(database.db),
    registry: createMetrics().registry,
    onchainBalance: async () => 42n * 10n ** 18n,
    chainDeposits: async () => ({ alice: 0n, bob: 0n }),
    collateral: {
      list: () => policies.asRecord(),
      set: (assetId, policy) => policies.set(assetId, policy),
    },
    topUp: async (bobAddress, assetId) => {
      topUps.push(`${bobAddress}:${assetId}`);
    },
    reclaim: async () => false,
  };
  app = createApi({ ...baseDeps(), dashboard });
  proxiedApp = createApi({ ...baseDeps(), dashboard, trustProxy: true });
  off = createApi(baseDeps());
});
afterAll(async () => {
  await database.close();
});

const BASE = "http://127.0.0.1:3000";

interface Signed {
  cookie: string;
  csrf: string;
}

async function signIn(token = TOKEN, base = BASE): Promise<Response> {
  return app.request(`${base}/dashboard/login`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token }).toString(),
  });
}

async function session(): Promise<Signed> {
  const response = await signIn();
  expect(response.status).toBe(303);
  const cookie = (response.headers.get("set-cookie") ?? "").split(";")[0] as string;
  const page = await (await get("/dashboard", cookie)).text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1];
  expect(csrf).toBeDefined();
  return { cookie, csrf: csrf as string };
}

function get(path: string, cookie?: string, headers: Record<string, string> = {}) {
  return app.request(`${BASE}${path}`, {
    headers: { ...(cookie ? { Cookie: cookie } : {}), ...headers },
  });
}

function post(path: string, form: Record<string, string>, cookie?: string, headers = {}) {
  return app.request(`${BASE}${path}`, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      ...(cookie ? { Cookie: cookie } : {}),
      ...headers,
    },
    body: new URLSearchParams(form).toString(),
  });
}

describe("dashboard sign-in", () => {
  test("a wrong token is refused with a clear message, and nothing is set", async () => {
    const response = await signIn("not-the-token");
    expect(response.status).toBe(401);
    expect(response.headers.get("set-cookie")).toBeNull();
    expect(await response.text()).toContain("That is not this node&#39;s admin token.");
    const empty = await signIn("");
    expect(empty.status).toBe(401);
  });

  test("five wrong tokens in a minute: that client is refused (429), even with the right one", async () => {
    const fresh = createApi({ ...baseDeps(), dashboard });
    const attempt = (token: string) =>
      fresh.request(`${BASE}/dashboard/login`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token }).toString(),
      });
    for (let i = 0; i < 5; i++) expect((await attempt(`guess-${i}`)).status).toBe(401);
    const refused = await attempt(TOKEN);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("60");
    expect(refused.headers.get("set-cookie")).toBeNull();
    expect(await refused.text()).toContain("Too many failed sign-ins");
  });

  test("the right token gives a session cookie: HttpOnly, SameSite=Strict, Path=/dashboard, expiring", async () => {
    const response = await signIn();
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/dashboard");
    const cookie = response.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^connext_dashboard=[A-Za-z0-9_-]{43};/);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).toContain("Path=/dashboard");
    expect(cookie).toContain("Expires=");
    expect(cookie).not.toContain("Secure");
    const https = await signIn(TOKEN, "https://node.example");
    expect(https.headers.get("set-cookie")).toContain("Secure");
    // X-Forwarded-Proto counts only behind a proxy the node is told of (TRUST_PROXY).
    const forwarded = {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Forwarded-Proto": "https",
      },
      body: new URLSearchParams({ token: TOKEN }).toString(),
    };
    const direct = await app.request(`${BASE}/dashboard/login`, forwarded);
    expect(direct.headers.get("set-cookie")).not.toContain("Secure");
    const proxied = await proxiedApp.request(`${BASE}/dashboard/login`, forwarded);
    expect(proxied.headers.get("set-cookie")).toContain("Secure");
  });

  test("a sign-in form posted from another site is refused", async () => {
    const response = await app.request(`${BASE}/dashboard/login`, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        Origin: "https://evil.example",
        Host: "127.0.0.1:3000",
      },
      body: new URLSearchParams({ token: TOKEN }).toString(),
    });
    expect(response.status).toBe(403);
    expect(response.headers.get("set-cookie")).toBeNull();
    // The page's origin behind a proxy: accepted only with TRUST_PROXY.
    const throughProxy = {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        Origin: "https://node.example",
        Host: "127.0.0.1:3000",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "node.example",
      },
      body: new URLSearchParams({ token: TOKEN }).toString(),
    };
    expect((await app.request(`${BASE}/dashboard/login`, throughProxy)).status).toBe(403);
    expect((await proxiedApp.request(`${BASE}/dashboard/login`, throughProxy)).status).toBe(303);
  });

  test("without a session pages go to sign-in, fragments, exports and forms get 401", async () => {
    for (const path of [
      "/dashboard",
      "/dashboard/channels",
      `/dashboard/channels/${channelAddress}`,
      "/dashboard/payments",
      `/dashboard/payments/${PAYMENT_WITH_META}`,
      "/dashboard/collateral",
      "/dashboard/transactions",
    ]) {
      const response = await get(path, "connext_dashboard=forged");
      expect(response.status, path).toBe(303);
      expect(response.headers.get("location")).toBe("/dashboard/login");
    }
    for (const path of [
      "/dashboard/live/overview",
      "/dashboard/payments.csv",
      "/dashboard/channels.csv",
    ]) {
      expect((await get(path)).status, path).toBe(401);
    }
    expect((await get("/dashboard", undefined, { "HX-Request": "true" })).status).toBe(401);
    const form = await post(`/dashboard/collateral/${ETH}`, { target: "1", reclaimThreshold: "2" });
    expect(form.status).toBe(401);
  });

  test("a POST without the session's CSRF token is refused with 403, with it it goes through", async () => {
    const { cookie, csrf } = await session();
    const body = { target: "2000", reclaimThreshold: "9000" };
    expect((await post(`/dashboard/collateral/${ETH}`, body, cookie)).status).toBe(403);
    expect(
      (await post(`/dashboard/collateral/${ETH}`, { ...body, _csrf: "wrong" }, cookie)).status,
    ).toBe(403);
    const other = await session();
    expect(
      (await post(`/dashboard/collateral/${ETH}`, { ...body, _csrf: other.csrf }, cookie)).status,
    ).toBe(403);
    expect(policies.asRecord()[ETH]?.target).toBe(10n ** 18n);

    const viaHtmx = await post(`/dashboard/collateral/${ETH}`, body, cookie, {
      "X-CSRF-Token": csrf,
      "HX-Request": "true",
    });
    expect(viaHtmx.status).toBe(200);
    const row = await viaHtmx.text();
    expect(row).toStartWith(`<tr id="policy-${ETH}"`);
    expect(row).toContain("Saved.");
    expect(policies.asRecord()[ETH]).toEqual({ target: 2000n, reclaimThreshold: 9000n });

    const refused = await post(
      `/dashboard/collateral/${ETH}`,
      { target: "9000", reclaimThreshold: "10" },
      cookie,
      { "X-CSRF-Token": csrf, "HX-Request": "true" },
    );
    expect(await refused.text()).toContain('class="error"');
    expect(policies.asRecord()[ETH]).toEqual({ target: 2000n, reclaimThreshold: 9000n });

    const plain = await post(
      `/dashboard/collateral/${ETH}`,
      { target: "1000000000000000000", reclaimThreshold: "5000000000000000000", _csrf: csrf },
      cookie,
    );
    expect(plain.status).toBe(303);
    expect(policies.asRecord()[ETH]?.target).toBe(10n ** 18n);
  });

  test("sign-out ends the session", async () => {
    const { cookie, csrf } = await session();
    expect((await get("/dashboard", cookie)).status).toBe(200);
    const out = await post("/dashboard/logout", { _csrf: csrf }, cookie);
    expect(out.status).toBe(303);
    expect(out.headers.get("set-cookie")).toContain("connext_dashboard=;");
    expect((await get("/dashboard", cookie)).status).toBe(303);
  });
});

describe("dashboard pages", () => {
  test("the overview shows the node, counts and volume, and the latest payments", async () => {
    const { cookie } = await session();
    const response = await get("/dashboard", cookie);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const page = await response.text();
    expect(page).toStartWith('<!DOCTYPE html><html lang="en">');
    expect(page).toContain(nodeWallet.address);
    expect(page).toContain('data-stat="payments-86400" data-value="6"');
    // 0.1 + 0.2 + 0.3 + 0.4 ETH completed, plus 7 wei.
    expect(page).toContain(`data-stat="volume-86400-${ETH}" data-value="1000000000000000007"`);
    expect(page).toContain("42.0 ETH");
    expect(page).toContain('id="latest-payments"');
    const live = await get("/dashboard/live/overview", cookie, { "HX-Request": "true" });
    expect(live.status).toBe(200);
    expect(await live.text()).not.toContain("<html");
  });

  test("script in payment errors and transfer metadata renders inert", async () => {
    const { cookie } = await session();
    for (const path of [
      "/dashboard",
      "/dashboard/payments",
      "/dashboard/payments?status=failed",
      `/dashboard/payments/${PAYMENT_WITH_META}`,
      `/dashboard/channels/${channelAddress}`,
      `/dashboard/channels?q=${encodeURIComponent(SCRIPT)}`,
      `/dashboard/payments?user=${encodeURIComponent(SCRIPT)}`,
    ]) {
      const page = await (await get(path, cookie)).text();
      expect(page, path).not.toContain("<script>alert");
      expect(page, path).not.toContain('"x")</script>');
    }
    const meta = await (await get(`/dashboard/payments/${PAYMENT_WITH_META}`, cookie)).text();
    expect(meta).toContain("&lt;script&gt;");
  });

  test("payments filter, look-up by id, and a payment's page with its transfers", async () => {
    const { cookie } = await session();
    const failed = await (await get("/dashboard/payments?status=failed", cookie)).text();
    expect(failed.match(/data-payment=/g)?.length).toBe(1);
    const byUser = await (
      await get(`/dashboard/payments?user=${user.toLowerCase()}`, cookie)
    ).text();
    expect(byUser.match(/data-payment=/g)?.length).toBe(6);
    const lookup = await get(`/dashboard/payments?id=${PAYMENT_WITH_META}`, cookie);
    expect(lookup.status).toBe(303);
    expect(lookup.headers.get("location")).toBe(`/dashboard/payments/${PAYMENT_WITH_META}`);
    const page = await (await get(`/dashboard/payments/${PAYMENT_WITH_META}`, cookie)).text();
    expect(page).toContain("payer&#39;s");
    expect((await get(`/dashboard/payments/0x${"00".repeat(32)}`, cookie)).status).toBe(404);
  });

  test("the payments CSV holds the filtered rows, with formulas defused and quotes escaped", async () => {
    const { cookie } = await session();
    const response = await get("/dashboard/payments.csv?status=completed", cookie);
    expect(response.headers.get("content-type")).toStartWith("text/csv");
    expect(response.headers.get("content-disposition")).toContain("payments.csv");
    const lines = (await response.text()).trimEnd().split("\r\n");
    expect(lines[0]).toStartWith("payment_id,created_at,");
    expect(lines.length).toBe(1 + 5);
    const failed = await (await get("/dashboard/payments.csv?status=failed", cookie)).text();
    expect(failed).toContain(`"'=HYPERLINK(""http://evil"") <script>alert(""x"")</script>"`);
    expect((await get("/dashboard/payments.csv?status=nope", cookie)).status).toBe(400);
    const channels = await (await get("/dashboard/channels.csv", cookie)).text();
    expect(channels).toContain(channelAddress);
  });

  test("channels: search, a channel's page with its history, and a top-up through the engine's hook", async () => {
    const { cookie, csrf } = await session();
    const list = await (
      await get(`/dashboard/channels?q=${channelAddress.slice(2, 12).toLowerCase()}`, cookie)
    ).text();
    expect(list).toContain(channelAddress);
    const none = await (await get("/dashboard/channels?q=0xnothing", cookie)).text();
    expect(none).not.toContain(channelAddress);
    const page = await (await get(`/dashboard/channels/${channelAddress}`, cookie)).text();
    expect(page).toContain('data-nonce="1"');
    expect(page).toContain("setup");
    const topUp = await post(
      `/dashboard/channels/${channelAddress}/topup`,
      { assetId: ETH, _csrf: csrf },
      cookie,
    );
    expect(topUp.status).toBe(303);
    expect(topUps).toEqual([`${user}:${ETH}`]);
    const notice = new URL(topUp.headers.get("location") ?? "", BASE).searchParams.get("notice");
    expect(notice).toBe("Topped up ETH to its target.");
  });

  test("collateral and on-chain transactions pages render", async () => {
    const { cookie } = await session();
    const collateral = await (await get("/dashboard/collateral", cookie)).text();
    expect(collateral).toContain(`id="policy-${ETH}"`);
    expect((await get("/dashboard/transactions?status=failed", cookie)).status).toBe(200);
  });

  test("assets are served from the package, versioned and cacheable, without a session", async () => {
    for (const path of Object.values(ASSETS)) {
      const response = await get(path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get("cache-control")).toContain("immutable");
      expect((await response.text()).length).toBeGreaterThan(100);
    }
  });

  test("without ADMIN_TOKEN the dashboard says it is off", async () => {
    const response = await off.request(`${BASE}/dashboard`);
    expect(response.status).toBe(404);
    expect(await response.text()).toContain("The dashboard is off");
  });
});

describe("the payments CSV on more rows than a page", () => {
  test("1,203 payments stream out whole, newest first, each once", async () => {
    const own = await openDatabase();
    try {
      const created = Date.now();
      await own.db.insert(payments).values(
        Array.from({ length: 1203 }, (_, i) => ({
          paymentId: `0x${(i + 1).toString(16).padStart(64, "0")}`,
          senderTransferId: `0x${(i + 1).toString(16).padStart(64, "f")}`,
          sender: ETH,
          recipient: TST,
          assetId: ETH,
          amount: String(i + 1),
          lockHash: `0x${"ab".repeat(32)}`,
          expiry: 0,
          status: "completed" as const,
          // Three payments a second: ties on the time are ordered by id.
          createdAt: new Date(created - Math.floor(i / 3) * 1000),
        })),
      );
      const big = createApi({
        ...baseDeps(),
        dashboard: {
          adminToken: TOKEN,
          config: () => config,
          reports: new ReportRepository(own.db),
          registry: createMetrics().registry,
          onchainBalance: async () => 0n,
          collateral: { list: () => ({}), set: async () => {} },
          topUp: async () => {},
          reclaim: async () => false,
        },
      });
      const login = await big.request(`${BASE}/dashboard/login`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token: TOKEN }).toString(),
      });
      const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] as string;
      const csv = await (
        await big.request(`${BASE}/dashboard/payments.csv`, { headers: { Cookie: cookie } })
      ).text();
      const amounts = csv
        .trimEnd()
        .split("\r\n")
        .slice(1)
        .map((line) => Number(line.split(",")[5]));
      expect(amounts.length).toBe(1203);
      expect(new Set(amounts).size).toBe(1203);
      // Newest first: within a second the higher id first, so 3, 2, 1, 6, 5, 4, ...
      expect(amounts.slice(0, 6)).toEqual([3, 2, 1, 6, 5, 4]);
    } finally {
      await own.close();
    }
  });
});

describe("a dashboard left open", () => {
  test("for an hour (720 live refreshes, one every 5 s) keeps the node's memory flat", async () => {
    const { cookie } = await session();
    const refresh = async () =>
      expect((await get("/dashboard/live/overview", cookie, { "HX-Request": "true" })).status).toBe(
        200,
      );
    // Warm up (caches, JIT), then measure an hour of refreshes.
    for (let i = 0; i < 120; i++) await refresh();
    Bun.gc(true);
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 720; i++) await refresh();
    Bun.gc(true);
    const grown = process.memoryUsage().heapUsed - before;
    console.log(`an hour of live refreshes: heap ${(grown / 1024 / 1024).toFixed(2)} MiB`);
    // Nothing is kept per refresh: a leak of even 20 KiB each would pass 14 MiB.
    expect(grown).toBeLessThan(8 * 1024 * 1024);
  }, 300_000);
});

describe("dashboard pieces", () => {
  test("CSV cells: quotes doubled, separators quoted, formulas defused", () => {
    expect(csvCell("plain")).toBe("plain");
    expect(csvCell('a "b", c')).toBe('"a ""b"", c"');
    expect(csvCell("line\nbreak")).toBe('"line\nbreak"');
    for (const lead of ["=", "+", "-", "@", "\t"]) expect(csvCell(`${lead}1`)).toBe(`'${lead}1`);
    expect(csvRow(["=1+2", "x,y"])).toBe(`'=1+2,"x,y"\r\n`);
  });

  test("sessions expire and stay bounded", () => {
    let now = 0;
    const sessions = new SessionStore({ ttlMs: 1000, maxSessions: 3, now: () => now });
    const first = sessions.create();
    expect(sessions.get(first.id)).toBe(first);
    now = 1000;
    expect(sessions.get(first.id)).toBeUndefined();
    const made = Array.from({ length: 10 }, () => sessions.create());
    expect(sessions.size).toBe(3);
    expect(sessions.get(made[0]?.id)).toBeUndefined();
    expect(sessions.get(made[9]?.id)).toBe(made[9]);
  });

  test("update latency: quantiles from the histogram's buckets, and per minute in a bounded history", async () => {
    const metrics = createMetrics();
    expect(await updateLatency(metrics.registry)).toEqual({ count: 0 });
    const history = new LatencyHistory(metrics.registry, 60_000, 3);
    await history.sample(0);
    // 100 updates: 98 between 10 and 25 ms, 2 between 0.5 and 1 s.
    for (let i = 0; i < 98; i++)
      metrics.updateLatency.observe({ type: "create", role: "proposer" }, 0.02);
    for (let i = 0; i < 2; i++)
      metrics.updateLatency.observe({ type: "resolve", role: "responder" }, 0.7);
    const summary = await updateLatency(metrics.registry);
    expect(summary.count).toBe(100);
    expect(summary.p50).toBeCloseTo(0.01 + 0.015 * (50 / 98), 6);
    expect(summary.p99).toBeCloseTo(0.5 + 0.5 * 0.5, 6);

    await history.sample(30_000); // within the minute: no point
    await history.sample(60_000);
    expect(history.since(new Date(0)).map((p) => p.count)).toEqual([100]);
    for (let minute = 2; minute <= 6; minute++) await history.sample(minute * 60_000);
    const kept = history.since(new Date(0));
    expect(kept.length).toBe(3);
    expect(kept.map((p) => p.count)).toEqual([0, 0, 0]);
  });
});
