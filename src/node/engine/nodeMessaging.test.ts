import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { Wallet } from "ethers";
import pino from "pino";
import { ManualClock } from "../../clock";
import { inboxPrefixFor, subjectFor } from "../../protocol/messaging";
import { testMessagingCredentials } from "../auth/testing";
import { startBroker } from "../messaging/broker";
import {
  NATS_SERVER_BIN,
  NATS_SERVER_MISSING,
  startNatsServer,
} from "../messaging/testing/natsServer";
import { NodeMessaging } from "./nodeMessaging";

/**
 * The node answers a request only in its sender's inboxes (issue 9, attack 9): on a real NATS,
 * the embedded broker (where only the node's own identity can send such a request at all) and
 * nats-server without authentication (where anyone can).
 */

const nodeWallet = Wallet.createRandom();
const node = nodeWallet.address.toLowerCase();
const alice = Wallet.createRandom().address.toLowerCase();
const bob = Wallet.createRandom().address.toLowerCase();
const creds = testMessagingCredentials(nodeWallet.privateKey);

interface Nats {
  url: string;
  /** Connection options for `address` (its messaging JWT on the embedded broker). */
  as(address: string): Promise<object>;
  stop(): Promise<void>;
}

const servers: [string, string | undefined, () => Promise<Nats>][] = [
  [
    "the embedded broker",
    undefined,
    async () => {
      const broker = await startBroker({
        authenticate: creds.authenticate,
      });
      return {
        url: broker.url,
        as: (address) => creds.as(address),
        stop: () => broker.stop(),
      };
    },
  ],
  [
    "nats-server without authentication",
    NATS_SERVER_BIN === null ? NATS_SERVER_MISSING : undefined,
    async () => {
      const server = await startNatsServer();
      return { url: server.url, as: async () => ({}), stop: () => server.stop() };
    },
  ],
];

for (const [name, skipReason, start] of servers) {
  describe.skipIf(skipReason !== undefined)(`NodeMessaging on ${name}`, () => {
    let nats: Nats;
    let messaging: NodeMessaging;
    const open: NatsConnection[] = [];
    const served: string[] = [];
    const logged: { msg: string; reply?: string | null }[] = [];
    let onLog: (() => void) | undefined;

    async function as(address: string, inboxOf = address): Promise<NatsConnection> {
      const nc = await connect({
        servers: nats.url,
        inboxPrefix: inboxPrefixFor(inboxOf),
        reconnect: false,
        ...(await nats.as(address)),
      });
      open.push(nc);
      return nc;
    }

    beforeAll(async () => {
      nats = await start();
      const logger = pino(
        { level: "warn" },
        {
          write(line: string) {
            logged.push(JSON.parse(line));
            onLog?.();
          },
        },
      );
      messaging = new NodeMessaging({
        connection: await as(node),
        node,
        handlers: {
          ping: async (user, data) => {
            served.push(`${user}: ${new TextDecoder().decode(data)}`);
            return { pong: true };
          },
        },
        requestTimeoutMs: 2000,
        logger,
      });
      messaging.start();
    });
    afterEach(() => {
      served.length = 0;
      logged.length = 0;
    });
    afterAll(async () => {
      await messaging?.stop();
      await Promise.all(open.splice(0).map((nc) => nc.close().catch(() => undefined)));
      await nats?.stop();
    });

    /** Resolves once `count` lines were logged; fails saying so after 4 s. */
    function logLines(count: number): Promise<void> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(new Error(`${logged.length} of ${count} log lines: ${JSON.stringify(logged)}`)),
          4000,
        );
        onLog = () => {
          if (logged.length < count) return;
          clearTimeout(timer);
          resolve();
        };
        onLog();
      });
    }

    test("a request with its reply in the sender's inbox is served", async () => {
      const user = await as(alice);
      const reply = await user.request(subjectFor(node, alice, "ping"), "hi", { timeout: 5000 });
      expect(JSON.parse(reply.string())).toMatchObject({ ok: true, result: { pong: true } });
      expect(served).toEqual([`${alice}: hi`]);
    });

    test("a reply subject outside the sender's inbox: dropped with a log line, the handler not run", async () => {
      // On the embedded broker only the node's identity may name such replies (users are
      // refused by the broker), so it plays the forger; on nats-server anyone can.
      const forger = await as(node);
      const observer = await as(node);
      const seen: string[] = [];
      for (const subject of [`_inbox.${bob}.>`, `connext.${node}.${bob}.>`, `connext.${bob}.>`]) {
        observer.subscribe(subject, { callback: (_e, m) => void seen.push(m.subject) });
      }
      await observer.flush();

      const forged = [
        `_inbox.${bob}.x`, // another user's inbox
        `connext.${node}.${bob}.ping`, // a node request subject: the answer would pass for Bob's
        `connext.${bob}.${node}.update`, // another user's subject
        `_inbox.${alice}`, // the inbox prefix itself, not under it
        `_inbox.${alice}x.y`, // a longer name that starts like Alice's
        undefined, // no reply subject at all
      ];
      for (const reply of forged) {
        forger.publish(subjectFor(node, alice, "ping"), "forged", reply ? { reply } : {});
      }
      await forger.flush();
      await logLines(forged.length);

      expect(served).toEqual([]);
      expect(logged.map((line) => [line.msg, line.reply])).toEqual(
        forged.map((reply) => [
          "request dropped: its reply subject is not in the sender's inbox",
          reply ?? null,
        ]),
      );
      // Nothing was answered anywhere: a reply would have been published before the log line;
      // the node's connection is flushed (it reached the server), then the observer's.
      await open[0]?.flush();
      await observer.flush();
      expect(seen).toEqual([]);

      // The honest request still goes through.
      const user = await as(alice);
      const reply = await user.request(subjectFor(node, alice, "ping"), "ok", { timeout: 5000 });
      expect(JSON.parse(reply.string())).toMatchObject({ ok: true });
    });
  });
}

/**
 * Issue 11: a user who lets the node's requests time out delays only itself. Each timeout in a
 * row shortens its next timeout and defers background work for it; its first answer clears
 * that; and only so many of its requests wait for replies at once, without holding up anyone
 * else's.
 */
describe("NodeMessaging: unresponsive users", () => {
  let broker: Awaited<ReturnType<typeof startBroker>>;
  let messaging: NodeMessaging;
  const open: NatsConnection[] = [];
  const carol = Wallet.createRandom().address.toLowerCase();
  const dave = Wallet.createRandom().address.toLowerCase();
  /** What each user received, and whether it answers. */
  const received = new Map<string, number>();
  const answers = new Map<string, boolean>();
  /** Strikes and deferrals run on it (reply timeouts are the broker's, in real time). */
  const strikeClock = new ManualClock(Date.now());

  async function user(address: string): Promise<void> {
    const nc = await connect({
      servers: broker.url,
      inboxPrefix: inboxPrefixFor(address),
      reconnect: false,
      ...(await creds.as(address)),
    });
    open.push(nc);
    nc.subscribe(subjectFor(address, node, "update"), {
      callback: (_error, msg) => {
        received.set(address, (received.get(address) ?? 0) + 1);
        if (answers.get(address)) msg.respond("{}");
      },
    });
    await nc.flush();
  }

  beforeAll(async () => {
    broker = await startBroker({
      authenticate: creds.authenticate,
    });
    const nc = await connect({
      servers: broker.url,
      reconnect: false,
      ...(await creds.as(nodeWallet.address)),
    });
    open.push(nc);
    messaging = new NodeMessaging({
      connection: nc,
      node,
      handlers: {},
      requestTimeoutMs: 1_000,
      backoff: { minTimeoutMs: 200, deferMs: 400, maxWaitingPerUser: 1 },
      clock: strikeClock,
      logger: pino({ level: "silent" }),
    });
    await user(carol);
    await user(dave);
  });
  afterAll(async () => {
    await messaging?.stop();
    await Promise.all(open.splice(0).map((nc) => nc.close().catch(() => undefined)));
    await broker?.stop();
  });

  /** How long a request to `to` took to fail (or succeed), in ms. */
  async function timed(to: string, timeoutMs?: number): Promise<number> {
    const started = performance.now();
    await messaging
      .request(to, "update", "{}", timeoutMs !== undefined ? { timeoutMs } : {})
      .catch(() => {});
    return performance.now() - started;
  }

  test("each timeout in a row shortens the next and defers background work; an answer clears it", async () => {
    answers.set(carol, false);
    expect(messaging.deferred(carol)).toBe(false);
    expect(await timed(carol)).toBeGreaterThan(900);
    expect(messaging.deferred(carol)).toBe(true);
    // 1 s / 4 after one strike, then the 200 ms floor.
    const second = await timed(carol);
    expect(second).toBeGreaterThan(200);
    expect(second).toBeLessThan(600);
    const third = await timed(carol);
    expect(third).toBeLessThan(400);
    // Deferral ends (400 ms doubled per strike: 1.6 s after the third), strikes do not.
    expect(messaging.deferred(carol)).toBe(true);
    strikeClock.advance(1_700);
    expect(messaging.deferred(carol)).toBe(false);
    // An answer clears everything: the next timeout is the full one again.
    answers.set(carol, true);
    expect(await timed(carol)).toBeLessThan(200);
    answers.set(carol, false);
    expect(await timed(carol)).toBeGreaterThan(900);
    expect(messaging.deferred(dave)).toBe(false);
  }, 20_000);

  test("a caller's cap shortens the timeout; a user's requests wait their turn, others' do not", async () => {
    answers.set(dave, false);
    expect(await timed(dave, 300)).toBeLessThan(600);
    answers.set(dave, true);
    await timed(dave); // clears dave's strike
    answers.set(carol, false);
    const before = received.get(carol) ?? 0;
    // Two requests to silent carol: with one allowed to wait at a time, the second goes out
    // only once the first has timed out; dave is served meanwhile.
    const both = Promise.all([timed(carol), timed(carol)]);
    await Bun.sleep(100);
    expect((received.get(carol) ?? 0) - before).toBe(1);
    expect(await timed(dave)).toBeLessThan(200);
    await both;
    expect((received.get(carol) ?? 0) - before).toBe(2);
  }, 20_000);
});

describe("NodeMessaging: a user flooding the node", () => {
  let broker: Awaited<ReturnType<typeof startBroker>>;
  let messaging: NodeMessaging;
  const open: NatsConnection[] = [];
  const mallory = Wallet.createRandom().address.toLowerCase();
  const erin = Wallet.createRandom().address.toLowerCase();
  /** Handler runs per user, and the gate every handler waits at. */
  const ran = new Map<string, number>();
  let release: () => void = () => {};
  let gate = new Promise<void>((resolve) => {
    release = resolve;
  });

  async function as(address: string): Promise<NatsConnection> {
    const nc = await connect({
      servers: broker.url,
      inboxPrefix: inboxPrefixFor(address),
      reconnect: false,
      ...(await creds.as(address)),
    });
    open.push(nc);
    return nc;
  }

  beforeAll(async () => {
    broker = await startBroker({
      authenticate: creds.authenticate,
    });
    messaging = new NodeMessaging({
      connection: await as(nodeWallet.address),
      node,
      handlers: {
        sync: async (user) => {
          ran.set(user, (ran.get(user) ?? 0) + 1);
          await gate;
          return {};
        },
      },
      requestTimeoutMs: 1_000,
      maxRequestsPerUser: 4,
      logger: pino({ level: "silent" }),
    });
    messaging.start();
  });
  afterAll(async () => {
    release();
    await messaging?.stop();
    await Promise.all(open.splice(0).map((nc) => nc.close().catch(() => undefined)));
    await broker?.stop();
  });

  test("its requests past the cap are refused at once without running; another user's run", async () => {
    const flooder = await as(mallory);
    const replies = Array.from({ length: 10 }, () =>
      flooder
        .request(subjectFor(node, mallory, "sync"), "{}", { timeout: 5_000 })
        .then((reply) => JSON.parse(reply.string()) as { error?: { code: string } }),
    );
    // The six past the cap answer at once, while the first four are still being handled.
    const refused = await Promise.all(replies.slice(4));
    expect(refused.map((reply) => reply.error?.code)).toEqual(Array(6).fill("RATE_LIMITED"));
    expect(ran.get(mallory)).toBe(4);
    // Another user is not held up by the flooder's cap.
    const other = await as(erin);
    const served = other.request(subjectFor(node, erin, "sync"), "{}", { timeout: 5_000 });
    // Its handler runs while the flooder's four still wait at the gate.
    while (ran.get(erin) !== 1) await Bun.sleep(5);
    expect(ran.get(mallory)).toBe(4);
    release();
    expect(JSON.parse((await served).string()).error).toBeUndefined();
    const first = await Promise.all(replies.slice(0, 4));
    expect(first.every((reply) => reply.error === undefined)).toBe(true);
    // Answered, its slots are free again.
    gate = Promise.resolve();
    const again = await flooder.request(subjectFor(node, mallory, "sync"), "{}", {
      timeout: 5_000,
    });
    expect(JSON.parse(again.string()).error).toBeUndefined();
    expect(ran.get(mallory)).toBe(5);
  });
});
