/**
 * Conformance, wire details: exact bytes nats-server answers for what the official clients rely
 * on (the no-responders status, headers negotiation, subject validation, defaults before
 * CONNECT), and large or long streams through the official clients. Same cases for both servers.
 */
import { expect, test } from "bun:test";
import { headers } from "@nats-io/nats-core";
import { describeEachServer, until } from "./harness";

const HEADERLESS = { headers: false, no_responders: false };

describeEachServer("wire details", {}, (h) => {
  test("no-responders: the exact 503 status message, only when asked for with headers", async () => {
    const raw = await h.raw();
    const nobody = h.unique("nobody");
    raw.write(`SUB _INBOX.raw 1\r\nPUB ${nobody} _INBOX.raw 0\r\n\r\nPING\r\n`);
    await raw.waitFor("PONG\r\n");
    expect(raw.sinceMark).toBe("HMSG _INBOX.raw 1 16 16\r\nNATS/1.0 503\r\n\r\n\r\nPONG\r\n");

    // A plain PUB without a reply subject, and clients that did not ask: no status.
    raw.mark();
    raw.write(`PUB ${nobody} 0\r\n\r\nPING\r\n`);
    await raw.waitFor("PONG\r\n");
    expect(raw.sinceMark).toBe("PONG\r\n");
    for (const connect of [HEADERLESS, { headers: true, no_responders: false }]) {
      const quiet = await h.raw({ connect });
      quiet.write(`SUB _INBOX.q 1\r\nPUB ${nobody} _INBOX.q 0\r\n\r\nPING\r\n`);
      await quiet.waitFor("PONG\r\n");
      expect(quiet.sinceMark).toBe("PONG\r\n");
    }
  });

  test("no-responders: a queue subscriber is a responder; an unsubscribed one is not", async () => {
    const nc = await h.tcp();
    const subject = h.unique("svc.q");
    const sub = nc.subscribe(subject, {
      queue: "workers",
      callback: (_e, m) => {
        m.respond("ok");
      },
    });
    await nc.flush();
    expect((await nc.request(subject, "", { timeout: 2000 })).string()).toBe("ok");
    sub.unsubscribe();
    await nc.flush();
    const raw = await h.raw();
    raw.write(`SUB _INBOX.y 1\r\nPUB ${subject} _INBOX.y 0\r\n\r\nPING\r\n`);
    await raw.waitFor("PONG\r\n");
    expect(raw.sinceMark).toBe("HMSG _INBOX.y 1 16 16\r\nNATS/1.0 503\r\n\r\n\r\nPONG\r\n");
  });

  test("no_responders without headers support is refused at CONNECT", async () => {
    const raw = await h.raw({ connect: false });
    raw.write('CONNECT {"verbose":false,"headers":false,"no_responders":true}\r\n');
    await raw.waitFor("-ERR 'no responders requires headers support'\r\n");
    expect(await raw.waitClosed()).toBe(true);
  });

  test("a subscriber without headers support gets headered messages as MSG, payload only", async () => {
    const raw = await h.raw({ connect: HEADERLESS });
    const subject = h.unique("hdr.strip");
    raw.write(`SUB ${subject} 4\r\nPING\r\n`);
    await raw.waitFor("PONG\r\n");
    raw.mark();
    const pub = await h.tcp();
    const hdrs = headers();
    hdrs.set("X-Dropped", "1");
    pub.publish(subject, "hi", { headers: hdrs });
    await pub.flush();
    raw.write("PING\r\n");
    await raw.waitFor("PONG\r\n");
    expect(raw.sinceMark).toBe(`MSG ${subject} 4 2\r\nhi\r\nPONG\r\n`);
  });

  test("HPUB from a client that did not announce headers: closed", async () => {
    const raw = await h.raw({ connect: HEADERLESS });
    raw.write("HPUB foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n");
    expect(await raw.waitClosed()).toBe(true);
    for (const line of raw.sinceMark.split("\r\n").filter(Boolean)) {
      expect(line).toStartWith("-ERR ");
    }
  });

  test("before CONNECT (no auth configured): nats-server's defaults, verbose on", async () => {
    const raw = await h.raw({ connect: false });
    raw.write(`PUB ${h.unique("early")} 2\r\nhi\r\nPING\r\n`);
    await raw.waitFor("PONG\r\n");
    expect(raw.sinceMark).toBe("+OK\r\nPONG\r\n");
  });

  test("pedantic mode refuses a publish to a wildcard subject; the connection stays", async () => {
    const raw = await h.raw({ connect: { pedantic: true } });
    raw.write("PUB foo.* 2\r\nhi\r\nPUB foo.> 2\r\nhi\r\nPING\r\n");
    await raw.waitFor("PONG\r\n");
    expect(raw.sinceMark).toBe(
      "-ERR 'Invalid Publish Subject'\r\n-ERR 'Invalid Publish Subject'\r\nPONG\r\n",
    );
  });

  test("subject validation on SUB: which subjects are refused ('Invalid Subject'), the connection stays", async () => {
    const invalid = ["foo.", ".foo", "foo..bar", "foo.>.bar", ">.foo"];
    const valid = ["fo>o", "f*o", "*", ">", "foo.*.>", "*.*", "a-b_c.D~E"];
    const raw = await h.raw();
    let sid = 0;
    for (const subject of invalid) {
      raw.mark();
      raw.write(`SUB ${subject} ${++sid}\r\nPING\r\n`);
      await raw.waitFor("PONG\r\n");
      expect([subject, raw.sinceMark]).toEqual([subject, "-ERR 'Invalid Subject'\r\nPONG\r\n"]);
    }
    for (const subject of valid) {
      raw.mark();
      raw.write(`SUB ${subject} ${++sid}\r\nPING\r\n`);
      await raw.waitFor("PONG\r\n");
      expect([subject, raw.sinceMark]).toEqual([subject, "PONG\r\n"]);
    }
    expect(raw.isClosed).toBe(false);
  });

  test("a reply subject passes through; UNSUB max works on a queue subscription", async () => {
    const raw = await h.raw();
    const s = h.unique("rr");
    raw.write(
      `SUB ${s} 1\r\nPUB ${s} reply.x 2\r\nhi\r\n` +
        `SUB ${s}.q g 2\r\nUNSUB 2 1\r\nPUB ${s}.q 1\r\na\r\nPUB ${s}.q 1\r\nb\r\nPING\r\n`,
    );
    await raw.waitFor("PONG\r\n");
    expect(raw.sinceMark).toBe(`MSG ${s} 1 reply.x 2\r\nhi\r\nMSG ${s}.q 2 1\r\na\r\nPONG\r\n`);
  });

  test("a message of exactly max_payload (1 MiB) goes through the official clients", async () => {
    const pub = await h.tcp();
    const sub = await h.tcp();
    const subject = h.unique("max");
    const got: Uint8Array[] = [];
    sub.subscribe(subject, {
      callback: (_e, m) => {
        got.push(m.data);
      },
    });
    await sub.flush();
    const big = new Uint8Array(1024 * 1024).map((_, i) => (i * 7) % 256);
    pub.publish(subject, big);
    await pub.flush();
    await until(() => got.length === 1, 5000, "the 1 MiB message");
    expect(got[0]?.length).toBe(big.length);
    expect(Buffer.compare(got[0] as Uint8Array, big)).toBe(0);
  });

  test("20,000 messages from one publisher arrive complete and in order", async () => {
    const pub = await h.tcp();
    const sub = await h.tcp();
    const subject = h.unique("order");
    const n = 20_000;
    let next = 0;
    let outOfOrder = 0;
    sub.subscribe(subject, {
      callback: (_e, m) => {
        if (Number(m.string()) !== next) outOfOrder++;
        next++;
      },
    });
    await sub.flush();
    for (let i = 0; i < n; i++) pub.publish(subject, String(i));
    await pub.flush();
    await until(
      () => next === n,
      10_000,
      "all messages",
      () => `${next}/${n}`,
    );
    expect(outOfOrder).toBe(0);
  });
});
