/**
 * Conformance, messaging: the official NATS clients against nats-server and against our
 * broker, the same cases for both (see servers.ts for the developer switch CONFORMANCE_ONLY).
 */
import { expect, test } from "bun:test";
import { Empty, headers, type Msg, RequestError } from "@nats-io/nats-core";
import { describeEachServer, rejection, roundTrip, until, within } from "./harness";

describeEachServer("messaging", {}, (h) => {
  test("publish/subscribe with exact subjects, * and > wildcards", async () => {
    const pub = await h.tcp();
    const sub = await h.tcp();
    const p = h.unique("wild");
    const got: Record<string, string[]> = { exact: [], star: [], gt: [], mid: [], none: [] };
    const on = (key: string) => (_err: Error | null, msg: Msg) => {
      got[key]?.push(msg.subject);
    };
    sub.subscribe(`${p}.a`, { callback: on("exact") });
    sub.subscribe(`${p}.*`, { callback: on("star") });
    sub.subscribe(`${p}.>`, { callback: on("gt") });
    sub.subscribe(`${p}.*.c`, { callback: on("mid") });
    sub.subscribe(`${p}.zzz.>`, { callback: on("none") });
    await sub.flush();

    const subjects = [`${p}.a`, `${p}.b`, `${p}.a.c`, `${p}.b.c.d`, p, `${p}.a.x`];
    for (const s of subjects) pub.publish(s, s);
    await pub.flush();
    // Each subscription receives the publications in order; `${p}` alone matches nothing.
    await until(
      () => got.gt?.length === 5,
      3000,
      "> subscriber receives the 5 deeper subjects",
      () => JSON.stringify(got),
    );
    await sub.flush();
    expect(got).toEqual({
      exact: [`${p}.a`],
      star: [`${p}.a`, `${p}.b`],
      gt: [`${p}.a`, `${p}.b`, `${p}.a.c`, `${p}.b.c.d`, `${p}.a.x`],
      mid: [`${p}.a.c`],
      none: [],
    });
  });

  test("a message matching several subscriptions of one connection reaches each of them", async () => {
    const nc = await h.tcp();
    const p = h.unique("overlap");
    const got: string[] = [];
    nc.subscribe(`${p}.x`, {
      callback: () => {
        got.push("exact");
      },
    });
    nc.subscribe(`${p}.*`, {
      callback: () => {
        got.push("star");
      },
    });
    nc.subscribe(`${p}.>`, {
      callback: () => {
        got.push("gt");
      },
    });
    nc.publish(`${p}.x`, "one");
    await until(() => got.length === 3, 3000, "three deliveries");
    await nc.flush();
    expect(got.sort()).toEqual(["exact", "gt", "star"]);
  });

  test("payloads arrive byte for byte, in order, including empty and binary ones", async () => {
    const pub = await h.tcp();
    const sub = await h.tcp();
    const subject = h.unique("bytes");
    const received: Uint8Array[] = [];
    sub.subscribe(subject, {
      callback: (_e, m) => {
        received.push(m.data);
      },
    });
    await sub.flush();
    const payloads = [
      Empty,
      new Uint8Array([0, 13, 10, 255, 0]),
      new TextEncoder().encode("PUB x 1\r\nMSG\r\n"),
      new Uint8Array(64 * 1024).map((_, i) => i % 251),
    ];
    for (const payload of payloads) pub.publish(subject, payload);
    await pub.flush();
    await until(() => received.length === payloads.length, 3000, "all payloads");
    expect(received.map((r) => [...r])).toEqual(payloads.map((p) => [...p]));
  });

  test("queue group: each message to exactly one member, every member gets some", async () => {
    const pub = await h.tcp();
    const members = await Promise.all([h.tcp(), h.tcp(), h.tcp()]);
    const plain = await h.tcp();
    const subject = h.unique("work");
    const byMember: number[][] = members.map(() => []);
    members.forEach((nc, i) => {
      nc.subscribe(subject, {
        queue: "workers",
        callback: (_e, m) => {
          byMember[i]?.push(Number(m.string()));
        },
      });
    });
    // A second queue group and a plain subscriber each see every message once.
    const otherGroup: number[] = [];
    members[0]?.subscribe(subject, {
      queue: "auditors",
      callback: (_e, m) => {
        otherGroup.push(Number(m.string()));
      },
    });
    const everyone: number[] = [];
    plain.subscribe(subject, {
      callback: (_e, m) => {
        everyone.push(Number(m.string()));
      },
    });
    await Promise.all([...members, plain].map((nc) => nc.flush()));

    const n = 300;
    for (let i = 0; i < n; i++) pub.publish(subject, String(i));
    await pub.flush();
    const total = () => byMember.reduce((sum, got) => sum + got.length, 0);
    await until(
      () => total() >= n && everyone.length === n && otherGroup.length === n,
      5000,
      "all messages delivered",
    );
    await Promise.all(members.map((nc) => nc.flush()));
    const all = byMember.flat().sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: n }, (_, i) => i));
    for (const got of byMember) expect(got.length).toBeGreaterThan(0);
    expect(everyone.length).toBe(n);
    expect(otherGroup.sort((a, b) => a - b)).toEqual(all);
  });

  test("request/reply: sequential and concurrent, across connections", async () => {
    const responder = await h.tcp();
    const requester = await h.tcp();
    const subject = h.unique("svc.echo");
    responder.subscribe(subject, {
      callback: (_e, m) => {
        expect(m.reply).toBeTruthy();
        m.respond(`echo:${m.string()}`);
      },
    });
    await responder.flush();
    for (let i = 0; i < 20; i++) {
      const reply = await requester.request(subject, String(i), { timeout: 2000 });
      expect(reply.string()).toBe(`echo:${i}`);
    }
    const replies = await Promise.all(
      Array.from({ length: 100 }, (_, i) => requester.request(subject, `c${i}`, { timeout: 3000 })),
    );
    expect(replies.map((r) => r.string())).toEqual(
      Array.from({ length: 100 }, (_, i) => `echo:c${i}`),
    );
  });

  test("request/reply with an explicit reply subject (old-style, no mux inbox)", async () => {
    const responder = await h.tcp();
    const requester = await h.tcp();
    const subject = h.unique("svc.plain");
    responder.subscribe(subject, {
      callback: (_e, m) => {
        m.respond(m.data);
      },
    });
    await responder.flush();
    const reply = await requester.request(subject, "hello", { timeout: 2000, noMux: true });
    expect(reply.string()).toBe("hello");
  });

  test("no responders: a request nobody subscribes to rejects at once with the no-responders error", async () => {
    const nc = await h.tcp();
    const started = Date.now();
    const error = await rejection(nc.request(h.unique("nobody.home"), "hi", { timeout: 5000 }));
    expect(error).toBeInstanceOf(RequestError);
    expect((error as RequestError).isNoResponders()).toBe(true);
    // Long before the request's own timeout: the server answered with a 503 status.
    expect(Date.now() - started).toBeLessThan(2000);
    const noMux = await rejection(
      nc.request(h.unique("nobody.home"), "hi", { timeout: 5000, noMux: true }),
    );
    expect((noMux as RequestError).isNoResponders()).toBe(true);
    // The connection is fine afterwards.
    expect(nc.isClosed()).toBe(false);
    await nc.flush();
  });

  test("unsubscribe after N: sub.unsubscribe(n) and the max option", async () => {
    const pub = await h.tcp();
    const sub = await h.tcp();
    const subject = h.unique("unsub");
    const viaUnsub: string[] = [];
    const s1 = sub.subscribe(subject, {
      callback: (_e, m) => {
        viaUnsub.push(m.string());
      },
    });
    s1.unsubscribe(3);
    const viaMax: string[] = [];
    const s2 = sub.subscribe(subject, {
      max: 2,
      callback: (_e, m) => {
        viaMax.push(m.string());
      },
    });
    const forever: string[] = [];
    sub.subscribe(subject, {
      callback: (_e, m) => {
        forever.push(m.string());
      },
    });
    await sub.flush();
    for (let i = 0; i < 10; i++) pub.publish(subject, String(i));
    await pub.flush();
    await until(() => forever.length === 10, 3000, "the unlimited subscription gets all 10");
    await sub.flush();
    expect(viaUnsub).toEqual(["0", "1", "2"]);
    expect(viaMax).toEqual(["0", "1"]);
    await within(s1.closed, 2000, "the unsubscribe(3) subscription closes");
    await within(s2.closed, 2000, "the max:2 subscription closes");
    expect(s1.isClosed()).toBe(true);
    expect(s2.isClosed()).toBe(true);
  });

  test("UNSUB <sid> <max> on the wire: the server itself stops after max messages", async () => {
    const raw = await h.raw();
    const pub = await h.tcp();
    const subject = h.unique("unsub.raw");
    raw.write(`SUB ${subject} 7\r\nUNSUB 7 2\r\nPING\r\n`);
    await raw.waitFor("PONG\r\n");
    raw.mark();
    for (let i = 0; i < 5; i++) pub.publish(subject, `m${i}`);
    await pub.flush();
    raw.write("PING\r\n");
    await raw.waitFor("PONG\r\n");
    expect(raw.sinceMark).toBe(`MSG ${subject} 7 2\r\nm0\r\nMSG ${subject} 7 2\r\nm1\r\nPONG\r\n`);
  });

  test("headers round trip (HPUB/HMSG), with and without payload, and on request/reply", async () => {
    const pub = await h.tcp();
    const sub = await h.tcp();
    const subject = h.unique("hdr");
    const got: Msg[] = [];
    sub.subscribe(subject, {
      callback: (_e, m) => {
        got.push(m);
      },
    });
    await sub.flush();
    const hdrs = headers();
    hdrs.set("X-Id", "42");
    hdrs.append("X-Multi", "a");
    hdrs.append("X-Multi", "b");
    hdrs.set("X-Spaces", "hello world: yes");
    pub.publish(subject, "body", { headers: hdrs });
    const onlyHeaders = headers();
    onlyHeaders.set("X-Only", "1");
    pub.publish(subject, Empty, { headers: onlyHeaders });
    pub.publish(subject, "no headers");
    await pub.flush();
    await until(() => got.length === 3, 3000, "three messages");

    const [first, second, third] = got as [Msg, Msg, Msg];
    expect(first.string()).toBe("body");
    expect(first.headers?.get("X-Id")).toBe("42");
    expect(first.headers?.values("X-Multi")).toEqual(["a", "b"]);
    expect(first.headers?.get("X-Spaces")).toBe("hello world: yes");
    expect(first.headers?.hasError).toBe(false);
    expect(second.data.length).toBe(0);
    expect(second.headers?.get("X-Only")).toBe("1");
    expect(third.headers).toBeUndefined();
    expect(third.string()).toBe("no headers");

    const svc = h.unique("hdr.svc");
    sub.subscribe(svc, {
      callback: (_e, m) => {
        const out = headers();
        out.set("X-Echo", m.headers?.get("X-Req") ?? "missing");
        m.respond(m.data, { headers: out });
      },
    });
    await sub.flush();
    const reqHeaders = headers();
    reqHeaders.set("X-Req", "r1");
    const reply = await pub.request(svc, "q", { timeout: 2000, headers: reqHeaders });
    expect(reply.headers?.get("X-Echo")).toBe("r1");
    expect(reply.string()).toBe("q");
  });

  test("INFO looks like nats-server's to a client: headers, max_payload, proto", async () => {
    const nc = await h.tcp();
    const info = nc.info;
    expect(info).toBeDefined();
    expect(info?.headers).toBe(true);
    expect(info?.max_payload).toBe(1024 * 1024);
    expect(info?.proto).toBe(1);
    expect(typeof info?.server_id).toBe("string");
    expect(typeof info?.version).toBe("string");
    const raw = await h.raw({ connect: false });
    expect(typeof raw.info.client_id).toBe("number");
    expect(raw.info.host).toBeDefined();
    expect(raw.info.port).toBe(h.server.port);
  });

  test("verbose mode: +OK after each command", async () => {
    const raw = await h.raw({ connect: { verbose: true } });
    // RawClient waited for the PONG after CONNECT, which came after the CONNECT's +OK.
    expect(raw.text).toMatch(/\+OK\r\nPONG\r\n$/);
    raw.mark();
    const subject = h.unique("verbose");
    raw.write(`SUB ${subject} 1\r\nPUB ${subject} 2\r\nhi\r\nUNSUB 1\r\nPING\r\n`);
    await raw.waitFor("PONG\r\n");
    expect(raw.sinceMark).toBe(`+OK\r\n+OK\r\nMSG ${subject} 1 2\r\nhi\r\n+OK\r\nPONG\r\n`);
  });

  test("echo: a connection receives its own messages unless it said echo:false", async () => {
    const subject = h.unique("echo");
    const echo = await h.tcp();
    const noEcho = await h.tcp({ noEcho: true });
    const gotEcho: string[] = [];
    const gotNoEcho: string[] = [];
    echo.subscribe(subject, {
      callback: (_e, m) => {
        gotEcho.push(m.string());
      },
    });
    noEcho.subscribe(subject, {
      callback: (_e, m) => {
        gotNoEcho.push(m.string());
      },
    });
    await Promise.all([echo.flush(), noEcho.flush()]);
    echo.publish(subject, "from-echo");
    noEcho.publish(subject, "from-noecho");
    await Promise.all([echo.flush(), noEcho.flush()]);
    await until(() => gotEcho.length === 2 && gotNoEcho.length === 1, 3000, "deliveries");
    await Promise.all([echo.flush(), noEcho.flush()]);
    expect(gotEcho.sort()).toEqual(["from-echo", "from-noecho"]);
    expect(gotNoEcho).toEqual(["from-echo"]);
  });

  test("drain: a draining subscriber processes what it got, then the connection closes", async () => {
    const pub = await h.tcp();
    const sub = await h.tcp();
    const subject = h.unique("drain");
    const got: string[] = [];
    sub.subscribe(subject, {
      callback: (_e, m) => {
        got.push(m.string());
      },
    });
    await sub.flush();
    for (let i = 0; i < 50; i++) pub.publish(subject, String(i));
    await pub.flush();
    await until(() => got.length === 50, 3000, "50 messages");
    await within(sub.drain(), 3000, "drain");
    expect(sub.isClosed()).toBe(true);
  });
});

describeEachServer("websocket", {}, (h) => {
  test("pub/sub over WebSocket, both ways with a TCP client, wildcards included", async () => {
    const ws = await h.ws();
    const tcp = await h.tcp();
    const p = h.unique("ws");
    const wsGot: string[] = [];
    const tcpGot: string[] = [];
    ws.subscribe(`${p}.>`, {
      callback: (_e, m) => {
        wsGot.push(`${m.subject}=${m.string()}`);
      },
    });
    tcp.subscribe(`${p}.*`, {
      callback: (_e, m) => {
        tcpGot.push(`${m.subject}=${m.string()}`);
      },
    });
    await Promise.all([ws.flush(), tcp.flush()]);
    tcp.publish(`${p}.a.b`, "from-tcp");
    ws.publish(`${p}.c`, "from-ws");
    await Promise.all([ws.flush(), tcp.flush()]);
    await until(() => wsGot.length === 2 && tcpGot.length === 1, 3000, "deliveries");
    expect(wsGot.sort()).toEqual([`${p}.a.b=from-tcp`, `${p}.c=from-ws`]);
    expect(tcpGot).toEqual([`${p}.c=from-ws`]);
  });

  test("request/reply over WebSocket (WS requester ↔ TCP responder, and the reverse)", async () => {
    const ws = await h.ws();
    const tcp = await h.tcp();
    const a = h.unique("ws.svc");
    const b = h.unique("ws.svc");
    tcp.subscribe(a, {
      callback: (_e, m) => {
        m.respond(`tcp:${m.string()}`);
      },
    });
    ws.subscribe(b, {
      callback: (_e, m) => {
        m.respond(`ws:${m.string()}`);
      },
    });
    await Promise.all([ws.flush(), tcp.flush()]);
    expect((await ws.request(a, "1", { timeout: 2000 })).string()).toBe("tcp:1");
    expect((await tcp.request(b, "2", { timeout: 2000 })).string()).toBe("ws:2");
    const many = await Promise.all(
      Array.from({ length: 50 }, (_, i) => ws.request(a, String(i), { timeout: 3000 })),
    );
    expect(many.map((m) => m.string())).toEqual(Array.from({ length: 50 }, (_, i) => `tcp:${i}`));
  });

  test("headers, no-responders and a large payload over WebSocket", async () => {
    const ws = await h.ws();
    const other = await h.ws();
    const subject = h.unique("ws.hdr");
    const got: Msg[] = [];
    other.subscribe(subject, {
      callback: (_e, m) => {
        got.push(m);
      },
    });
    await other.flush();
    const hdrs = headers();
    hdrs.set("X-Ws", "yes");
    const big = new Uint8Array(200 * 1024).map((_, i) => i % 253);
    ws.publish(subject, big, { headers: hdrs });
    await ws.flush();
    await until(() => got.length === 1, 3000, "the large message");
    expect(got[0]?.headers?.get("X-Ws")).toBe("yes");
    expect(got[0]?.data).toEqual(big);
    const error = await rejection(ws.request(h.unique("ws.nobody"), "x", { timeout: 3000 }));
    expect((error as RequestError).isNoResponders()).toBe(true);
  });

  test("raw WebSocket: protocol split across frames, binary or text, is one stream", async () => {
    for (const mode of ["binary", "text"] as const) {
      const ws = await openRawWs(h.server.wsUrl);
      const subject = h.unique("ws.frames");
      const parts = [
        `CONNECT {"verbose":false,"headers":true,"no_responders":true}\r\nSU`,
        `B ${subject} 1\r\nPUB ${subject}`,
        " 5\r\nhel",
        "lo\r\nPING\r\n",
      ];
      for (const part of parts)
        ws.socket.send(mode === "binary" ? new TextEncoder().encode(part) : part);
      await until(() => ws.text().endsWith("PONG\r\n"), 3000, `PONG (${mode})`, ws.text);
      expect(ws.text().replace(/^INFO .*?\r\n/, "")).toBe(
        `MSG ${subject} 1 5\r\nhello\r\nPONG\r\n`,
      );
      ws.socket.close();
    }
  });

  test("raw WebSocket: malformed input gets -ERR, then a close frame 1002; others keep working", async () => {
    const ws = await openRawWs(h.server.wsUrl);
    ws.socket.send(new TextEncoder().encode("CONNECT {}\r\nXYZ\r\n"));
    await within(ws.closed, 3000, "the close frame");
    // CONNECT {} leaves verbose at nats-server's default (on), hence the +OK.
    expect(ws.text().replace(/^INFO .*?\r\n/, "")).toBe(
      "+OK\r\n-ERR 'Unknown Protocol Operation'\r\n",
    );
    expect(ws.closeCode).toBe(1002);
    const nc = await h.ws();
    await roundTrip(nc, nc);
  });
});

/** A bare WebSocket to the server's listener, collecting what it receives as text. */
async function openRawWs(url: string) {
  const socket = new WebSocket(url);
  socket.binaryType = "arraybuffer";
  const chunks: string[] = [];
  const result = {
    socket,
    text: () => chunks.join(""),
    closeCode: undefined as number | undefined,
    closed: new Promise<void>((resolve) => {
      socket.addEventListener("close", (event) => {
        result.closeCode = event.code;
        resolve();
      });
    }),
  };
  socket.addEventListener("message", (event) => {
    chunks.push(
      typeof event.data === "string"
        ? event.data
        : new TextDecoder().decode(event.data as ArrayBuffer),
    );
  });
  await within(
    new Promise((resolve, reject) => {
      socket.addEventListener("open", resolve);
      socket.addEventListener("error", reject);
    }),
    3000,
    `WebSocket to ${url}`,
  );
  await until(() => chunks.join("").includes("\r\n"), 3000, "the INFO over WebSocket");
  return result;
}
