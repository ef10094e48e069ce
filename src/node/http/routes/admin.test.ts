import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { getAddress, Wallet } from "ethers";
import pino from "pino";
import { party } from "../../../protocol/testing/twoParties";
import { authSecretFromPrivateKey, createAuth, createSignIn } from "../../auth";
import { CollateralPolicies } from "../../engine/collateralPolicies";
import { createMetrics } from "../../metrics";
import { ChannelStore } from "../../store/channelStore";
import { CollateralSettingsRepository } from "../../store/collateralSettings";
import { type Database, openDatabase } from "../../store/database";
import { IdentityRepository } from "../../store/identities";
import { PaymentRepository } from "../../store/payments";
import { PAYMENT_STATUSES } from "../../store/schema";
import { exchangeApplied, setupDraft } from "../../store/testing/channelFixture";
import { createApi } from "../api";
import { type HttpServer, startHttpServer } from "../server";
import type { ApiDeps, NodePublicConfig } from "../types";

/**
 * The admin routes on real servers (127.0.0.1): one node with ADMIN_TOKEN, one without, over
 * PGlite with the real channel store, payment records and collateral policies, wired as the
 * node wires them.
 */

const TOKEN = "an-admin-token-of-32-characters!";
const ETH = "0x0000000000000000000000000000000000000000";
const TEST_TOKEN = getAddress("0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
const NEW_TOKEN = getAddress("0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
const DEFAULTS = {
  [ETH]: { target: 10n ** 18n, reclaimThreshold: 5n * 10n ** 18n },
  [TEST_TOKEN.toLowerCase()]: { target: 1_000n, reclaimThreshold: 5_000n },
};

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
  },
  supportedAssets: [ETH],
  messagingUrl: "nats://127.0.0.1:4222",
  protocolVersion: 1,
};
const secret = authSecretFromPrivateKey(nodeWallet.privateKey);
const auth = createAuth({ secret });
const signIn = createSignIn({
  secret,
  site: () => ({ node: nodeWallet.address, chainId: 31337, publicUrl: "http://127.0.0.1" }),
});
const logger = pino({ level: "silent" });

let database: Database;
let store: ChannelStore;
let payments: PaymentRepository;
let repository: CollateralSettingsRepository;
let policies: CollateralPolicies;
let enabled: HttpServer;
let disabled: HttpServer;
let channelAddress: string;

function baseDeps(): ApiDeps {
  return {
    config: () => config,
    auth,
    signIn,
    identities: new IdentityRepository(database.db),
    reads: { channel: async () => undefined, transfers: async () => [], payments: async () => [] },
    health: async () => ({ ok: true, checks: {} }),
    metrics: createMetrics(),
    logger,
  };
}

async function openPayment(paymentId: string, amount: bigint) {
  await database.db.transaction((tx) =>
    payments.open(tx, {
      paymentId,
      senderTransferId: `0x${paymentId.padStart(64, "0")}`,
      sender: Wallet.createRandom().address,
      recipient: Wallet.createRandom().address,
      assetId: ETH,
      amount,
      lockHash: `0x${"ab".repeat(32)}`,
      expiry: 0,
    }),
  );
}

beforeAll(async () => {
  database = await openDatabase();
  store = new ChannelStore(database.db);
  payments = new PaymentRepository(database.db);
  repository = new CollateralSettingsRepository(database.db);
  policies = await CollateralPolicies.load(repository, DEFAULTS);

  const node = party(`0x${"11".repeat(32)}`);
  const user = party(`0x${"22".repeat(32)}`);
  const { applied } = await exchangeApplied(node, user, "user", setupDraft(node));
  await store.saveApplied(applied);
  channelAddress = applied.state.channelAddress;

  await openPayment("1", 2n ** 200n);
  await openPayment("2", 5n);
  await openPayment("3", 6n);
  await openPayment("4", 7n);
  await payments.settle(database.db, "2", "completed");
  await payments.settle(database.db, "3", "cancelled", "expired");
  await payments.settle(database.db, "4", "failed", "recipient went away");

  enabled = startHttpServer({
    app: createApi({
      ...baseDeps(),
      admin: {
        token: TOKEN,
        channels: () => store.listChannels(),
        // The dispute itself runs against anvil (src/e2e/disputes); here only the HTTP mapping.
        dispute: async (address) => {
          if (address.toLowerCase() === channelAddress.toLowerCase()) {
            throw Object.assign(new Error(`${address} is in dispute already`), {
              code: "ALREADY_DISPUTED",
            });
          }
          throw Object.assign(new Error(`no channel ${address}`), { code: "UNKNOWN_CHANNEL" });
        },
        disputeStatus: async (address) => ({ channelAddress: address, inDispute: false }),
        payments: (status) =>
          payments.withStatus(
            status ? [status as (typeof PAYMENT_STATUSES)[number]] : [...PAYMENT_STATUSES],
          ),
        collateral: {
          list: () => policies.asRecord(),
          set: (assetId, policy) => policies.set(assetId, policy),
          remove: (assetId) => policies.remove(assetId),
        },
      },
    }),
    host: "127.0.0.1",
    port: 0,
  });
  disabled = startHttpServer({ app: createApi(baseDeps()), host: "127.0.0.1", port: 0 });
});
afterAll(async () => {
  await enabled.stop();
  await disabled.stop();
  await database.close();
});

const bearer = { Authorization: `Bearer ${TOKEN}` };

function call(server: HttpServer, path: string, init: RequestInit = {}) {
  return fetch(`${server.url}${path}`, init);
}

function admin(path: string, init: RequestInit = {}) {
  return call(enabled, path, { ...init, headers: { ...bearer, ...init.headers } });
}

function put(assetId: string, body: unknown) {
  return admin(`/admin/collateral/${assetId}`, {
    method: "PUT",
    headers: { "Content-Type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function expectError(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toStartWith("application/json");
  const body = (await response.json()) as { code: string; message: string };
  expect(body.code).toBe(code);
  expect(typeof body.message).toBe("string");
  return body;
}

async function ok(response: Response): Promise<unknown> {
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toStartWith("application/json");
  return response.json();
}

const ROUTES: [method: string, path: string][] = [
  ["GET", "/admin/channels"],
  ["GET", "/admin/payments"],
  ["GET", "/admin/payments?status=pending"],
  ["GET", "/admin/collateral"],
  ["PUT", `/admin/collateral/${NEW_TOKEN}`],
  ["DELETE", `/admin/collateral/${NEW_TOKEN}`],
  ["POST", `/admin/channels/${NEW_TOKEN}/dispute`],
  ["GET", `/admin/channels/${NEW_TOKEN}/dispute`],
  ["GET", "/admin"],
  ["GET", "/admin/nope"],
];

/** The address with the case of its first letter flipped. */
function badChecksum(address: string): string {
  return address.replace(/[a-fA-F]/, (ch) =>
    ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase(),
  );
}

const validBody = JSON.stringify({ target: "1", reclaimThreshold: "2" });

describe("without ADMIN_TOKEN", () => {
  test("every /admin route: 404 ADMIN_DISABLED, with or without a token", async () => {
    for (const [method, path] of ROUTES) {
      for (const headers of [{}, bearer]) {
        const body = method === "PUT" ? validBody : undefined;
        const response = await call(disabled, path, { method, headers, body });
        await expectError(response, 404, "ADMIN_DISABLED");
      }
    }
  });

  test("an empty admin token is refused when the API is built", () => {
    const deps = baseDeps();
    const collateral = { list: () => ({}), set: async () => {}, remove: async () => {} };
    const emptyToken = {
      token: "",
      channels: async () => [],
      dispute: async () => ({}),
      disputeStatus: async () => ({}),
      payments: async () => [],
      collateral,
    };
    expect(() => createApi({ ...deps, admin: emptyToken })).toThrow("must not be empty");
  });
});

describe("authorisation", () => {
  test("no token, another scheme, a wrong token or a user's token: 401, nothing changed", async () => {
    const user = Wallet.createRandom();
    const userToken = auth.issueToken(user.address).token;
    const refusals: [Record<string, string>, string][] = [
      [{}, "UNAUTHORIZED"],
      [{ Authorization: `Basic ${TOKEN}` }, "UNAUTHORIZED"],
      [{ Authorization: "Bearer" }, "UNAUTHORIZED"],
      [{ Authorization: `Bearer ${TOKEN} extra` }, "UNAUTHORIZED"],
      [{ Authorization: `Bearer ${TOKEN.slice(0, -1)}` }, "INVALID_TOKEN"],
      [{ Authorization: `Bearer ${TOKEN}x` }, "INVALID_TOKEN"],
      [{ Authorization: `Bearer ${TOKEN.toUpperCase()}` }, "INVALID_TOKEN"],
      [{ Authorization: `Bearer ${userToken}` }, "INVALID_TOKEN"],
    ];
    for (const [method, path] of ROUTES) {
      for (const [headers, code] of refusals) {
        const body = method === "PUT" ? validBody : undefined;
        const response = await call(enabled, path, { method, headers, body });
        await expectError(response, 401, code);
        expect(response.headers.get("www-authenticate")).toStartWith("Bearer");
      }
    }
    expect(policies.get(NEW_TOKEN)).toBeUndefined();
    expect(await repository.list()).toEqual({});
  });

  test("the scheme is case-insensitive; unknown admin routes are 404 NOT_FOUND once authorised", async () => {
    const response = await call(enabled, "/admin/channels", {
      headers: { Authorization: `bearer ${TOKEN}` },
    });
    expect(response.status).toBe(200);
    await expectError(await admin("/admin/nope"), 404, "NOT_FOUND");
    await expectError(await admin("/admin"), 404, "NOT_FOUND");
    await expectError(await admin("/admin/channels", { method: "POST" }), 404, "NOT_FOUND");
  });

  test("CORS preflight for PUT and DELETE needs no token", async () => {
    for (const method of ["PUT", "DELETE"]) {
      const response = await call(enabled, `/admin/collateral/${NEW_TOKEN}`, {
        method: "OPTIONS",
        headers: {
          Origin: "https://ops.example",
          "Access-Control-Request-Method": method,
          "Access-Control-Request-Headers": "authorization,content-type",
        },
      });
      expect(response.status).toBe(204);
      expect(response.headers.get("access-control-allow-methods")).toContain(method);
    }
  });
});

describe("reads", () => {
  test("GET /admin/channels: every channel the node stores", async () => {
    expect(await ok(await admin("/admin/channels"))).toEqual([
      {
        channelAddress,
        alice: getAddress(party(`0x${"11".repeat(32)}`).signer.address),
        bob: getAddress(party(`0x${"22".repeat(32)}`).signer.address),
        chainId: 1337,
        nonce: 1,
      },
    ]);
  });

  test("GET /admin/payments: all, or one status; amounts as decimal strings", async () => {
    const all = (await ok(await admin("/admin/payments"))) as Record<string, unknown>[];
    expect(all.map((p) => p.paymentId).sort()).toEqual(["1", "2", "3", "4"]);
    const big = all.find((p) => p.paymentId === "1");
    expect(big?.amount).toBe((2n ** 200n).toString());
    expect(big?.status).toBe("pending");

    const expected = { pending: "1", completed: "2", cancelled: "3", failed: "4" };
    for (const [status, id] of Object.entries(expected)) {
      const some = (await ok(await admin(`/admin/payments?status=${status}`))) as {
        paymentId: string;
        status: string;
      }[];
      expect(some.map((p) => [p.paymentId, p.status])).toEqual([[id, status]]);
    }
    const failed = (await ok(await admin("/admin/payments?status=failed"))) as { error: string }[];
    expect(failed[0]?.error).toBe("recipient went away");
  });

  test("GET /admin/payments with a bad status: 400 MALFORMED_REQUEST", async () => {
    for (const query of [
      "status=",
      "status=done",
      "status=PENDING",
      "status=pending&status=failed",
    ]) {
      await expectError(await admin(`/admin/payments?${query}`), 400, "MALFORMED_REQUEST");
    }
  });
});

describe("disputes", () => {
  test("POST /admin/channels/:channelAddress/dispute: 409 when in dispute, 404 unknown, 400 malformed", async () => {
    const running = await admin(`/admin/channels/${channelAddress}/dispute`, { method: "POST" });
    expect(running.status).toBe(409);
    expect(((await running.json()) as { code: string }).code).toBe("ALREADY_DISPUTED");
    const unknown = await admin(`/admin/channels/0x${"12".repeat(20)}/dispute`, { method: "POST" });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { code: string }).code).toBe("UNKNOWN_CHANNEL");
    const malformed = await admin("/admin/channels/nope/dispute", { method: "POST" });
    expect(malformed.status).toBe(400);
  });

  test("GET /admin/channels/:channelAddress/dispute: where it stands", async () => {
    expect(await ok(await admin(`/admin/channels/${channelAddress}/dispute`))).toEqual({
      channelAddress,
      inDispute: false,
    });
  });
});

describe("collateral", () => {
  test("GET: the policies in force, checksummed assets, decimal strings", async () => {
    expect(await ok(await admin("/admin/collateral"))).toEqual([
      { assetId: ETH, target: "1000000000000000000", reclaimThreshold: "5000000000000000000" },
      { assetId: TEST_TOKEN, target: "1000", reclaimThreshold: "5000" },
    ]);
  });

  test("PUT adds or replaces a policy: live for the engine, stored for a restart", async () => {
    const engineView = policies.asRecord();
    let response = await put(NEW_TOKEN.toLowerCase(), { target: "7", reclaimThreshold: "70" });
    expect(await ok(response)).toEqual({ assetId: NEW_TOKEN, target: "7", reclaimThreshold: "70" });
    const huge = (2n ** 256n - 1n).toString();
    response = await put(ETH, { target: "0", reclaimThreshold: huge });
    expect(await ok(response)).toEqual({ assetId: ETH, target: "0", reclaimThreshold: huge });

    expect(engineView[NEW_TOKEN.toLowerCase()]).toEqual({ target: 7n, reclaimThreshold: 70n });
    expect(engineView[ETH]).toEqual({ target: 0n, reclaimThreshold: 2n ** 256n - 1n });
    expect(await ok(await admin("/admin/collateral"))).toEqual([
      { assetId: ETH, target: "0", reclaimThreshold: huge },
      { assetId: TEST_TOKEN, target: "1000", reclaimThreshold: "5000" },
      { assetId: NEW_TOKEN, target: "7", reclaimThreshold: "70" },
    ]);
    const restarted = await CollateralPolicies.load(repository, DEFAULTS);
    expect(restarted.asRecord()).toEqual(engineView);
  });

  test("PUT with a malformed asset or body: 400 with the reason, nothing changed", async () => {
    const before = await ok(await admin("/admin/collateral"));
    const bad: [string, unknown, string][] = [
      ["0x1234", { target: "1", reclaimThreshold: "1" }, "INVALID_ADDRESS"],
      ["ETH", { target: "1", reclaimThreshold: "1" }, "INVALID_ADDRESS"],
      [badChecksum(TEST_TOKEN), { target: "1", reclaimThreshold: "1" }, "INVALID_ADDRESS"],
      [TEST_TOKEN, "{not json", "MALFORMED_REQUEST"],
      [TEST_TOKEN, "", "MALFORMED_REQUEST"],
      [TEST_TOKEN, [], "MALFORMED_REQUEST"],
      [TEST_TOKEN, { target: "1" }, "MALFORMED_REQUEST"],
      [TEST_TOKEN, { target: 1, reclaimThreshold: 2 }, "MALFORMED_REQUEST"],
      [TEST_TOKEN, { target: "-1", reclaimThreshold: "2" }, "MALFORMED_REQUEST"],
      [TEST_TOKEN, { target: "1.5", reclaimThreshold: "2" }, "MALFORMED_REQUEST"],
      [TEST_TOKEN, { target: "0x10", reclaimThreshold: "20" }, "MALFORMED_REQUEST"],
      [TEST_TOKEN, { target: "1", reclaimThreshold: "9".repeat(79) }, "MALFORMED_REQUEST"],
      [TEST_TOKEN, { target: "1", reclaimThreshold: "2", threshold: "1" }, "MALFORMED_REQUEST"],
      [TEST_TOKEN, { target: "1", reclaimThreshold: "9".repeat(78) }, "INVALID_AMOUNT"],
      [TEST_TOKEN, { target: "10", reclaimThreshold: "9" }, "RECLAIM_BELOW_TARGET"],
    ];
    for (const [asset, body, code] of bad) await expectError(await put(asset, body), 400, code);
    expect(await ok(await admin("/admin/collateral"))).toEqual(before);
  });

  test("DELETE: back to the configured default, or no longer carried", async () => {
    await ok(await put(TEST_TOKEN, { target: "1", reclaimThreshold: "1" }));
    await ok(await put(NEW_TOKEN, { target: "2", reclaimThreshold: "3" }));

    let response = await admin(`/admin/collateral/${TEST_TOKEN}`, { method: "DELETE" });
    expect(await ok(response)).toEqual({
      assetId: TEST_TOKEN,
      policy: { target: "1000", reclaimThreshold: "5000" },
    });
    response = await admin(`/admin/collateral/${NEW_TOKEN.toLowerCase()}`, { method: "DELETE" });
    expect(await ok(response)).toEqual({ assetId: NEW_TOKEN, policy: null });
    expect(policies.get(NEW_TOKEN)).toBeUndefined();
    // Again: nothing stored, nothing to do.
    response = await admin(`/admin/collateral/${NEW_TOKEN}`, { method: "DELETE" });
    expect(await ok(response)).toEqual({ assetId: NEW_TOKEN, policy: null });
    await ok(await admin(`/admin/collateral/${ETH}`, { method: "DELETE" }));

    expect(await repository.list()).toEqual({});
    expect(await ok(await admin("/admin/collateral"))).toEqual([
      { assetId: ETH, target: "1000000000000000000", reclaimThreshold: "5000000000000000000" },
      { assetId: TEST_TOKEN, target: "1000", reclaimThreshold: "5000" },
    ]);
    await expectError(
      await admin("/admin/collateral/0x12", { method: "DELETE" }),
      400,
      "INVALID_ADDRESS",
    );
  });
});
