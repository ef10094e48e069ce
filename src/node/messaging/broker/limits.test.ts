import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { InvalidArgumentError, type NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { until } from "./conformance/harness";
import { MINIMAL_CONNECT, RAW_CONNECT, RawClient } from "./conformance/raw";
import { startBroker } from "./index";
import { type BudgetMember, PendingBudget } from "./limits";
import { Outbound, type Sink } from "./outbound";
import type { AuthResult, Broker, ConnectionLimits, ConnectOptions } from "./types";

/**
 * Limits on what clients can make the broker hold: the per-connection limits an authenticate
 * hook returns (payload, pending bytes, subscriptions, connections per user) and the
 * broker-wide budget of queued bytes.
 */

const KiB = 1024;
const MiB = 1024 * KiB;

/** Everyone may do everything; only the limits differ. */
function authenticateWith(table: Record<string, ConnectionLimits | undefined>) {
  return (connect: ConnectOptions): AuthResult | undefined => {
    const name = connect.user ?? "";
    if (!(name in table) || connect.pass !== "pw") return undefined;
    const limits = table[name];
    return {
      user: name,
      publish: { allow: [">"] },
      subscribe: { allow: [">"] },
      ...(limits === undefined ? {} : { limits }),
    };
  };
}

const raws: RawClient[] = [];
const officials: NatsConnection[] = [];
afterEach(async () => {
  for (const client of raws.splice(0)) client.end();
  await Promise.all(officials.splice(0).map((nc) => nc.close().catch(() => undefined)));
});

/** A raw client that has not sent CONNECT yet (protocol 1 unless `base` says otherwise). */
async function rawClient(broker: Broker, base: Record<string, unknown> = RAW_CONNECT) {
  const client = await RawClient.open(broker.port, { connect: false, base });
  raws.push(client);
  return client;
}

/** A raw client signed in as `user`. */
async function rawAs(broker: Broker, user: string): Promise<RawClient> {
  const client = await rawClient(broker);
  await client.connect({ user, pass: "pw" });
  return client;
}

async function officialAs(broker: Broker, user: string): Promise<NatsConnection> {
  const nc = await connect({ servers: broker.url, user, pass: "pw", reconnect: false });
  officials.push(nc);
  return nc;
}

describe("limits from the authenticate hook", () => {
  let broker: Broker;
  beforeAll(async () => {
    broker = await startBroker({
      // The broker's own: a connection the hook gives no limits is held to these.
      maxSubscriptions: 1,
      authenticate: authenticateWith({
        small: {
          maxPayload: 1024,
          maxPendingBytes: 2 * MiB,
          maxSubscriptions: 2,
          maxConnections: 2,
        },
        node: { maxSubscriptions: 0, exemptFromBudget: true },
        plain: undefined,
        broken: { maxPayload: -1 },
        fractional: { maxSubscriptions: 1.5 },
      }),
    });
  });
  afterAll(() => broker.stop());

  test("a lower max payload: announced in an INFO update before the PONG, and enforced", async () => {
    const client = await rawClient(broker);
    expect(client.info.max_payload).toBe(MiB); // the broker's, before anyone is known
    client.mark();
    client.write('CONNECT {"verbose":false,"protocol":1,"user":"small","pass":"pw"}\r\nPING\r\n');
    await client.waitFor("PONG\r\n");
    const update = /^INFO (\{.*\}) \r\nPONG\r\n$/.exec(client.sinceMark);
    expect(update).not.toBeNull();
    const info = JSON.parse(update?.[1] ?? "{}") as Record<string, unknown>;
    // The first INFO's nonce was answered by the CONNECT: the update carries none.
    const { nonce, ...first } = client.info;
    expect(typeof nonce).toBe("string");
    expect(info).toEqual({ ...first, max_payload: 1024 });
    client.mark();
    client.write(`PUB x 1024\r\n${"a".repeat(1024)}\r\nPING\r\n`);
    await client.waitFor("PONG\r\n");
    expect(client.sinceMark).toBe("PONG\r\n");
    client.mark();
    client.write("PUB x 1025\r\n");
    await client.expectClosed();
    expect(client.sinceMark).toBe("-ERR 'Maximum Payload Violation'\r\n");
  });

  test("a protocol-0 client gets no INFO update (as nats-server), the limit holds all the same", async () => {
    const client = await rawClient(broker, MINIMAL_CONNECT);
    client.mark();
    client.write('CONNECT {"verbose":false,"user":"small","pass":"pw"}\r\nPING\r\n');
    await client.waitFor("PONG\r\n");
    expect(client.sinceMark).toBe("PONG\r\n");
    client.write("PUB x 1025\r\n");
    await client.expectClosed();
  });

  test("the official client refuses a larger publish itself; an unlimited one publishes 1 MiB to it", async () => {
    const small = await officialAs(broker, "small");
    expect(small.info?.max_payload).toBe(1024);
    expect(() => small.publish("x", new Uint8Array(1025))).toThrow(InvalidArgumentError);
    const node = await officialAs(broker, "node");
    expect(node.info?.max_payload).toBe(MiB);
    const got: number[] = [];
    small.subscribe("big", { callback: (_e, m) => void got.push(m.data.length) });
    await small.flush();
    node.publish("big", new Uint8Array(MiB));
    await node.flush();
    await until(() => got.length === 1, 10_000, "the 1 MiB message");
    expect(got).toEqual([MiB]);
    expect(small.isClosed()).toBe(false);
  });

  test("maxConnections: the one past it gets -ERR and is closed; a closed one frees its place", async () => {
    const first = await rawAs(broker, "small");
    await rawAs(broker, "small");
    const third = await rawClient(broker);
    third.mark();
    third.write('CONNECT {"verbose":false,"user":"small","pass":"pw"}\r\nPING\r\n');
    await third.expectClosed();
    expect(third.sinceMark).toBe("-ERR 'maximum account active connections exceeded'\r\n");
    // Nothing else changed: other users connect, the first two still work.
    await rawAs(broker, "plain");
    first.write("SUB echo 1\r\nPUB echo 2\r\nhi\r\nPING\r\n");
    await first.waitFor("PONG\r\n");
    expect(first.sinceMark).toBe("MSG echo 1 2\r\nhi\r\nPONG\r\n");

    const before = broker.connectionCount();
    first.end();
    await until(() => broker.connectionCount() === before - 1, 5000, "the broker sees the close");
    await rawAs(broker, "small");
  });

  test("maxSubscriptions: the hook's value overrides the broker's; 0 is no limit", async () => {
    const small = await rawAs(broker, "small");
    small.write("SUB a 1\r\nSUB b 2\r\nSUB c 3\r\nPING\r\n");
    await small.waitFor("PONG\r\n");
    expect(small.sinceMark).toBe("-ERR 'maximum subscriptions exceeded'\r\nPONG\r\n");

    const plain = await rawAs(broker, "plain"); // the broker's maxSubscriptions: 1
    plain.write("SUB a 1\r\nSUB b 2\r\nPING\r\n");
    await plain.waitFor("PONG\r\n");
    expect(plain.sinceMark).toBe("-ERR 'maximum subscriptions exceeded'\r\nPONG\r\n");

    const node = await rawAs(broker, "node");
    node.write(`${Array.from({ length: 100 }, (_, i) => `SUB n.${i} ${i}\r\n`).join("")}PING\r\n`);
    await node.waitFor("PONG\r\n");
    expect(node.sinceMark).toBe("PONG\r\n");
  });

  test("limits that are not counts: the hook is broken, the client is refused", async () => {
    for (const user of ["broken", "fractional"]) {
      const client = await rawClient(broker);
      client.mark();
      client.write(`CONNECT {"user":"${user}","pass":"pw"}\r\n`);
      await client.expectClosed();
      expect(client.sinceMark).toBe("-ERR 'Authorization Violation'\r\n");
    }
  });
});

describe("the broker-wide pending budget", () => {
  const budget = MiB;
  let broker: Broker;
  beforeAll(async () => {
    broker = await startBroker({
      maxPayload: 64 * KiB,
      maxPendingBytesTotal: budget,
      authenticate: authenticateWith({
        user: undefined, // the broker's 64 MiB per connection: only the budget stops it
        node: { exemptFromBudget: true },
      }),
    });
  });
  afterAll(() => broker.stop());

  /** Subscribed to `subject`, then no longer reading. */
  async function stalled(user: string, subject: string): Promise<RawClient> {
    const client = await rawAs(broker, user);
    client.write(`SUB ${subject} 1\r\nPING\r\n`);
    await client.waitFor("PONG\r\n");
    client.pause();
    return client;
  }

  test("past it the largest backlog is cut; a reading client and an exempt one are not", async () => {
    const a = await stalled("user", "flood");
    const b = await stalled("user", "flood");
    const exempt = await stalled("node", "flood");
    const reader = await officialAs(broker, "user");
    let read = 0;
    reader.subscribe("flood", { callback: () => void read++ });
    await reader.flush();
    const publisher = await rawAs(broker, "user");

    // Rounds of 1 MiB, each acknowledged by a PONG (the broker has routed it), until both
    // stalled users are cut: their kernel buffers fill first, then their queues here.
    const payload = "x".repeat(64 * KiB);
    const round = `PUB flood ${payload.length}\r\n${payload}\r\n`.repeat(16);
    let sent = 0;
    let peak = 0;
    for (let i = 0; i < 600 && broker.stats().slowConsumers < 2; i++) {
      publisher.mark();
      publisher.write(`${round}PING\r\n`);
      await publisher.waitFor("PONG\r\n", 10_000);
      sent += 16;
      peak = Math.max(peak, broker.stats().pendingBytes);
    }
    expect(broker.stats().slowConsumers).toBe(2);
    // Past the budget only by the last -ERR line of a connection being cut.
    expect(broker.stats().peakPendingBytes).toBeLessThanOrEqual(budget + 256);
    expect(peak).toBeLessThanOrEqual(budget + 256);

    await until(
      () => read === sent,
      10_000,
      "the reader gets every message",
      () => `${read}/${sent}`,
    );
    for (const cut of [a, b]) {
      cut.resume();
      await cut.expectClosed(10_000);
      expect(cut.text.endsWith("-ERR 'Slow Consumer'\r\n")).toBe(true);
    }
    // The exempt one holds its whole backlog and answers once it reads again.
    exempt.resume();
    exempt.write("PING\r\n");
    await until(
      () => exempt.bytes > sent * payload.length && exempt.text.endsWith("PONG\r\n"),
      10_000,
      "the exempt client's backlog, then its PONG",
      () => `${exempt.bytes} bytes`,
    );
    expect(exempt.isClosed).toBe(false);
  });
});

/** A socket that takes nothing: everything queued stays queued. */
const stuck: Sink = { write: () => 0, held: () => 0 };

class Member implements BudgetMember {
  closed = false;
  readonly out: Outbound;
  constructor(budget: PendingBudget | undefined) {
    this.out = new Outbound(stuck, 1 << 20, 64, budget);
  }
  slowConsumer(): void {
    this.closed = true;
    this.out.dropUnsent();
  }
}

describe("PendingBudget", () => {
  function setup(max: number) {
    const members: Member[] = [];
    const budget = new PendingBudget(max, () => members);
    const add = (onBudget = true) => {
      const member = new Member(onBudget ? budget : undefined);
      members.push(member);
      return member;
    };
    const queue = (member: Member, n: number) => {
      const ok = member.out.append(new Uint8Array(n).fill(65));
      member.out.flush();
      return ok;
    };
    return { budget, add, queue };
  }

  test("within the budget everything is charged; what the socket takes is given back", () => {
    const { budget, add, queue } = setup(100);
    const a = add();
    expect(queue(a, 60)).toBe(true);
    expect(budget.used).toBe(60);
    a.out.discard();
    expect(budget.used).toBe(0);
    expect(budget.peak).toBe(60);
  });

  test("past it the largest other backlog is cut, not the writer's target", () => {
    const { budget, add, queue } = setup(100);
    const big = add();
    const small = add();
    const target = add();
    queue(big, 50);
    queue(small, 30);
    expect(queue(target, 10)).toBe(true);
    expect(queue(target, 15)).toBe(true); // 105 > 100: `big` goes
    expect(big.closed).toBe(true);
    expect(small.closed).toBe(false);
    expect(budget.used).toBe(55);
  });

  test("a target that is itself the largest is refused (its caller cuts it)", () => {
    const { budget, add, queue } = setup(100);
    const other = add();
    const target = add();
    queue(other, 20);
    queue(target, 70);
    expect(queue(target, 20)).toBe(false);
    expect(other.closed).toBe(false);
    expect(budget.used).toBe(90);
  });

  test("a member off the budget (exempt) is neither charged nor cut", () => {
    const { budget, add, queue } = setup(100);
    const exempt = add(false);
    const user = add();
    queue(exempt, 500);
    expect(budget.used).toBe(0);
    queue(user, 60);
    const other = add();
    expect(queue(other, 60)).toBe(true);
    expect(user.closed).toBe(true);
    expect(exempt.closed).toBe(false);
  });

  test("setBudget moves the charge: a connection that turns out exempt leaves the budget", () => {
    const { budget, add, queue } = setup(100);
    const member = add();
    queue(member, 40);
    member.out.setBudget(undefined);
    expect(budget.used).toBe(0);
    queue(member, 200);
    expect(budget.used).toBe(0);
  });
});
