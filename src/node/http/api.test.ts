import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { decode, type User } from "@nats-io/jwt";
import { createUser } from "@nats-io/nkeys";
import { type Signer, Wallet } from "ethers";
import pino from "pino";
import {
  authSecretFromPrivateKey,
  createAuth,
  createSignIn,
  issueUserMessagingJwt,
  natsKeysFromPrivateKey,
  userJwtClaims,
  userPermissions,
} from "../auth";
import { USER_LIMITS } from "../auth/brokerPermissions";
import { createMetrics } from "../metrics";
import { type Database, openDatabase } from "../store/database";
import { IdentityRepository } from "../store/identities";
import { createApi } from "./api";
import { type HttpServer, startHttpServer } from "./server";
import type { ApiDeps, HealthReport, NodePublicConfig } from "./types";

/** Every route on a real server (127.0.0.1), with real auth and PGlite for identities. */

const nodeWallet = Wallet.createRandom();
const config: NodePublicConfig = {
  nodeIdentifier: nodeWallet.address,
  chainId: 31337,
  contractAddresses: {
    channelFactory: Wallet.createRandom().address,
    channelMastercopy: Wallet.createRandom().address,
    transferRegistry: Wallet.createRandom().address,
    hashlockTransfer: Wallet.createRandom().address,
    withdraw: Wallet.createRandom().address,
    threadTransfer: Wallet.createRandom().address,
  },
  supportedAssets: ["0x0000000000000000000000000000000000000000"],
  messagingUrl: "nats://127.0.0.1:4222",
  protocolVersion: 1,
};

let clock = Date.now();
const secret = authSecretFromPrivateKey(nodeWallet.privateKey);
const auth = createAuth({ secret, now: () => clock });
// The node's public URL is the server's own, known once it listens on its free port.
const signIn = createSignIn({
  secret,
  site: () => ({ node: nodeWallet.address, chainId: config.chainId, publicUrl: server.url }),
  now: () => clock,
});
const natsKeys = natsKeysFromPrivateKey(nodeWallet.privateKey);
const METRICS_TOKEN = "a-long-metrics-token-123";
const logLines: Record<string, unknown>[] = [];
const logger = pino(
  { level: "debug" },
  { write: (line: string) => logLines.push(JSON.parse(line)) },
);

// What the engine would return: JSON-ready records per user.
const channels = new Map<string, unknown>();
const transfers = new Map<string, unknown[]>();
const payments = new Map<string, unknown[]>();
let health: () => Promise<HealthReport> = async () => ({ ok: true, checks: { database: "ok" } });
let failReads: Error | undefined;

let database: Database;
let server: HttpServer;
/** The same API with METRICS_TOKEN set. */
let guarded: HttpServer;

beforeAll(async () => {
  database = await openDatabase();
  const metrics = createMetrics();
  metrics.setSources({
    paymentsByStatus: async () => ({ completed: 2 }),
    channelCount: async () => channels.size,
    collateral: async () => ({}),
  });
  const deps: ApiDeps = {
    config: () => config,
    auth,
    signIn,
    messagingJwt: (user, nkey, expiresAt) =>
      issueUserMessagingJwt(natsKeys, nodeWallet.address, user, nkey, expiresAt),
    identities: new IdentityRepository(database.db),
    reads: {
      channel: async (user) => {
        if (failReads) throw failReads;
        return channels.get(user);
      },
      transfers: async (user) => transfers.get(user) ?? [],
      payments: async (user) => payments.get(user) ?? [],
    },
    health: () => health(),
    metrics,
    logger,
  };
  server = startHttpServer({ app: createApi(deps), host: "127.0.0.1", port: 0 });
  const withToken = createApi({ ...deps, metricsToken: METRICS_TOKEN });
  guarded = startHttpServer({ app: withToken, host: "127.0.0.1", port: 0 });
});
afterAll(async () => {
  await server.stop();
  await guarded.stop();
  await database.close();
});
beforeEach(() => {
  clock = Date.now();
  failReads = undefined;
  logLines.length = 0;
});

function call(path: string, init: RequestInit = {}) {
  return fetch(`${server.url}${path}`, init);
}

async function expectError(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toStartWith("application/json");
  const body = (await response.json()) as { code: string; message: string };
  expect(body.code).toBe(code);
  expect(typeof body.message).toBe("string");
  return body;
}

function post(body: unknown, headers: Record<string, string> = {}) {
  return call("/auth", {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function issue(address: string) {
  return (await (await call(`/auth/${address}`)).json()) as { message: string; expiresAt: number };
}

async function signedIn(wallet: Signer & { address: string } = Wallet.createRandom()) {
  const { message } = await issue(wallet.address);
  const signature = await wallet.signMessage(message);
  const response = await post({ address: wallet.address, message, signature });
  expect(response.status).toBe(200);
  const { token } = (await response.json()) as { token: string };
  return { wallet, token, bearer: { Authorization: `Bearer ${token}` } };
}

describe("public routes", () => {
  test("GET /health: 200 when healthy, 503 when not or when the check throws", async () => {
    let response = await call("/health");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, checks: { database: "ok" } });

    health = async () => ({ ok: false, checks: { database: "ok", chain: "unreachable" } });
    response = await call("/health");
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      ok: false,
      checks: { database: "ok", chain: "unreachable" },
    });

    health = async () => {
      throw new Error("boom");
    };
    response = await call("/health");
    expect(response.status).toBe(503);
    expect(((await response.json()) as HealthReport).ok).toBe(false);
    health = async () => ({ ok: true, checks: { database: "ok" } });
  });

  test("GET /config: the node's public configuration", async () => {
    const response = await call("/config");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(config);
  });

  test("GET /metrics without METRICS_TOKEN: public Prometheus text from the node's registry", async () => {
    channels.set("0x0000000000000000000000000000000000000001", {});
    const response = await call("/metrics");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toStartWith("text/plain; version=0.0.4");
    const text = await response.text();
    expect(text).toContain('connext_payments{status="completed"} 2');
    expect(text).toContain("connext_channels 1");
    expect(text).toContain("process_cpu_user_seconds_total");
    channels.clear();
  });

  test("GET /metrics with METRICS_TOKEN: only with Authorization: Bearer <METRICS_TOKEN>", async () => {
    const metrics = (headers: Record<string, string> = {}) =>
      fetch(`${guarded.url}/metrics`, { headers });
    const missing = await metrics();
    await expectError(missing, 401, "UNAUTHORIZED");
    expect(missing.headers.get("www-authenticate")).toStartWith("Bearer");
    await expectError(
      await metrics({ Authorization: `Basic ${METRICS_TOKEN}` }),
      401,
      "UNAUTHORIZED",
    );
    for (const wrong of [
      `${METRICS_TOKEN}x`,
      METRICS_TOKEN.slice(0, -1),
      (await signedIn()).token,
    ]) {
      await expectError(await metrics({ Authorization: `Bearer ${wrong}` }), 401, "INVALID_TOKEN");
    }
    const granted = await metrics({ Authorization: `Bearer ${METRICS_TOKEN}` });
    expect(granted.status).toBe(200);
    expect(await granted.text()).toContain("connext_payments");
    // Only /metrics is guarded: the rest of the API is as without the token.
    expect((await fetch(`${guarded.url}/health`)).status).toBe(200);
    expect((await fetch(`${guarded.url}/config`)).status).toBe(200);
  });

  test("an empty METRICS_TOKEN is refused when the API is built", () => {
    expect(() =>
      createApi({
        config: () => config,
        auth,
        signIn,
        identities: { record: async () => {}, publicKey: async () => undefined },
        reads: {
          channel: async () => undefined,
          transfers: async () => [],
          payments: async () => [],
        },
        health: async () => ({ ok: true, checks: {} }),
        metrics: createMetrics(),
        metricsToken: "",
        logger,
      }),
    ).toThrow("METRICS_TOKEN must not be empty");
  });

  test("unknown routes and methods: 404 JSON", async () => {
    await expectError(await call("/nope"), 404, "NOT_FOUND");
    await expectError(await call("/config", { method: "DELETE" }), 404, "NOT_FOUND");
    await expectError(await call("/auth"), 404, "NOT_FOUND");
  });

  test("CORS: any origin may call with a bearer token", async () => {
    const response = await call("/channel", {
      method: "OPTIONS",
      headers: {
        Origin: "https://wallet.example",
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization",
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(response.headers.get("access-control-allow-headers")).toContain("Authorization");
  });
});

describe("sign-in and identities", () => {
  test("an EIP-4361 message for this node, personal_sign, token; the public key is then public", async () => {
    const wallet = Wallet.createRandom();
    await expectError(await call(`/identities/${wallet.address}`), 404, "IDENTITY_NOT_FOUND");

    const issued = await call(`/auth/${wallet.address.toLowerCase()}`);
    expect(issued.status).toBe(200);
    const body = (await issued.json()) as { address: string; message: string; expiresAt: number };
    expect(Object.keys(body).sort()).toEqual(["address", "expiresAt", "message"]);
    const { address, message, expiresAt } = body;
    expect(address).toBe(wallet.address);
    const { host } = new URL(server.url);
    expect(message).toStartWith(
      `${host} wants you to sign in with your Ethereum account:\n${wallet.address}\n\n`,
    );
    expect(message).toContain(`Sign in to the Connext node ${nodeWallet.address}.`);
    expect(message).toContain(`\nURI: ${server.url}\nVersion: 1\nChain ID: 31337\nNonce: `);
    expect(message).toEndWith(`\nExpiration Time: ${new Date(clock + 300_000).toISOString()}`);
    expect(expiresAt).toBe(clock + 300_000);

    const signature = await wallet.signMessage(message);
    const response = await post({ address: wallet.address.toLowerCase(), message, signature });
    expect(response.status).toBe(200);
    const granted = (await response.json()) as { token: string; expiresAt: number };
    expect(Object.keys(granted).sort()).toEqual(["expiresAt", "token"]);
    expect(auth.verifyToken(granted.token)).toBe(wallet.address);
    expect(granted.expiresAt).toBe(clock + 86_400_000);

    const identity = await call(`/identities/${wallet.address.toLowerCase()}`);
    expect(identity.status).toBe(200);
    expect(await identity.json()).toEqual({
      address: wallet.address,
      publicKey: wallet.signingKey.publicKey,
    });
  });

  test("a phishing relay: the node's nonce in a message for another site, signed by the victim, is 401 WRONG_DOMAIN", async () => {
    const victim = Wallet.createRandom();
    const { host } = new URL(server.url);
    const { message } = await issue(victim.address);
    const relayed = message
      .replace(`${host} wants`, "connext-login.example wants")
      .replace(`URI: ${server.url}`, "URI: https://connext-login.example");
    expect(relayed).not.toContain(host);
    const signature = await victim.signMessage(relayed);
    await expectError(
      await post({ address: victim.address, message: relayed, signature }),
      401,
      "WRONG_DOMAIN",
    );
    await expectError(await call(`/identities/${victim.address}`), 404, "IDENTITY_NOT_FOUND");
  });

  test("with an nkey, sign-in also gives its messaging JWT: the user's permissions, the token's expiry", async () => {
    const wallet = Wallet.createRandom();
    const nkey = createUser().getPublicKey();
    const { message } = await issue(wallet.address);
    const signature = await wallet.signMessage(message);
    const response = await post({ address: wallet.address, message, signature, nkey });
    expect(response.status).toBe(200);
    const { jwt, expiresAt } = (await response.json()) as { jwt: string; expiresAt: number };
    const claims = decode<User>(jwt);
    expect(claims.sub).toBe(nkey);
    expect(claims.iss).toBe(natsKeys.signing.getPublicKey());
    expect(claims.nats.issuer_account).toBe(natsKeys.account.getPublicKey());
    expect(claims.exp).toBe(Math.floor(expiresAt / 1000));
    expect(claims.name).toBe(wallet.address);
    const expected = userJwtClaims(
      userPermissions(nodeWallet.address, wallet.address),
      USER_LIMITS,
    );
    expect(claims.nats).toMatchObject(expected as Record<string, unknown>);

    for (const bad of ["nope", nkey.replace(/^U/, "A"), `${nkey.slice(0, -1)}A`]) {
      await expectError(
        await post({ address: wallet.address, message, signature, nkey: bad }),
        400,
        "INVALID_NKEY",
      );
    }
  });

  test("malformed addresses in paths: 400 INVALID_ADDRESS", async () => {
    for (const bad of ["0x1234", "hello", `0x${"g".repeat(40)}`]) {
      await expectError(await call(`/auth/${bad}`), 400, "INVALID_ADDRESS");
      await expectError(await call(`/identities/${bad}`), 400, "INVALID_ADDRESS");
    }
    const wallet = Wallet.createRandom();
    const flipped = wallet.address.replace(/[a-fA-F]/, (ch) =>
      ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase(),
    );
    await expectError(await call(`/auth/${flipped}`), 400, "INVALID_ADDRESS");
  });

  test("bad sign-in bodies: 400 malformed, 401 with the reason for the rest, and nothing recorded", async () => {
    const wallet = Wallet.createRandom();
    const other = Wallet.createRandom();
    const { message } = await issue(wallet.address);
    const signature = await wallet.signMessage(message);
    const signedBy = async (text: string, signer = wallet) => ({
      address: signer.address,
      message: text,
      signature: await signer.signMessage(text),
    });

    await expectError(await post("{not json"), 400, "MALFORMED_REQUEST");
    await expectError(await post(""), 400, "MALFORMED_REQUEST");
    await expectError(await post({ address: wallet.address, message }), 400, "MALFORMED_REQUEST");
    // The field was `nonce` before EIP-4361: an old client is told what is missing.
    await expectError(
      await post({ address: wallet.address, nonce: message, signature }),
      400,
      "MALFORMED_REQUEST",
    );
    await expectError(await post([1, 2]), 400, "MALFORMED_REQUEST");
    await expectError(await post({ address: "0x12", message, signature }), 400, "INVALID_ADDRESS");
    const refusals: [body: unknown, code: string][] = [
      [
        { address: wallet.address, message, signature: await other.signMessage(message) },
        "INVALID_SIGNATURE",
      ],
      [await signedBy(message, other), "INVALID_MESSAGE"],
      [await signedBy("hello"), "INVALID_MESSAGE"],
      [await signedBy(message.replace("Chain ID: 31337", "Chain ID: 1")), "WRONG_CHAIN"],
      [await signedBy(message.replace(/Nonce: \w/, "Nonce: z")), "INVALID_NONCE"],
      [await signedBy(message.replace(wallet.address, other.address), other), "INVALID_NONCE"],
      [await signedBy(message.replace(nodeWallet.address, other.address)), "WRONG_NODE"],
    ];
    for (const [body, code] of refusals) await expectError(await post(body), 401, code);
    clock += 300_000;
    await expectError(
      await post({ address: wallet.address, message, signature }),
      401,
      "NONCE_EXPIRED",
    );

    await expectError(await call(`/identities/${wallet.address}`), 404, "IDENTITY_NOT_FOUND");
    await expectError(await call(`/identities/${other.address}`), 404, "IDENTITY_NOT_FOUND");
  });

  test("bodies over 16 KiB: 413, whether announced or streamed", async () => {
    const big = JSON.stringify({ address: "0x", message: "x".repeat(17 * 1024), signature: "0x" });
    await expectError(await post(big), 413, "PAYLOAD_TOO_LARGE");

    const chunks = [
      new TextEncoder().encode(big.slice(0, 9000)),
      new TextEncoder().encode(big.slice(9000)),
    ];
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift();
        if (next === undefined) controller.close();
        else controller.enqueue(next);
      },
    });
    const response = await call("/auth", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: stream,
    });
    await expectError(response, 413, "PAYLOAD_TOO_LARGE");

    // Under the limit, the body is parsed (and refused on its merits: a message is at most 2 KiB).
    const fits = JSON.stringify({ address: "0x", message: "x".repeat(15 * 1024), signature: "0x" });
    await expectError(await post(fits), 400, "MALFORMED_REQUEST");
  });
});

describe("the signed-in user's routes", () => {
  test("GET /channel, /channel/transfers, /payments: the caller's own records", async () => {
    const { wallet, bearer } = await signedIn();
    const stranger = Wallet.createRandom().address;
    channels.set(wallet.address, { channelAddress: "0xabc", nonce: 4, balances: [["1", "2"]] });
    transfers.set(wallet.address, [{ transferId: "0x01", amount: "5" }]);
    payments.set(wallet.address, [{ paymentId: "p1", status: "completed" }]);
    payments.set(stranger, [{ paymentId: "not yours" }]);

    let response = await call("/channel", { headers: bearer });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      channelAddress: "0xabc",
      nonce: 4,
      balances: [["1", "2"]],
    });
    response = await call("/channel/transfers", { headers: bearer });
    expect(await response.json()).toEqual([{ transferId: "0x01", amount: "5" }]);
    response = await call("/payments", { headers: bearer });
    expect(await response.json()).toEqual([{ paymentId: "p1", status: "completed" }]);
  });

  test("no channel yet: 404 CHANNEL_NOT_FOUND; no transfers or payments: []", async () => {
    const { bearer } = await signedIn();
    await expectError(await call("/channel", { headers: bearer }), 404, "CHANNEL_NOT_FOUND");
    expect(await (await call("/channel/transfers", { headers: bearer })).json()).toEqual([]);
    expect(await (await call("/payments", { headers: bearer })).json()).toEqual([]);
  });

  test("without a valid token: 401 with the reason", async () => {
    const { token } = await signedIn();
    for (const path of ["/channel", "/channel/transfers", "/payments"]) {
      const missing = await call(path);
      await expectError(missing, 401, "UNAUTHORIZED");
      expect(missing.headers.get("www-authenticate")).toStartWith("Bearer");
      await expectError(
        await call(path, { headers: { Authorization: `Basic ${token}` } }),
        401,
        "UNAUTHORIZED",
      );
      await expectError(
        await call(path, { headers: { Authorization: "Bearer nonsense" } }),
        401,
        "INVALID_TOKEN",
      );
    }
    clock += 86_400_000;
    await expectError(
      await call("/channel", { headers: { Authorization: `Bearer ${token}` } }),
      401,
      "TOKEN_EXPIRED",
    );
  });

  test("an unexpected failure: 500 INTERNAL, details logged and not sent", async () => {
    const { bearer } = await signedIn();
    failReads = new Error("connection to postgres://admin:hunter2@db failed");
    const response = await call("/channel", { headers: bearer });
    const body = await expectError(response, 500, "INTERNAL");
    expect(JSON.stringify(body)).not.toContain("hunter2");
    const logged = logLines.find((l) => l.msg === "http handler failed");
    expect(JSON.stringify(logged)).toContain("hunter2");
    expect(logged?.level).toBe(50);
  });
});

describe("request log", () => {
  test("one debug line per request: method, path without query, status, duration", async () => {
    await call("/config?token=secret");
    await call("/nope");
    const lines = logLines.filter((l) => l.msg === "http request");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 20, method: "GET", path: "/config", status: 200 });
    expect(lines[1]).toMatchObject({ method: "GET", path: "/nope", status: 404 });
    expect(typeof lines[0]?.durationMs).toBe("number");
    expect(JSON.stringify(lines)).not.toContain("secret");
  });
});
