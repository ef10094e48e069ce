import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { MINIMAL_CONNECT, RawClient } from "./conformance/raw";
import { startBroker } from "./index";
import type { Broker } from "./types";

/** NATS over WebSocket, checked at the frame level. */

interface WsSession {
  ws: WebSocket;
  text: () => string;
  closed: Promise<{ code: number; reason: string }>;
}

async function open(url: string): Promise<WsSession> {
  const ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  let received = "";
  ws.onmessage = (event) => {
    received +=
      typeof event.data === "string"
        ? `TEXT:${event.data}`
        : Buffer.from(event.data).toString("latin1");
  };
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.onclose = (event) => resolve({ code: event.code, reason: event.reason });
  });
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  return { ws, text: () => received, closed };
}

async function until(check: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

describe("WebSocket listener", () => {
  let broker: Broker;
  beforeAll(async () => {
    broker = await startBroker({ websocketPort: 0, maxPendingBytes: 1024 * 1024 });
  });
  afterAll(() => broker.stop());

  test("INFO arrives in a binary message, with the TCP listener's host and port", async () => {
    const session = await open(broker.websocketUrl as string);
    await until(() => session.text().includes("\r\n"), "INFO");
    expect(session.text()).toMatch(/^INFO \{.*\} \r\n$/);
    const info = JSON.parse(session.text().slice(5, -3)) as Record<string, unknown>;
    expect(info.port).toBe(broker.port);
    session.ws.close();
  });

  test("protocol frames may be split across messages, binary or text", async () => {
    const session = await open(broker.websocketUrl as string);
    await until(() => session.text().includes("\r\n"), "INFO");
    const start = session.text().length;
    session.ws.send('CONNECT {"verbose":false}\r\nSU');
    session.ws.send(new TextEncoder().encode("B ws.a 1\r\nPUB ws.a 5\r\nhel"));
    session.ws.send("lo\r\nPI");
    session.ws.send(new TextEncoder().encode("NG\r\n"));
    await until(() => session.text().includes("PONG\r\n"), "PONG");
    expect(session.text().slice(start)).toBe("MSG ws.a 1 5\r\nhello\r\nPONG\r\n");
    session.ws.close();
  });

  test("malformed input: -ERR, then nats-server's close status for it", async () => {
    const session = await open(broker.websocketUrl as string);
    await until(() => session.text().includes("\r\n"), "INFO");
    session.ws.send("FOO\r\n");
    const closed = await session.closed;
    expect(session.text()).toEndWith("-ERR 'Unknown Protocol Operation'\r\n");
    expect(closed).toEqual({ code: 1002, reason: "Protocol Violation" });
  });

  test("a WebSocket client that stops reading is cut off as a slow consumer", async () => {
    const port = Number(new URL(broker.websocketUrl as string).port);
    const slow = await RawClient.openRaw(port, MINIMAL_CONNECT);
    slow.write(
      "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
    await slow.waitFor("INFO");
    slow.write(maskedFrame('CONNECT {"verbose":false}\r\nSUB flood 1\r\nPING\r\n'));
    await slow.waitFor("PONG\r\n");
    slow.pause();

    const fast = await open(broker.websocketUrl as string);
    fast.ws.send('CONNECT {"verbose":false}\r\nSUB flood 1\r\nPING\r\n');
    await until(() => fast.text().includes("PONG"), "the fast client's PONG");

    const pub = await RawClient.open(broker.port, { connect: false, base: MINIMAL_CONNECT });
    await pub.connect();
    const payload = "x".repeat(64 * 1024);
    for (let i = 0; i < 400 && broker.connectionCount() === 3; i++) {
      pub.write(`PUB flood ${payload.length}\r\n${payload}\r\n`);
      await Bun.sleep(1);
    }
    pub.write("PUB flood 4\r\ndone\r\n");
    await until(
      () => fast.text().includes("MSG flood 1 4\r\ndone\r\n"),
      "the fast client's last message",
      10_000,
    );
    expect(broker.connectionCount()).toBe(2);

    slow.resume();
    await slow.expectClosed(5000);
    // The -ERR, then a close frame: status 1008 and nats-server's reason.
    expect(slow.text).toContain("-ERR 'Slow Consumer'\r\n");
    expect(slow.text).toEndWith("\x03\xf0Slow Consumer (Pending Bytes)");
    fast.ws.close();
    pub.end();
  });
});

describe("WebSocket clients and the broker-wide pending budget", () => {
  const budget = 1024 * 1024;
  let broker: Broker;
  beforeAll(async () => {
    // Only the budget can stop a stalled client here: its own limit is far above it.
    broker = await startBroker({
      websocketPort: 0,
      maxPendingBytes: 64 * 1024 * 1024,
      maxPendingBytesTotal: budget,
      maxPayload: 64 * 1024,
    });
  });
  afterAll(() => broker.stop());

  test("what Bun holds for a WebSocket counts: a stalled one is cut within the budget", async () => {
    const port = Number(new URL(broker.websocketUrl as string).port);
    const slow = await RawClient.openRaw(port, MINIMAL_CONNECT);
    slow.write(
      "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
    await slow.waitFor("INFO");
    slow.write(maskedFrame('CONNECT {"verbose":false}\r\nSUB flood 1\r\nPING\r\n'));
    await slow.waitFor("PONG\r\n");
    slow.pause();

    const pub = await RawClient.open(broker.port, { connect: false, base: MINIMAL_CONNECT });
    await pub.connect();
    const payload = "x".repeat(64 * 1024);
    const round = `PUB flood ${payload.length}\r\n${payload}\r\n`.repeat(16);
    let rounds = 0;
    while (rounds < 400 && broker.stats().slowConsumers === 0) {
      rounds++;
      pub.mark();
      pub.write(`${round}PING\r\n`);
      await pub.waitFor("PONG\r\n", 10_000);
    }
    expect(broker.stats().slowConsumers).toBe(1);
    // Cut by the budget (1 MiB beyond what the kernel buffers took), long before its own 64 MiB.
    expect(rounds).toBeLessThan(32);
    expect(broker.stats().peakPendingBytes).toBeLessThanOrEqual(budget + 256);
    slow.resume();
    await slow.expectClosed(5000);
    expect(slow.text).toContain("-ERR 'Slow Consumer'\r\n");
    pub.end();
  });
});

/** A client-to-server WebSocket binary frame (clients must mask). */
function maskedFrame(text: string): Uint8Array {
  const payload = Buffer.from(text, "latin1");
  const mask = [0x11, 0x22, 0x33, 0x44];
  const header =
    payload.length < 126
      ? [0x82, 0x80 | payload.length]
      : [0x82, 0x80 | 126, payload.length >> 8, payload.length & 0xff];
  const masked = payload.map((byte, i) => byte ^ (mask[i % 4] as number));
  return Buffer.concat([Buffer.from(header), Buffer.from(mask), masked]);
}
