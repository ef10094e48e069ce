/**
 * Conformance, malformed input: raw sockets send broken protocol (random and truncated lines,
 * oversized control lines, binary garbage, wrong payload sizes). What is asserted is what
 * nats-server does: `-ERR` and close for that connection (some argument errors close without
 * an -ERR), and a separate official-client connection keeps working after every input.
 */
import { expect, test } from "bun:test";
import type { NatsConnection } from "@nats-io/nats-core";
import fc from "fast-check";
import { describeEachServer, type Harness, roundTrip } from "./harness";
import type { RawClient } from "./raw";

const UNKNOWN_OP = "-ERR 'Unknown Protocol Operation'";
/** nats-server 2.9 sends it lower-case; clients treat the text as opaque. */
const MAX_CONTROL_LINE = /^-ERR 'maximum control line exceeded'$/i;

/** First bytes that start a client operation (or one nats-server reads specially). */
const OP_STARTS = new Set([..."CcPpSsUuHhIiMm+-"].map((c) => c.charCodeAt(0)));

type Expect =
  /** -ERR with exactly this line (or matching) and closed. */
  | { close: true; err: string | RegExp }
  /** Closed; -ERR lines allowed but not required (nats-server sends none). */
  | { close: true; err?: undefined }
  /** Stays open; exactly this was answered before the PONG of a following PING. */
  | { close: false; reply: string };

const lines = (text: string) => text.split("\r\n").filter((line) => line !== "");

async function send(h: Harness, input: string | Uint8Array, openWaitMs: number) {
  const raw = await h.raw();
  raw.write(input);
  await raw.waitClosed(openWaitMs);
  return raw;
}

function expectClosedWith(raw: RawClient, err: string | RegExp | undefined, what: string): void {
  if (!raw.isClosed) throw new Error(`${what}: still open; received ${raw.describe()}`);
  const received = lines(raw.sinceMark);
  for (const line of received) {
    if (!line.startsWith("-ERR ")) {
      throw new Error(`${what}: answered ${JSON.stringify(line)} before closing`);
    }
  }
  if (err === undefined) return;
  const first = received[0];
  const ok = first !== undefined && (typeof err === "string" ? first === err : err.test(first));
  if (!ok) {
    throw new Error(`${what}: expected ${String(err)} then close; received ${raw.describe()}`);
  }
}

const CASES: [name: string, input: string, expected: Expect][] = [
  ["unknown operation", "XYZ\r\n", { close: true, err: UNKNOWN_OP }],
  ["truncated operation", "PIN\r\n", { close: true, err: UNKNOWN_OP }],
  ["empty line", "\r\n", { close: true, err: UNKNOWN_OP }],
  ["bare LF", "\n", { close: true, err: UNKNOWN_OP }],
  ["leading space", " PING\r\n", { close: true, err: UNKNOWN_OP }],
  ["a client sending MSG", "MSG foo 1 1\r\nx\r\n", { close: true, err: UNKNOWN_OP }],
  ["SUB without arguments", "SUB\r\n", { close: true, err: UNKNOWN_OP }],
  ["binary garbage", "\u0000\u0001\u0002\u00ff", { close: true, err: UNKNOWN_OP }],
  ["PUB payload longer than its size", "PUB foo 3\r\nhello\r\n", { close: true, err: UNKNOWN_OP }],
  [
    "PUB size larger than the payload: the next command is eaten as payload",
    "PUB foo 10\r\nhi\r\nPING\r\nXYZW",
    { close: true, err: UNKNOWN_OP },
  ],
  [
    "HPUB total size shorter than its headers and payload",
    "HPUB foo 12 13\r\nNATS/1.0\r\n\r\nhi\r\n",
    { close: true, err: UNKNOWN_OP },
  ],
  [
    "oversized control line",
    `SUB ${"a".repeat(5000)} 1\r\n`,
    { close: true, err: MAX_CONTROL_LINE },
  ],
  [
    "oversized line without CRLF",
    `PUB ${"b".repeat(6000)}`,
    { close: true, err: MAX_CONTROL_LINE },
  ],
  ["PUB without size", "PUB foo\r\n", { close: true }],
  ["PUB with a negative size", "PUB foo -1\r\n", { close: true }],
  ["PUB with a non-numeric size", "PUB foo bar\r\n", { close: true }],
  ["PUB with too many arguments", "PUB a b c d\r\n", { close: true }],
  ["SUB without sid", "SUB foo\r\n", { close: true }],
  ["SUB with too many arguments", "SUB foo bar baz qux\r\n", { close: true }],
  ["UNSUB with a trailing space only", "UNSUB \r\n", { close: true }],
  ["CONNECT with broken JSON", "CONNECT {bad\r\n", { close: true }],
  ["CONNECT with a JSON array", "CONNECT []\r\n", { close: true }],
  ["CONNECT without arguments", "CONNECT\r\n", { close: true }],
  ["HPUB with header size above total", "HPUB foo 10 5\r\n", { close: true }],
  ["HPUB with two arguments", "HPUB foo 12\r\n", { close: true }],
  // What nats-server tolerates, and so must we.
  [
    "SUB to an invalid subject",
    "SUB a..b 1\r\n",
    { close: false, reply: "-ERR 'Invalid Subject'\r\n" },
  ],
  ["unsolicited PONG", "PONG\r\n", { close: false, reply: "" }],
  ["UNSUB of an unknown sid", "UNSUB 99\r\n", { close: false, reply: "" }],
  [
    "lower-case operations",
    "sub low.x 5\r\npub low.x 2\r\nhi\r\n",
    {
      close: false,
      reply: "MSG low.x 5 2\r\nhi\r\n",
    },
  ],
  [
    "tabs and repeated spaces between arguments",
    "SUB  tab.x\t 6\r\nPUB\ttab.x  1\r\nz\r\n",
    {
      close: false,
      reply: "MSG tab.x 6 1\r\nz\r\n",
    },
  ],
  [
    "a zero-length PUB",
    "SUB zero.x 7\r\nPUB zero.x 0\r\n\r\n",
    {
      close: false,
      reply: "MSG zero.x 7 0\r\n\r\n",
    },
  ],
];

/** Valid commands whose every truncation (cut, then CRLF) is malformed. */
const TRUNCATED = [
  "PING",
  "PONG",
  "SUB foo.bar 7",
  "UNSUB 7",
  "PUB foo.bar 5",
  "HPUB foo.bar 12 14",
  'CONNECT {"verbose":false,"pedantic":false}',
];

describeEachServer("malformed input", {}, (h) => {
  let watcher: NatsConnection;
  const stillServing = async () => {
    if (watcher === undefined || watcher.isClosed()) watcher = await h.tcp();
    await roundTrip(watcher, watcher, "alive");
  };

  test.each(CASES)("%s", async (name, input, expected) => {
    if (expected.close) {
      const raw = await send(h, input, 3000);
      expectClosedWith(raw, expected.err, name);
    } else {
      const raw = await h.raw();
      raw.write(`${input}PING\r\n`);
      await raw.waitFor("PONG\r\n");
      expect(raw.sinceMark).toBe(`${expected.reply}PONG\r\n`);
      expect(raw.isClosed).toBe(false);
    }
    await stillServing();
  });

  test("every truncation of a valid command: closed, with at most an -ERR", async () => {
    for (const command of TRUNCATED) {
      const op = command.split(" ")[0] as string;
      for (let cut = 1; cut < command.length; cut++) {
        const line = command.slice(0, cut);
        const raw = await send(h, `${line}\r\n`, 3000);
        // Cut inside the operation name: nats-server's "Unknown Protocol Operation".
        expectClosedWith(raw, cut < op.length ? UNKNOWN_OP : undefined, JSON.stringify(line));
        raw.end();
      }
    }
    await stillServing();
  });

  test("random lines that start with no operation: -ERR 'Unknown Protocol Operation', closed", async () => {
    const line = fc
      .string({ unit: "binary-ascii", minLength: 1, maxLength: 200 })
      .filter((s) => !OP_STARTS.has(s.charCodeAt(0)));
    await fc.assert(
      fc.asyncProperty(line, async (text) => {
        const raw = await send(h, `${text}\r\n`, 3000);
        expectClosedWith(raw, UNKNOWN_OP, JSON.stringify(text));
        raw.end();
        await stillServing();
      }),
      { numRuns: 60 },
    );
  });

  test("binary garbage: -ERR 'Unknown Protocol Operation', closed", async () => {
    const garbage = fc
      .uint8Array({ minLength: 1, maxLength: 4096 })
      .filter((bytes) => !OP_STARTS.has(bytes[0] as number));
    await fc.assert(
      fc.asyncProperty(garbage, async (bytes) => {
        const raw = await send(h, bytes, 3000);
        expectClosedWith(raw, UNKNOWN_OP, `${bytes.length} random bytes`);
        raw.end();
        await stillServing();
      }),
      { numRuns: 60 },
    );
  });

  test("oversized control lines: -ERR 'maximum control line exceeded', closed", async () => {
    const oversized = fc.record({
      op: fc.constantFrom("PUB ", "SUB ", "HPUB ", "UNSUB ", "pub "),
      length: fc.integer({ min: 4200, max: 32_000 }),
      char: fc.constantFrom("a", "x", ".", "9"),
      crlf: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(oversized, async ({ op, length, char, crlf }) => {
        const raw = await send(h, `${op}${char.repeat(length)}${crlf ? "\r\n" : ""}`, 3000);
        expectClosedWith(raw, MAX_CONTROL_LINE, `${op}+${length}×${char}`);
        raw.end();
        await stillServing();
      }),
      { numRuns: 30 },
    );
  });

  test("PUB/HPUB whose payload is longer than announced: -ERR, closed", async () => {
    const wrongSize = fc.record({
      declared: fc.integer({ min: 0, max: 200 }),
      extra: fc.integer({ min: 1, max: 200 }),
      headers: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(wrongSize, async ({ declared, extra, headers }) => {
        const body = "x".repeat(declared + extra);
        const input = headers
          ? `HPUB wrong.size 12 ${12 + declared}\r\nNATS/1.0\r\n\r\n${body}\r\n`
          : `PUB wrong.size ${declared}\r\n${body}\r\n`;
        const raw = await send(h, input, 3000);
        expectClosedWith(raw, UNKNOWN_OP, `declared ${declared}, sent ${declared + extra}`);
        raw.end();
        await stillServing();
      }),
      { numRuns: 40 },
    );
  });

  test("random arguments after a real operation: only -ERR answers, the server survives", async () => {
    const argLine = fc.record({
      op: fc.constantFrom("PUB", "SUB", "UNSUB", "HPUB", "CONNECT", "PING", "PONG"),
      args: fc.string({ unit: "binary-ascii", maxLength: 120 }),
    });
    await fc.assert(
      fc.asyncProperty(argLine, async ({ op, args }) => {
        // Whatever the server makes of it (an error, a subscription, a payload it waits
        // for), it answers only with -ERR (or PONG) and keeps serving others.
        const raw = await send(h, `${op} ${args}\r\n`, 25);
        for (const line of lines(raw.sinceMark)) {
          if (!line.startsWith("-ERR ") && line !== "PONG") {
            throw new Error(`${op} ${JSON.stringify(args)}: answered ${JSON.stringify(line)}`);
          }
        }
        raw.end();
        await stillServing();
      }),
      { numRuns: 40 },
    );
  });
});
