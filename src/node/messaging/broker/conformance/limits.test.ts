/**
 * Conformance, limits and policing: max payload, permissions, slow consumers, server pings and
 * stale connections. Same cases for nats-server and our broker.
 */
import { expect, test } from "bun:test";
import {
  AuthorizationError,
  InvalidArgumentError,
  PermissionViolationError,
  type Status,
} from "@nats-io/nats-core";
import { describeEachServer, nextStatus, rejection, roundTrip, until, within } from "./harness";
import type { TestUser } from "./servers";

describeEachServer("max payload", { maxPayload: 1024 }, (h) => {
  test("announced in INFO; the client refuses a larger publish; the limit itself passes", async () => {
    const pub = await h.tcp();
    const sub = await h.tcp();
    expect(pub.info?.max_payload).toBe(1024);
    const subject = h.unique("big");
    const got: number[] = [];
    sub.subscribe(subject, {
      callback: (_e, m) => {
        got.push(m.data.length);
      },
    });
    await sub.flush();
    let thrown: unknown;
    try {
      pub.publish(subject, new Uint8Array(1025));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidArgumentError);
    expect(String(thrown)).toMatch(/max_payload/);
    pub.publish(subject, new Uint8Array(1024));
    await pub.flush();
    await until(() => got.length === 1, 3000, "the 1024-byte message");
    expect(got).toEqual([1024]);
    expect(pub.isClosed()).toBe(false);
  });

  test("a raw PUB over the limit gets -ERR 'Maximum Payload Violation' and is closed", async () => {
    const watcher = await h.tcp();
    const raw = await h.raw();
    expect(raw.info.max_payload).toBe(1024);
    raw.write(`PUB ${h.unique("big.raw")} 1025\r\n`);
    await raw.waitFor("-ERR 'Maximum Payload Violation'\r\n");
    expect(await raw.waitClosed()).toBe(true);
    // HPUB counts headers and payload together.
    const hraw = await h.raw();
    hraw.write(`HPUB ${h.unique("big.raw")} 12 1037\r\n`);
    await hraw.waitFor("-ERR 'Maximum Payload Violation'\r\n");
    expect(await hraw.waitClosed()).toBe(true);
    await roundTrip(watcher, watcher);
  });
});

const SUBSCRIBER = { user: "subscriber", pass: "subscriber-secret" };
const SUBSCRIBERS: TestUser[] = [{ ...SUBSCRIBER, publish: ["subs.>"], subscribe: ["subs.>"] }];

describeEachServer("max subscriptions", { maxSubscriptions: 2, users: SUBSCRIBERS }, (h) => {
  test("past the limit: -ERR 'maximum subscriptions exceeded', nothing else changes", async () => {
    const raw = await h.raw({ connect: SUBSCRIBER });
    raw.write(
      "SUB subs.a 1\r\nSUB subs.b 2\r\nSUB subs.c 3\r\n" +
        // At the limit even a sid it holds is refused (the check comes before the lookup)...
        "SUB subs.a 1\r\n" +
        // ...but a permission violation is reported as such.
        "SUB other.x 9\r\nPING\r\n",
    );
    await raw.waitFor("PONG\r\n");
    expect(raw.sinceMark).toBe(
      [
        "-ERR 'maximum subscriptions exceeded'",
        "-ERR 'maximum subscriptions exceeded'",
        `-ERR 'Permissions Violation for Subscription to "other.x"'`,
        "PONG",
        "",
      ].join("\r\n"),
    );
    // The two it holds still receive; after an UNSUB there is room again.
    raw.mark();
    raw.write("UNSUB 2\r\nSUB subs.c 3\r\nPUB subs.a 1\r\na\r\nPUB subs.c 1\r\nc\r\nPING\r\n");
    await raw.waitFor("PONG\r\n");
    expect(raw.sinceMark).toBe("MSG subs.a 1 1\r\na\r\nMSG subs.c 3 1\r\nc\r\nPONG\r\n");
    expect(raw.isClosed).toBe(false);
  });
});

const USERS: TestUser[] = [
  {
    user: "alice",
    pass: "alice-secret",
    publish: ["perm.alice.>", "perm.svc.*"],
    subscribe: ["perm.alice.>", "_INBOX.>"],
  },
  { user: "bob", pass: "bob-secret", publish: [">"], subscribe: [">"] },
];
const alice = { user: "alice", pass: "alice-secret" };
const bob = { user: "bob", pass: "bob-secret" };

const isPermissionError = (status: Status) =>
  status.type === "error" && status.error instanceof PermissionViolationError;

function permissionError(status: Status): PermissionViolationError {
  if (status.type !== "error" || !(status.error instanceof PermissionViolationError)) {
    throw new Error(`not a permission error: ${JSON.stringify(status)}`);
  }
  return status.error;
}

describeEachServer("permissions", { users: USERS, authTimeoutMs: 400 }, (h) => {
  test("wrong or missing credentials are refused with an authorization error", async () => {
    const wrong = await rejection(h.tcp({ user: "alice", pass: "nope" }));
    expect(wrong).toBeInstanceOf(AuthorizationError);
    expect(wrong.message).toMatch(/Authorization Violation/i);
    const none = await rejection(h.tcp());
    expect(none).toBeInstanceOf(AuthorizationError);
    const raw = await h.raw({ connect: false });
    expect(raw.info.auth_required).toBe(true);
    raw.write('CONNECT {"verbose":false,"user":"mallory","pass":"x"}\r\nPING\r\n');
    await raw.waitFor("-ERR 'Authorization Violation'\r\n");
    expect(await raw.waitClosed()).toBe(true);
  });

  test("before CONNECT, any other operation is an authorization violation", async () => {
    const raw = await h.raw({ connect: false });
    raw.write("PUB perm.alice.x 2\r\nhi\r\n");
    await raw.waitFor("-ERR 'Authorization Violation'\r\n");
    expect(await raw.waitClosed()).toBe(true);
  });

  test("a client that never sends CONNECT is closed at the auth timeout", async () => {
    const raw = await h.raw({ connect: false });
    const started = Date.now();
    await raw.waitFor("-ERR 'Authentication Timeout'\r\n", 3000);
    expect(await raw.waitClosed()).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  test("publish violation: the client surfaces it, the message is dropped, the connection goes on", async () => {
    const a = await h.tcp(alice);
    const b = await h.tcp(bob);
    const seen: string[] = [];
    b.subscribe("perm.>", {
      callback: (_e, m) => {
        seen.push(m.subject);
      },
    });
    await b.flush();
    const violation = nextStatus(a, isPermissionError, 3000, "the publish permission error");
    a.publish("perm.bob.inbox", "sneaky");
    const status = await violation;
    const error = permissionError(status);
    expect(error.operation).toBe("publish");
    expect(error.subject).toBe("perm.bob.inbox");
    // The connection's other traffic continues.
    a.publish("perm.alice.ok", "fine");
    await a.flush();
    await until(() => seen.includes("perm.alice.ok"), 3000, "the allowed publish");
    await b.flush();
    expect(seen).toEqual(["perm.alice.ok"]);
    expect(a.isClosed()).toBe(false);
  });

  test("subscribe violation: the subscription is closed with the error, others keep receiving", async () => {
    const a = await h.tcp(alice);
    const b = await h.tcp(bob);
    const allowedGot: string[] = [];
    a.subscribe("perm.alice.news", {
      callback: (_e, m) => {
        allowedGot.push(m.string());
      },
    });
    const callbackErrors: Error[] = [];
    const denied = a.subscribe("perm.bob.>", {
      callback: (err) => {
        if (err) callbackErrors.push(err);
      },
    });
    const closedWith = await within(denied.closed, 3000, "the denied subscription closes");
    expect(closedWith).toBeInstanceOf(PermissionViolationError);
    expect((closedWith as PermissionViolationError).operation).toBe("subscription");
    expect((closedWith as PermissionViolationError).subject).toBe("perm.bob.>");
    expect(callbackErrors.length).toBe(1);
    const deniedQueue = a.subscribe("perm.bob.q", { queue: "workers", callback: () => {} });
    const queueError = (await within(deniedQueue.closed, 3000, "queue sub")) as Error;
    expect(queueError).toBeInstanceOf(PermissionViolationError);
    expect((queueError as PermissionViolationError).queue).toBe("workers");
    b.publish("perm.bob.x", "not for alice");
    b.publish("perm.alice.news", "for alice");
    await b.flush();
    await until(() => allowedGot.length === 1, 3000, "the allowed subscription");
    await a.flush();
    expect(allowedGot).toEqual(["for alice"]);
    expect(a.isClosed()).toBe(false);
  });

  test("request to a subject the user may not publish to fails; allowed requests work", async () => {
    const a = await h.tcp(alice);
    const b = await h.tcp(bob);
    b.subscribe("perm.svc.time", {
      callback: (_e, m) => {
        m.respond("noon");
      },
    });
    b.subscribe("perm.other.time", {
      callback: (_e, m) => {
        m.respond("never");
      },
    });
    await b.flush();
    expect((await a.request("perm.svc.time", "", { timeout: 2000 })).string()).toBe("noon");
    const error = await rejection(a.request("perm.other.time", "", { timeout: 1500 }));
    // Rejected at once with the server's permission error, not by the request timeout.
    expect(error.cause).toBeInstanceOf(PermissionViolationError);
    expect((error.cause as PermissionViolationError).subject).toBe("perm.other.time");
    expect((await a.request("perm.svc.time", "", { timeout: 2000 })).string()).toBe("noon");
  });

  test("the exact -ERR lines nats-server sends for permission violations; the connection stays", async () => {
    const raw = await h.raw({ connect: alice });
    raw.write(
      "PUB perm.bob.x 2\r\nhi\r\nPUB perm.svc.a.b 0\r\n\r\n" +
        "SUB perm.bob.x 1\r\nSUB perm.bob.y q 2\r\nPING\r\n",
    );
    await raw.waitFor("PONG\r\n");
    expect(raw.sinceMark).toBe(
      [
        `-ERR 'Permissions Violation for Publish to "perm.bob.x"'`,
        // perm.svc.* allows one token, not two.
        `-ERR 'Permissions Violation for Publish to "perm.svc.a.b"'`,
        `-ERR 'Permissions Violation for Subscription to "perm.bob.x"'`,
        `-ERR 'Permissions Violation for Subscription to "perm.bob.y" using queue "q"'`,
        "PONG",
        "",
      ].join("\r\n"),
    );
    raw.mark();
    raw.write("SUB perm.alice.z 3\r\nPUB perm.alice.z 2\r\nok\r\nPING\r\n");
    await raw.waitFor("PONG\r\n");
    expect(raw.sinceMark).toBe("MSG perm.alice.z 3 2\r\nok\r\nPONG\r\n");
  });

  test("permissions over WebSocket too", async () => {
    const a = await h.ws(alice);
    const violation = nextStatus(a, isPermissionError, 3000, "the publish permission error");
    a.publish("perm.bob.ws", "x");
    const status = await violation;
    expect(permissionError(status).subject).toBe("perm.bob.ws");
    const b = await h.tcp(bob);
    await roundTrip(b, a, "perm.alice.ws");
  });
});

describeEachServer("slow consumer", { maxPendingBytes: 256 * 1024, writeDeadlineMs: 200 }, (h) => {
  test("a subscriber that stops reading is cut off; a fast one gets every message", async () => {
    const subject = h.unique("firehose");
    const slow = await h.raw();
    slow.write(`SUB ${subject} 1\r\nPING\r\n`);
    await slow.waitFor("PONG\r\n");
    slow.pause();
    const fast = await h.tcp();
    let fastGot = 0;
    fast.subscribe(subject, {
      callback: () => {
        fastGot++;
      },
    });
    await fast.flush();
    const pub = await h.tcp();

    // 12 MiB: well past what the kernel buffers of the paused socket absorb plus 256 KiB.
    const payload = new Uint8Array(8 * 1024).fill(120);
    const total = 1536;
    const started = Date.now();
    for (let i = 0; i < total; i += 8) {
      for (let j = 0; j < 8; j++) pub.publish(subject, payload);
      await pub.flush();
    }
    await until(
      () => fastGot === total,
      10_000,
      "the fast subscriber receives every message",
      () => `${fastGot}/${total}`,
    );
    // Nobody was held back for long by the paused reader.
    expect(Date.now() - started).toBeLessThan(10_000);

    // The slow one: reading again, it finds the connection closed (after an optional -ERR).
    slow.resume();
    expect(await slow.waitClosed(10_000)).toBe(true);
    expect(slow.bytes).toBeLessThan(total * payload.length);
    for (const line of slow.errLines()) expect(line).toMatch(/^-ERR 'Slow Consumer/i);
    await roundTrip(pub, fast);
  });
});

describeEachServer("server pings", { pingIntervalMs: 200, maxPingsOut: 2 }, (h) => {
  test("a connection that never answers PING is closed as a 'Stale Connection'", async () => {
    const raw = await h.raw();
    await raw.waitFor("PING\r\n", 3000, "the server's first PING");
    await raw.waitFor("-ERR 'Stale Connection'\r\n", 5000, "the stale connection error");
    expect(await raw.waitClosed()).toBe(true);
    expect(raw.sinceMark.split("PING\r\n").length - 1).toBeGreaterThanOrEqual(2);
  });

  test("connections that answer PINGs stay (a raw one and an official client)", async () => {
    const nc = await h.tcp();
    const raw = await h.raw();
    let answered = 0;
    const started = Date.now();
    while (Date.now() - started < 1500) {
      const pings = raw.sinceMark.split("PING\r\n").length - 1;
      while (answered < pings) {
        raw.write("PONG\r\n");
        answered++;
      }
      await Bun.sleep(20);
    }
    expect(answered).toBeGreaterThanOrEqual(3);
    expect(raw.isClosed).toBe(false);
    expect(nc.isClosed()).toBe(false);
    await roundTrip(nc, nc);
  });
});
