import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { MINIMAL_CONNECT, RawClient } from "./conformance/raw";
import { BrokerError, startBroker } from "./index";
import type { AuthResult, Broker, ConnectOptions } from "./types";

/** The broker on the wire, driven by hand: protocol lines, auth, limits, pings, shutdown. */

const clients: RawClient[] = [];
async function raw(broker: Broker): Promise<RawClient> {
  const client = await RawClient.open(broker.port, { connect: false, base: MINIMAL_CONNECT });
  clients.push(client);
  return client;
}
afterEach(() => {
  for (const client of clients.splice(0)) client.end();
});

describe("protocol", () => {
  let broker: Broker;
  beforeAll(async () => {
    broker = await startBroker({});
  });
  afterAll(() => broker.stop());

  test("INFO carries nats-server's fields", async () => {
    const client = await raw(broker);
    expect(client.text.endsWith("} \r\n")).toBe(true);
    const info = client.info;
    expect(Object.keys(info)).toEqual([
      "server_id",
      "server_name",
      "version",
      "proto",
      "go",
      "host",
      "port",
      "headers",
      "max_payload",
      "client_id",
      "client_ip",
    ]);
    expect(info).toMatchObject({
      proto: 1,
      host: "127.0.0.1",
      port: broker.port,
      headers: true,
      max_payload: 1024 * 1024,
      client_ip: "127.0.0.1",
    });
    expect(info.server_id).toMatch(/^N[A-Z2-7]{55}$/);
    expect(broker.url).toBe(`nats://127.0.0.1:${broker.port}`);
  });

  test("verbose: +OK for each valid operation, before the MSG it causes", async () => {
    const client = await raw(broker);
    client.write(
      'CONNECT {"verbose":true}\r\nPING\r\nSUB v.1 1\r\nPUB v.1 3\r\nabc\r\nUNSUB 1\r\n',
    );
    await client.waitFor("MSG v.1 1 3\r\nabc\r\n+OK\r\n");
    // open() marks after the INFO.
    expect(client.sinceMark).toBe("+OK\r\nPONG\r\n+OK\r\n+OK\r\nMSG v.1 1 3\r\nabc\r\n+OK\r\n");
  });

  test("a client is verbose and pedantic until CONNECT says otherwise (as nats-server)", async () => {
    const client = await raw(broker);
    client.mark();
    client.write("PUB a.* 1\r\nx\r\nPING\r\n");
    await client.waitFor("PONG\r\n");
    expect(client.sinceMark).toBe("-ERR 'Invalid Publish Subject'\r\n+OK\r\nPONG\r\n");
  });

  test("invalid subscription subjects are refused and the connection stays", async () => {
    const client = await raw(broker);
    await client.connect();
    client.write("SUB a..b 1\r\nSUB a.>.b 2\r\nSUB .a 3\r\nPING\r\n");
    await client.waitFor("PONG\r\n");
    expect(client.sinceMark).toBe(`${"-ERR 'Invalid Subject'\r\n".repeat(3)}PONG\r\n`);
  });

  test("wildcards and queue groups", async () => {
    const sub = await raw(broker);
    await sub.connect();
    sub.write("SUB w.* 1\r\nSUB w.> 2\r\nSUB w.a q 3\r\nSUB w.a q 4\r\nPING\r\n");
    await sub.waitFor("PONG\r\n");
    sub.mark();
    const pub = await raw(broker);
    await pub.connect();
    pub.write("PUB w.a 1\r\n1\r\nPUB w.a 1\r\n2\r\nPUB w.a.b 1\r\n3\r\nPING\r\n");
    await pub.waitFor("PONG\r\n");
    sub.write("PING\r\n");
    await sub.waitFor("PONG\r\n");
    const got = sub.sinceMark;
    expect(got).toContain("MSG w.a 1 1\r\n1\r\n");
    expect(got).toContain("MSG w.a 2 1\r\n1\r\n");
    expect(got).toContain("MSG w.a 2 1\r\n2\r\n");
    expect(got).toContain("MSG w.a.b 2 1\r\n3\r\n");
    expect(got).not.toContain("MSG w.a.b 1 ");
    // Each message reached exactly one queue member, and both members were used.
    const queued = got.match(/MSG w\.a [34] /g) ?? [];
    expect(queued.length).toBe(2);
    expect(new Set(queued).size).toBe(2);
  });

  test("UNSUB with max: removed after that many messages", async () => {
    const client = await raw(broker);
    await client.connect();
    client.write("SUB m 1\r\nUNSUB 1 2\r\n");
    client.write("PUB m 1\r\na\r\nPUB m 1\r\nb\r\nPUB m 1\r\nc\r\nPING\r\n");
    await client.waitFor("PONG\r\n");
    expect(client.sinceMark).toBe("MSG m 1 1\r\na\r\nMSG m 1 1\r\nb\r\nPONG\r\n");
  });

  test("echo false: no copy of one's own messages", async () => {
    const client = await raw(broker);
    await client.connect({ echo: false });
    client.write("SUB e 1\r\nPUB e 1\r\nx\r\nPING\r\n");
    await client.waitFor("PONG\r\n");
    expect(client.sinceMark).toBe("PONG\r\n");
  });

  test("no responders: a 503 status on the requester's reply subscription", async () => {
    const client = await raw(broker);
    await client.connect({ no_responders: true });
    client.write("SUB _INBOX.r.* 9\r\nPUB nobody _INBOX.r.1 2\r\nhi\r\nPING\r\n");
    await client.waitFor("PONG\r\n");
    expect(client.sinceMark).toBe("HMSG _INBOX.r.1 9 16 16\r\nNATS/1.0 503\r\n\r\n\r\nPONG\r\n");
  });

  test("headers: HMSG to a headers client, MSG without them to another", async () => {
    const withHeaders = await raw(broker);
    await withHeaders.connect();
    withHeaders.write("SUB h 1\r\nPING\r\n");
    await withHeaders.waitFor("PONG\r\n");
    withHeaders.mark();
    const without = await raw(broker);
    await without.connect({ headers: false });
    without.write("SUB h 1\r\nPING\r\n");
    await without.waitFor("PONG\r\n");
    without.mark();
    const pub = await raw(broker);
    await pub.connect();
    pub.write("HPUB h r 18 21\r\nNATS/1.0\r\nA: b\r\n\r\nabc\r\n");
    await withHeaders.waitFor("abc\r\n");
    await without.waitFor("abc\r\n");
    expect(withHeaders.sinceMark).toBe("HMSG h 1 r 18 21\r\nNATS/1.0\r\nA: b\r\n\r\nabc\r\n");
    expect(without.sinceMark).toBe("MSG h 1 r 3\r\nabc\r\n");
  });

  test("CONNECT checks: protocol version, no_responders without headers, bad JSON", async () => {
    const proto = await raw(broker);
    proto.mark();
    proto.write('CONNECT {"protocol":2}\r\n');
    await proto.expectClosed();
    expect(proto.sinceMark).toBe("-ERR 'invalid client protocol'\r\n");

    const noHeaders = await raw(broker);
    noHeaders.mark();
    noHeaders.write('CONNECT {"no_responders":true}\r\n');
    await noHeaders.expectClosed();
    expect(noHeaders.sinceMark).toBe("-ERR 'no responders requires headers support'\r\n");

    for (const bad of ["{bad", "[]", '{"verbose":"yes"}', "", '{"protocol":1.5}']) {
      const client = await raw(broker);
      client.mark();
      client.write(`CONNECT ${bad}\r\nPING\r\n`);
      await client.expectClosed();
      expect(client.sinceMark).toBe(""); // nats-server closes these without a word
    }
  });
});

describe("limits and malformed input", () => {
  let broker: Broker;
  beforeAll(async () => {
    broker = await startBroker({ maxPayload: 100, maxControlLine: 64 });
  });
  afterAll(() => broker.stop());

  const closing: [string, string, string][] = [
    ["unknown operation", "FOO\r\n", "-ERR 'Unknown Protocol Operation'\r\n"],
    ["binary garbage", "\x00\xff\x13\x37", "-ERR 'Unknown Protocol Operation'\r\n"],
    ["payload longer than announced", "PUB a 1\r\nxx\r\n", "-ERR 'Unknown Protocol Operation'\r\n"],
    ["payload over max_payload", "PUB a 101\r\n", "-ERR 'Maximum Payload Violation'\r\n"],
    [
      "control line over the limit",
      `SUB ${"a".repeat(70)} 1\r\n`,
      "-ERR 'maximum control line exceeded'\r\n",
    ],
    ["a truncated PUB line", "PUB a\r\n", ""],
    ["a PUB with a bad size", "PUB a b c\r\n", ""],
  ];
  for (const [name, input, answer] of closing) {
    test(`${name}: ${answer ? "-ERR and" : "silently"} closed`, async () => {
      const client = await raw(broker);
      await client.connect();
      client.write(input);
      await client.expectClosed();
      expect(client.sinceMark).toBe(answer);
    });
  }

  test("max_payload is announced in INFO", async () => {
    const client = await raw(broker);
    expect(client.info.max_payload).toBe(100);
  });

  test("random bytes close only their own connection; the broker keeps serving", async () => {
    const bystander = await raw(broker);
    await bystander.connect();
    bystander.write("SUB keep 1\r\nPING\r\n");
    await bystander.waitFor("PONG\r\n");
    bystander.mark();
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let round = 0; round < 40; round++) {
      const fuzz = await raw(broker);
      const junk = new Uint8Array(1 + (random() % 300)).map(() => random() & 0xff);
      fuzz.write(junk);
      fuzz.write("\r\n");
      await fuzz.expectClosed();
    }
    const pub = await raw(broker);
    await pub.connect();
    pub.write("PUB keep 2\r\nok\r\n");
    await bystander.waitFor("MSG keep 1 2\r\nok\r\n");
    expect(broker.connectionCount()).toBe(2);
  });
});

describe("authentication and permissions", () => {
  const users: Record<string, { pass: string } & AuthResult> = {
    alice: {
      pass: "pw",
      user: "alice",
      publish: { allow: ["connext.alice.>", "_INBOX.alice.>"] },
      subscribe: { allow: ["connext.*.alice.*", "_INBOX.alice.>"] },
    },
    carol: {
      pass: "pw",
      user: "carol",
      publish: { allow: ["svc.>"] },
      subscribe: { allow: ["svc.>", "_INBOX.carol.>"] },
      reply: { allow: ["_INBOX.carol.>"] },
    },
    dave: {
      pass: "pw",
      user: "dave",
      publish: { allow: ["svc.dave.>"], allowResponses: true },
      subscribe: { allow: ["svc.>"] },
      reply: { allow: ["_INBOX.dave.>"] },
    },
    // Not a count: the hook is broken.
    erin: {
      pass: "pw",
      user: "erin",
      publish: { allow: ["svc.erin.>"], allowResponses: { max: 1.5 } },
      subscribe: { allow: ["svc.>"] },
    },
  };
  const authenticate = (connect: ConnectOptions): AuthResult | undefined => {
    const user = users[connect.user ?? ""];
    return user !== undefined && user.pass === connect.pass ? user : undefined;
  };
  let broker: Broker;
  beforeAll(async () => {
    broker = await startBroker({ authenticate, authTimeoutMs: 300 });
  });
  afterAll(() => broker.stop());

  test("INFO says auth_required", async () => {
    const client = await raw(broker);
    expect(client.info.auth_required).toBe(true);
  });

  test("wrong password: Authorization Violation and closed", async () => {
    const client = await raw(broker);
    client.mark();
    client.write('CONNECT {"user":"alice","pass":"nope"}\r\n');
    await client.expectClosed();
    expect(client.sinceMark).toBe("-ERR 'Authorization Violation'\r\n");
  });

  test("PUB or SUB before CONNECT: Authorization Violation and closed", async () => {
    for (const early of ["PUB connext.alice.x 1\r\nx\r\n", "SUB a 1\r\n", "PING\r\n"]) {
      const client = await raw(broker);
      client.mark();
      client.write(early);
      await client.expectClosed();
      expect(client.sinceMark).toBe("-ERR 'Authorization Violation'\r\n");
    }
  });

  test("no CONNECT in time: Authentication Timeout", async () => {
    const client = await raw(broker);
    client.mark();
    await client.expectClosed(2000);
    expect(client.sinceMark).toBe("-ERR 'Authentication Timeout'\r\n");
  });

  test("permission table: publish and subscribe checked against the allow-lists", async () => {
    const client = await raw(broker);
    await client.connect({ user: "alice", pass: "pw" });
    const cases: [string, string][] = [
      ["PUB connext.alice.bob.pay 1\r\nx\r\n", ""],
      [
        "PUB connext.bob.alice.pay 1\r\nx\r\n",
        `-ERR 'Permissions Violation for Publish to "connext.bob.alice.pay"'\r\n`,
      ],
      ["PUB other 1\r\nx\r\n", `-ERR 'Permissions Violation for Publish to "other"'\r\n`],
      ["SUB connext.bob.alice.pay 1\r\n", ""],
      ["SUB connext.*.alice.* 2\r\n", ""],
      [
        "SUB connext.bob.carol.pay 3\r\n",
        `-ERR 'Permissions Violation for Subscription to "connext.bob.carol.pay"'\r\n`,
      ],
      [
        "SUB connext.*.alice.> 4\r\n",
        `-ERR 'Permissions Violation for Subscription to "connext.*.alice.>"'\r\n`,
      ],
      ["SUB > 5\r\n", `-ERR 'Permissions Violation for Subscription to ">"'\r\n`],
      ["SUB x q 6\r\n", `-ERR 'Permissions Violation for Subscription to "x" using queue "q"'\r\n`],
      ["SUB _INBOX.alice.> 7\r\n", ""],
    ];
    for (const [line, answer] of cases) {
      client.mark();
      client.write(`${line}PING\r\n`);
      await client.waitFor("PONG\r\n");
      expect(`${line} -> ${client.sinceMark}`).toBe(`${line} -> ${answer}PONG\r\n`);
    }
    // Without a reply allow-list the reply subject of a PUB is not checked (nats-server's
    // behaviour too).
    client.mark();
    client.write("PUB connext.alice.x anywhere 1\r\nx\r\nPING\r\n");
    await client.waitFor("PONG\r\n");
    expect(client.sinceMark).toBe("PONG\r\n");
  });

  test("allowResponses that is not a count: Authorization Violation and closed", async () => {
    const client = await raw(broker);
    client.mark();
    client.write('CONNECT {"user":"erin","pass":"pw"}\r\nPING\r\n');
    await client.expectClosed();
    expect(client.sinceMark).toBe("-ERR 'Authorization Violation'\r\n");
  });

  test("allowResponses with a reply allow-list: a response naming a refused reply does not use its grant", async () => {
    const asker = await raw(broker);
    await asker.connect({ user: "carol", pass: "pw" });
    const dave = await raw(broker);
    await dave.connect({ user: "dave", pass: "pw" });
    const exchange = async (client: RawClient, operations: string) => {
      client.mark();
      client.write(`${operations}PING\r\n`);
      await client.waitFor("PONG\r\n");
      return client.sinceMark;
    };
    await exchange(asker, "SUB _INBOX.carol.> 1\r\n");
    await exchange(dave, "SUB svc.q 1\r\n");
    dave.mark();
    await exchange(asker, "PUB svc.q _INBOX.carol.1 1\r\nq\r\n");
    await dave.waitFor("MSG svc.q 1 _INBOX.carol.1 1\r\nq\r\n");
    expect(await exchange(dave, "PUB _INBOX.carol.1 _INBOX.carol.2 1\r\nx\r\n")).toBe(
      `-ERR 'Permissions Violation for Publish with Reply of "_INBOX.carol.2"'\r\nPONG\r\n`,
    );
    expect(await exchange(dave, "PUB _INBOX.carol.1 1\r\na\r\nPUB _INBOX.carol.1 1\r\nb\r\n")).toBe(
      `-ERR 'Permissions Violation for Publish to "_INBOX.carol.1"'\r\nPONG\r\n`,
    );
    await asker.waitFor("a\r\n");
    expect(asker.sinceMark).toBe("PONG\r\nMSG _INBOX.carol.1 1 1\r\na\r\n");
  });

  test("reply allow-list: a PUB/HPUB naming a reply outside it gets -ERR and is not delivered", async () => {
    const client = await raw(broker);
    await client.connect({ user: "carol", pass: "pw" });
    client.write("SUB svc.> 1\r\nPING\r\n");
    await client.waitFor("PONG\r\n");
    const cases: [string, string][] = [
      ["PUB svc.a _INBOX.carol.1 1\r\nx\r\n", "MSG svc.a 1 _INBOX.carol.1 1\r\nx\r\n"],
      ["PUB svc.a 1\r\nx\r\n", "MSG svc.a 1 1\r\nx\r\n"],
      [
        "PUB svc.a _INBOX.dave.1 1\r\nx\r\n",
        `-ERR 'Permissions Violation for Publish with Reply of "_INBOX.dave.1"'\r\n`,
      ],
      [
        "PUB svc.a svc.b 1\r\nx\r\n",
        `-ERR 'Permissions Violation for Publish with Reply of "svc.b"'\r\n`,
      ],
      [
        "HPUB svc.a _INBOX.dave.2 12 13\r\nNATS/1.0\r\n\r\nx\r\n",
        `-ERR 'Permissions Violation for Publish with Reply of "_INBOX.dave.2"'\r\n`,
      ],
      // A wildcard reply must lie wholly inside the list.
      [
        "PUB svc.a _INBOX.> 1\r\nx\r\n",
        `-ERR 'Permissions Violation for Publish with Reply of "_INBOX.>"'\r\n`,
      ],
      // The subject is checked first, as nats-server does.
      [
        "PUB other _INBOX.dave.1 1\r\nx\r\n",
        `-ERR 'Permissions Violation for Publish to "other"'\r\n`,
      ],
    ];
    for (const [line, answer] of cases) {
      client.mark();
      client.write(`${line}PING\r\n`);
      await client.waitFor("PONG\r\n");
      expect(`${line} -> ${client.sinceMark}`).toBe(`${line} -> ${answer}PONG\r\n`);
    }
    expect(client.isClosed).toBe(false);
  });

  test("an asynchronous hook: operations sent right after CONNECT wait for it, in order", async () => {
    const slow = await startBroker({
      authenticate: async (connect) => {
        await Bun.sleep(50);
        return authenticate(connect);
      },
    });
    try {
      const client = await RawClient.open(slow.port, { connect: false, base: MINIMAL_CONNECT });
      clients.push(client);
      client.mark();
      client.write(
        'CONNECT {"user":"alice","pass":"pw","verbose":true}\r\nSUB _INBOX.alice.x 1\r\nPUB _INBOX.alice.x 1\r\nz\r\nPING\r\n',
      );
      await client.waitFor("PONG\r\n");
      expect(client.sinceMark).toBe("+OK\r\n+OK\r\n+OK\r\nMSG _INBOX.alice.x 1 1\r\nz\r\nPONG\r\n");

      const refused = await RawClient.open(slow.port, { connect: false, base: MINIMAL_CONNECT });
      clients.push(refused);
      refused.mark();
      refused.write('CONNECT {"user":"mallory"}\r\nPING\r\n');
      await refused.expectClosed();
      expect(refused.sinceMark).toBe("-ERR 'Authorization Violation'\r\n");
    } finally {
      await slow.stop();
    }
  });

  test("a hook that throws refuses the client", async () => {
    const throwing = await startBroker({
      authenticate: () => {
        throw new Error("token store down");
      },
    });
    try {
      const client = await RawClient.open(throwing.port, { connect: false, base: MINIMAL_CONNECT });
      clients.push(client);
      client.mark();
      client.write('CONNECT {"auth_token":"t"}\r\n');
      await client.expectClosed();
      expect(client.sinceMark).toBe("-ERR 'Authorization Violation'\r\n");
    } finally {
      await throwing.stop();
    }
  });
});

describe("pings and stale connections", () => {
  let broker: Broker;
  beforeAll(async () => {
    broker = await startBroker({ pingIntervalMs: 100, maxPingsOut: 2 });
  });
  afterAll(() => broker.stop());

  test("a client that never answers: PING, PING, then Stale Connection", async () => {
    const client = await raw(broker);
    await client.connect();
    await client.expectClosed(2000);
    expect(client.sinceMark).toBe("PING\r\nPING\r\n-ERR 'Stale Connection'\r\n");
  });

  test("a client that answers stays connected", async () => {
    const client = await raw(broker);
    await client.connect();
    for (let i = 0; i < 5; i++) {
      await client.waitFor("PING\r\n", 1000);
      client.mark();
      client.write("PONG\r\n");
    }
    expect(client.isClosed).toBe(false);
  });
});

describe("slow consumers", () => {
  let broker: Broker;
  beforeAll(async () => {
    broker = await startBroker({ maxPendingBytes: 512 * 1024, maxPayload: 128 * 1024 });
  });
  afterAll(() => broker.stop());

  test("a client that stops reading is cut off; a reading one keeps receiving", async () => {
    const slow = await raw(broker);
    await slow.connect();
    slow.write("SUB flood 1\r\nPING\r\n");
    await slow.waitFor("PONG\r\n");
    slow.pause();

    const fast = await raw(broker);
    await fast.connect();
    fast.write("SUB flood 1\r\nPING\r\n");
    await fast.waitFor("PONG\r\n");
    fast.mark();

    const pub = await raw(broker);
    await pub.connect();
    const payload = "x".repeat(64 * 1024);
    const rounds = 400; // 25 MiB: more than the kernel buffers hold
    for (let i = 0; i < rounds && broker.connectionCount() === 3; i++) {
      pub.write(`PUB flood ${payload.length}\r\n${payload}\r\n`);
      await Bun.sleep(1);
    }
    pub.write("PUB flood 4\r\ndone\r\n");
    await fast.waitFor("MSG flood 1 4\r\ndone\r\n", 10_000);
    expect(broker.connectionCount()).toBe(2);

    slow.resume();
    await slow.expectClosed(5000);
    // Whatever it read before the cut is whole frames, then the -ERR.
    expect(slow.text.endsWith("-ERR 'Slow Consumer'\r\n")).toBe(true);
  });
});

describe("lifecycle", () => {
  test("stop(): connections are closed, the port is free again, stop() is idempotent", async () => {
    const broker = await startBroker({});
    const client = await raw(broker);
    await client.connect();
    expect(broker.connectionCount()).toBe(1);
    await broker.stop();
    await client.expectClosed();
    expect(broker.connectionCount()).toBe(0);
    await broker.stop();
    const again = await startBroker({ port: broker.port });
    expect(again.port).toBe(broker.port);
    await again.stop();
  });

  test("stop() sends what was queued before closing", async () => {
    const broker = await startBroker({});
    const sub = await raw(broker);
    await sub.connect();
    sub.write("SUB last 1\r\nPING\r\n");
    await sub.waitFor("PONG\r\n");
    sub.mark();
    const pub = await raw(broker);
    await pub.connect();
    pub.write("PUB last 3\r\nbye\r\nPING\r\n");
    await pub.waitFor("PONG\r\n");
    await broker.stop();
    await sub.expectClosed();
    expect(sub.sinceMark).toBe("MSG last 1 3\r\nbye\r\n");
  });

  test("bad options and busy ports are typed errors", async () => {
    await expect(startBroker({ maxPayload: 0 })).rejects.toBeInstanceOf(BrokerError);
    await expect(startBroker({ port: 70000 })).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
    await expect(startBroker({ maxPayload: 2048, maxPendingBytes: 1024 })).rejects.toMatchObject({
      code: "INVALID_OPTIONS",
    });
    for (const bad of [
      { maxPayload: 2048, maxPendingBytesTotal: 1024 },
      { maxSubscriptions: -1 },
      { maxConnectionsPerUser: 1.5 },
    ]) {
      await expect(startBroker(bad)).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
    }
    const broker = await startBroker({});
    try {
      await expect(startBroker({ port: broker.port })).rejects.toMatchObject({
        code: "LISTEN_FAILED",
      });
    } finally {
      await broker.stop();
    }
  });
});
