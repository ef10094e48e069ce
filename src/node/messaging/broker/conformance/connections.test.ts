/**
 * Conformance, connections: reconnect after the server restarts, many connections at once.
 * Same cases for nats-server and our broker.
 */
import { expect, test } from "bun:test";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { describeEachServer, nextStatus, roundTrip, until, within } from "./harness";

const RECONNECT = {
  reconnect: true,
  maxReconnectAttempts: -1,
  reconnectTimeWait: 50,
  reconnectJitter: 0,
  reconnectJitterTLS: 0,
};

// The official clients keep their transport factory in a module global that every `connect`
// and `wsconnect` call overwrites, and a reconnect dials through whichever was set last. So
// each case below makes its reconnecting client the last one connected before the restart
// (a client-library quirk, the same against both servers).
describeEachServer("reconnect", {}, (h) => {
  const restartAndReconnect = async (nc: NatsConnection) => {
    const disconnect = nextStatus(nc, (s) => s.type === "disconnect", 10_000, "disconnect");
    const reconnect = nextStatus(nc, (s) => s.type === "reconnect", 10_000, "reconnect");
    await h.server.restart();
    await disconnect;
    await reconnect;
  };

  test("TCP: after the server restarts on the same port, the client reconnects and its subscriptions work again", async () => {
    const other = await h.tcp();
    const nc = await h.tcp(RECONNECT);
    const subject = h.unique("re.tcp");
    const got: string[] = [];
    nc.subscribe(subject, {
      callback: (_e, m) => {
        got.push(m.string());
      },
    });
    const svc = h.unique("re.tcp.svc");
    nc.subscribe(svc, {
      callback: (_e, m) => {
        m.respond("still here");
      },
    });
    await nc.flush();
    await roundTrip(other, nc);

    await restartAndReconnect(nc);
    expect(other.isClosed()).toBe(true);

    // A client that never saw the old server publishes; the resubscribed client receives.
    const fresh = await h.tcp();
    fresh.publish(subject, "after restart");
    await fresh.flush();
    await until(() => got.includes("after restart"), 5000, "the old subscription receives");
    expect((await fresh.request(svc, "", { timeout: 3000 })).string()).toBe("still here");
    // And the reconnected client publishes and requests itself.
    await roundTrip(nc, fresh);
    expect(nc.isClosed()).toBe(false);
  });

  test("WebSocket: after the server restarts, the client reconnects and its subscriptions work again", async () => {
    const ws = await h.ws(RECONNECT);
    const subject = h.unique("re.ws");
    const got: string[] = [];
    ws.subscribe(subject, {
      callback: (_e, m) => {
        got.push(m.string());
      },
    });
    await ws.flush();

    await restartAndReconnect(ws);

    const fresh = await h.tcp();
    const svc = h.unique("re.ws.svc");
    fresh.subscribe(svc, {
      callback: (_e, m) => {
        m.respond("pong");
      },
    });
    await fresh.flush();
    fresh.publish(subject, "after restart");
    await fresh.flush();
    await until(() => got.includes("after restart"), 5000, "the old subscription receives");
    expect((await ws.request(svc, "", { timeout: 3000 })).string()).toBe("pong");
    expect(ws.isClosed()).toBe(false);
  });
});

describeEachServer("many connections", {}, (h) => {
  test("1,000 TCP clients at once: each publishes one message and receives one", async () => {
    const n = 1000;
    const prefix = h.unique("many");
    const clients: NatsConnection[] = [];
    // Filled, not sparse: `every` skips the holes of a sparse array.
    const received = new Array<string | undefined>(n).fill(undefined);
    try {
      for (let start = 0; start < n; start += 100) {
        const wave = await within(
          Promise.all(
            Array.from({ length: Math.min(100, n - start) }, () =>
              connect({ servers: h.server.url, reconnect: false, name: "many" }),
            ),
          ),
          20_000,
          `connecting clients ${start}..${start + 99}`,
        );
        clients.push(...wave);
      }
      expect(await h.server.connections()).toBe(n);
      clients.forEach((nc, i) => {
        nc.subscribe(`${prefix}.${i}`, {
          max: 1,
          callback: (_e, m) => {
            received[i] = m.string();
          },
        });
      });
      await within(Promise.all(clients.map((nc) => nc.flush())), 20_000, "subscriptions");
      // Client i publishes to client i+1.
      clients.forEach((nc, i) => {
        nc.publish(`${prefix}.${(i + 1) % n}`, `from ${i}`);
      });
      await within(Promise.all(clients.map((nc) => nc.flush())), 20_000, "publishes");
      await until(
        () => received.every((r) => r !== undefined),
        20_000,
        "every client receives its message",
        () => `${received.filter((r) => r !== undefined).length}/${n}`,
      );
      expect(received).toEqual(clients.map((_, i) => `from ${(i - 1 + n) % n}`));
    } finally {
      await within(
        Promise.all(clients.map((nc) => nc.close().catch(() => {}))),
        20_000,
        "closing 1,000 clients",
      );
    }
    // The server lets go of all of them.
    const deadline = Date.now() + 10_000;
    let open = await h.server.connections();
    while (open !== 0 && Date.now() < deadline) {
      await Bun.sleep(20);
      open = await h.server.connections();
    }
    expect(open).toBe(0);
  });
});
