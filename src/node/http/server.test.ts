import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { wsconnect } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { Wallet } from "ethers";
import { Hono } from "hono";
import { testMessagingCredentials } from "../auth/testing";
import { type Broker, startBroker } from "../messaging/broker";
import { type HttpServer, startHttpServer } from "./server";

/** The node's HTTP server: Hono for requests, the broker for WebSocket upgrades on one path. */

const nodeWallet = Wallet.createRandom();
const node = nodeWallet.address.toLowerCase();
const creds = testMessagingCredentials(nodeWallet.privateKey);

let broker: Broker;
let server: HttpServer;

beforeAll(async () => {
  broker = await startBroker({
    authenticate: creds.authenticate,
  });
  const app = new Hono();
  app.get("/hello", (c) => c.json({ hello: "world" }));
  server = startHttpServer({
    app,
    host: "127.0.0.1",
    port: 0,
    websocket: { path: "/messaging", ...broker.websocket },
  });
});
afterAll(async () => {
  await server.stop();
  await broker.stop();
});

describe("startHttpServer", () => {
  test("plain requests go to Hono", async () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    const response = await fetch(`${server.url}/hello`);
    expect(await response.json()).toEqual({ hello: "world" });
  });

  test("a browser-style NATS client (wsconnect) with a user JWT talks to the node", async () => {
    const user = Wallet.createRandom().address.toLowerCase();
    const hub = await connect({ servers: broker.url, ...(await creds.as(node)) });
    hub.subscribe(`connext.${node}.*.>`, {
      callback: (_e, m) => {
        m.respond(`hello ${m.subject.split(".")[2]}`);
      },
    });
    await hub.flush();

    const ws = await wsconnect({
      servers: `ws://127.0.0.1:${server.port}/messaging`,
      ...(await creds.as(user)),
      inboxPrefix: `_inbox.${user}`,
    });
    try {
      const reply = await ws.request(`connext.${node}.${user}.ping`, "ping", { timeout: 2000 });
      expect(reply.string()).toBe(`hello ${user}`);

      const inbound = ws.subscribe(`connext.${user}.>`, { max: 1 });
      await ws.flush();
      hub.publish(`connext.${user}.${node}.event`, "pushed");
      for await (const m of inbound) expect(m.string()).toBe("pushed");
    } finally {
      await ws.close();
      await hub.close();
    }
  });

  test("the WebSocket path refuses a client without a valid JWT (a token is not one)", async () => {
    for (const token of [undefined, "forged"]) {
      const outcome = await wsconnect({
        servers: `ws://127.0.0.1:${server.port}/messaging`,
        reconnect: false,
        ...(token === undefined ? {} : { token }),
      }).then(
        async (nc) => {
          await nc.close();
          return "connected";
        },
        (error: unknown) => String(error),
      );
      expect(outcome).toContain("Authorization Violation");
    }
  });

  test("a plain request to the WebSocket path: 426 JSON", async () => {
    const response = await fetch(`${server.url}/messaging`);
    expect(response.status).toBe(426);
    expect(((await response.json()) as { code: string }).code).toBe("UPGRADE_REQUIRED");
  });

  test("stop() ends with idle keep-alive connections open and frees the port", async () => {
    const app = new Hono();
    app.get("/", (c) => c.text("ok"));
    const other = startHttpServer({ app, host: "127.0.0.1", port: 0 });
    expect(await (await fetch(other.url, { keepalive: true })).text()).toBe("ok");
    await other.stop();
    const refused = await fetch(other.url).then(
      () => "answered",
      () => "refused",
    );
    expect(refused).toBe("refused");
  });

  test("stop() lets a request in flight finish", async () => {
    const app = new Hono();
    app.get("/slow", async (c) => {
      await Bun.sleep(200);
      return c.text("finished");
    });
    const other = startHttpServer({ app, host: "127.0.0.1", port: 0 });
    const inFlight = fetch(`${other.url}/slow`).then((r) => r.text());
    await Bun.sleep(50);
    const started = performance.now();
    await other.stop();
    expect(performance.now() - started).toBeGreaterThan(100);
    expect(await inFlight).toBe("finished");
  });

  test("stop() does not wait for open WebSocket clients: it closes them", async () => {
    const plain = await startBroker({});
    const other = startHttpServer({
      app: new Hono(),
      host: "127.0.0.1",
      port: 0,
      websocket: { path: "/messaging", ...plain.websocket },
    });
    try {
      const ws = await wsconnect({
        servers: `ws://127.0.0.1:${other.port}/messaging`,
        reconnect: false,
      });
      const closed = ws.closed();
      await other.stop();
      await closed;
      expect(ws.isClosed()).toBe(true);
    } finally {
      await plain.stop();
    }
  });
});
