import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import {
  headers,
  type NatsConnection,
  NoRespondersError,
  PermissionViolationError,
  RequestError,
  wsconnect,
} from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { startBroker } from "./index";
import type { Broker } from "./types";

/** The official NATS clients against the broker, over TCP and WebSocket. */

const open: NatsConnection[] = [];
async function client(servers: string, options: Record<string, unknown> = {}) {
  const nc = await connect({ servers, ...options });
  open.push(nc);
  return nc;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((nc) => nc.close().catch(() => undefined)));
});

describe("official client over TCP", () => {
  let broker: Broker;
  beforeAll(async () => {
    broker = await startBroker({ websocketPort: 0 });
  });
  afterAll(() => broker.stop());

  test("publish and subscribe, with both wildcards", async () => {
    const nc = await client(broker.url);
    const star = nc.subscribe("orders.*", { max: 2 });
    const gt = nc.subscribe("orders.>", { max: 3 });
    await nc.flush();
    nc.publish("orders.new", "a");
    nc.publish("orders.paid", "b");
    nc.publish("orders.eu.new", "c");
    const starGot: string[] = [];
    for await (const m of star) starGot.push(`${m.subject}=${m.string()}`);
    const gtGot: string[] = [];
    for await (const m of gt) gtGot.push(`${m.subject}=${m.string()}`);
    expect(starGot).toEqual(["orders.new=a", "orders.paid=b"]);
    expect(gtGot).toEqual(["orders.new=a", "orders.paid=b", "orders.eu.new=c"]);
  });

  test("request/reply between two connections", async () => {
    const service = await client(broker.url);
    service.subscribe("echo", {
      callback: (_err, m) => {
        m.respond(`re:${m.string()}`);
      },
    });
    await service.flush();
    const nc = await client(broker.url);
    for (let i = 0; i < 20; i++) {
      const reply = await nc.request("echo", `${i}`, { timeout: 2000 });
      expect(reply.string()).toBe(`re:${i}`);
    }
    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, i) => nc.request("echo", `p${i}`, { timeout: 2000 })),
    );
    expect(replies.map((r) => r.string())).toEqual(
      Array.from({ length: 50 }, (_, i) => `re:p${i}`),
    );
  });

  test("request with no responder fails fast with NoRespondersError", async () => {
    const nc = await client(broker.url);
    const started = Date.now();
    const error = await nc.request("nobody.home", "x", { timeout: 5000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestError);
    expect((error as RequestError).isNoResponders()).toBe(true);
    expect((error as RequestError).cause).toBeInstanceOf(NoRespondersError);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  test("headers round trip", async () => {
    const nc = await client(broker.url);
    const sub = nc.subscribe("with.headers", { max: 1 });
    const h = headers();
    h.set("X-Trace", "abc123");
    h.append("X-Many", "1");
    h.append("X-Many", "2");
    nc.publish("with.headers", "body", { headers: h });
    for await (const m of sub) {
      expect(m.string()).toBe("body");
      expect(m.headers?.get("X-Trace")).toBe("abc123");
      expect(m.headers?.values("X-Many")).toEqual(["1", "2"]);
    }
  });

  test("queue group: each message to one member, spread over members", async () => {
    const counts = [0, 0, 0];
    const members = await Promise.all([0, 1, 2].map(() => client(broker.url)));
    members.forEach((nc, i) => {
      nc.subscribe("work", {
        queue: "workers",
        callback: () => {
          counts[i] = (counts[i] ?? 0) + 1;
        },
      });
    });
    await Promise.all(members.map((nc) => nc.flush()));
    const nc = await client(broker.url);
    for (let i = 0; i < 300; i++) nc.publish("work", `${i}`);
    await nc.flush();
    await Promise.all(members.map((m) => m.flush()));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(300);
    for (const count of counts) expect(count).toBeGreaterThan(50);
  });

  test("unsubscribe after N messages", async () => {
    const nc = await client(broker.url);
    const sub = nc.subscribe("limited");
    sub.unsubscribe(3);
    for (let i = 0; i < 10; i++) nc.publish("limited", `${i}`);
    const got: string[] = [];
    for await (const m of sub) got.push(m.string());
    expect(got).toEqual(["0", "1", "2"]);
  });

  test("a payload over max_payload is refused by the client from INFO", async () => {
    const nc = await client(broker.url);
    expect(nc.info?.max_payload).toBe(1024 * 1024);
    expect(() => nc.publish("big", new Uint8Array(1024 * 1024 + 1))).toThrow();
  });

  test("over WebSocket (wsconnect), talking to a TCP client", async () => {
    const ws = await wsconnect({ servers: broker.websocketUrl as string });
    open.push(ws);
    const tcp = await client(broker.url);
    tcp.subscribe("bridge", {
      callback: (_e, m) => {
        m.respond(`tcp saw ${m.string()}`);
      },
    });
    await tcp.flush();
    const reply = await ws.request("bridge", "hello from ws", { timeout: 2000 });
    expect(reply.string()).toBe("tcp saw hello from ws");
    const big = new Uint8Array(300_000).fill(7);
    const sub = ws.subscribe("bigws", { max: 1 });
    tcp.publish("bigws", big);
    for await (const m of sub) expect(m.data).toEqual(big);
  });

  test("the WebSocket mount on another Bun server", async () => {
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch(request, srv) {
        if (new URL(request.url).pathname === "/nats" && broker.websocket.upgrade(request, srv)) {
          return undefined;
        }
        return new Response("api");
      },
      websocket: broker.websocket.handlers,
    });
    try {
      const ws = await wsconnect({ servers: `ws://127.0.0.1:${server.port}/nats` });
      open.push(ws);
      const sub = ws.subscribe("mounted", { max: 1 });
      (await client(broker.url)).publish("mounted", "through the node's server");
      for await (const m of sub) expect(m.string()).toBe("through the node's server");
    } finally {
      await server.stop(true);
    }
  });
});

describe("official client: permissions and reconnect", () => {
  test("publish and subscribe violations reach the client; the connection stays", async () => {
    const broker = await startBroker({
      authenticate: (c) =>
        c.user === "u1" && c.pass === "p1"
          ? {
              user: "u1",
              publish: { allow: ["allowed.>", "_INBOX.>"] },
              subscribe: { allow: ["allowed.>", "_INBOX.>"] },
            }
          : undefined,
    });
    try {
      const refused = await connect({ servers: broker.url, user: "u1", pass: "bad" }).catch(
        (e: unknown) => e,
      );
      expect(String(refused)).toContain("Authorization Violation");

      const nc = await client(broker.url, { user: "u1", pass: "p1" });
      const denied = nc.subscribe("forbidden.topic");
      const iterated = (async () => {
        for await (const _ of denied) {
          // no message can arrive
        }
      })().catch((e: unknown) => e);
      const error = await iterated;
      expect(error).toBeInstanceOf(PermissionViolationError);
      expect((error as PermissionViolationError).operation).toBe("subscription");

      const reported = (async () => {
        for await (const s of nc.status()) if (s.type === "error") return s.error;
      })();
      nc.publish("forbidden.topic", "x");
      const publishError = await reported;
      expect(publishError).toBeInstanceOf(PermissionViolationError);
      expect(String(publishError)).toContain(
        'Permissions Violation for Publish to "forbidden.topic"',
      );

      const ok = nc.subscribe("allowed.topic", { max: 1 });
      nc.publish("allowed.topic", "fine");
      for await (const m of ok) expect(m.string()).toBe("fine");
      expect(nc.isClosed()).toBe(false);
    } finally {
      await broker.stop();
    }
  });

  test("the client reconnects after the broker restarts on the same port", async () => {
    let broker = await startBroker({});
    const port = broker.port;
    const nc = await client(broker.url, { reconnectTimeWait: 50, maxReconnectAttempts: -1 });
    const got: string[] = [];
    nc.subscribe("survives", {
      callback: (_e, m) => {
        got.push(m.string());
      },
    });
    await nc.flush();
    await broker.stop();
    broker = await startBroker({ port });
    try {
      for (let i = 0; i < 100 && got.length === 0; i++) {
        nc.publish("survives", "after restart");
        await Bun.sleep(50);
      }
      expect(got[0]).toBe("after restart");
    } finally {
      await broker.stop();
    }
  });

  test("many connections at once", async () => {
    const broker = await startBroker({});
    try {
      const conns = await Promise.all(Array.from({ length: 200 }, () => client(broker.url)));
      expect(broker.connectionCount()).toBe(200);
      const received: string[] = [];
      conns[0]?.subscribe("fanin", {
        callback: (_e, m) => {
          received.push(m.string());
        },
      });
      await conns[0]?.flush();
      for (const [i, nc] of conns.entries()) nc.publish("fanin", `${i}`);
      await Promise.all(conns.map((nc) => nc.flush()));
      await conns[0]?.flush();
      expect(received.length).toBe(200);
    } finally {
      await Promise.all(open.splice(0).map((nc) => nc.close()));
      await broker.stop();
    }
  });
});
