import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import type { CloseReason } from "./errors";
import { Parser, type ParserHandler, type PubFrame, parseSize } from "./parser";

/** Records every operation the parser hands over, as text. */
class Recorder implements ParserHandler {
  awaitingConnect = false;
  headers = true;
  readonly events: string[] = [];
  /** Operations after which the handler halts parsing. */
  haltOn: string | undefined;

  onConnect(json: string): boolean {
    return this.record(`CONNECT ${json}`, "CONNECT");
  }
  onPub(f: PubFrame): boolean {
    const text = (s: number, e: number) => f.buf.toString("latin1", s, e);
    const payload = text(f.payloadStart, f.payloadStart + f.size);
    const reply = text(f.replyStart, f.replyEnd);
    return this.record(
      `PUB ${text(f.subjectStart, f.subjectEnd)} [${reply}] ${f.headerSize} ${payload}`,
      "PUB",
    );
  }
  onSub(subject: string, queue: string | null, sid: string): boolean {
    return this.record(`SUB ${subject} ${queue ?? "-"} ${sid}`, "SUB");
  }
  onUnsub(sid: string, max: number): boolean {
    return this.record(`UNSUB ${sid} ${max}`, "UNSUB");
  }
  onPing(): boolean {
    return this.record("PING", "PING");
  }
  onPong(): boolean {
    return this.record("PONG", "PONG");
  }
  onError(reason: CloseReason): void {
    this.events.push(`ERROR ${reason}`);
  }
  private record(event: string, op: string): boolean {
    this.events.push(event);
    return this.haltOn !== op;
  }
}

const LIMITS = { maxPayload: 1024 * 1024, maxControlLine: 4096 };

function parse(chunks: (string | Uint8Array)[], setup?: (r: Recorder) => void, limits = LIMITS) {
  const recorder = new Recorder();
  setup?.(recorder);
  const parser = new Parser(recorder, limits);
  for (const chunk of chunks) {
    parser.feed(typeof chunk === "string" ? Buffer.from(chunk, "latin1") : chunk);
  }
  return { events: recorder.events, parser, recorder };
}

const STREAM =
  'CONNECT {"verbose":false,"headers":true}\r\n' +
  "SUB foo.* 1\r\n" +
  "SUB bar q 22\r\n" +
  "PUB foo.x 5\r\nhello\r\n" +
  "PUB foo.y _INBOX.1 0\r\n\r\n" +
  "HPUB foo.z _INBOX.2 12 15\r\nNATS/1.0\r\n\r\nabc\r\n" +
  "HPUB foo.z 22 22\r\nNATS/1.0\r\nA: bcdef\r\n\r\n\r\n" +
  "pub\tfoo.w   3\r\n\r\n\r\r\n" +
  "PING\r\nPONG\r\n+OK\r\nINFO {}\r\nping\n" +
  "UNSUB 1 10\r\nUNSUB 22\r\n";

const EXPECTED = [
  'CONNECT {"verbose":false,"headers":true}',
  "SUB foo.* - 1",
  "SUB bar q 22",
  "PUB foo.x [] -1 hello",
  "PUB foo.y [_INBOX.1] -1 ",
  "PUB foo.z [_INBOX.2] 12 NATS/1.0\r\n\r\nabc",
  "PUB foo.z [] 22 NATS/1.0\r\nA: bcdef\r\n\r\n",
  "PUB foo.w [] -1 \r\n\r",
  "PING",
  "PONG",
  "PING",
  "UNSUB 1 10",
  "UNSUB 22 0",
];

describe("parser: framing", () => {
  test("a stream in one chunk", () => {
    expect(parse([STREAM]).events).toEqual(EXPECTED);
  });

  test("the same operations when the stream is split at every byte boundary", () => {
    for (let at = 1; at < STREAM.length; at++) {
      const { events } = parse([STREAM.slice(0, at), STREAM.slice(at)]);
      expect(events).toEqual(EXPECTED);
    }
  });

  test("one byte at a time", () => {
    expect(parse([...STREAM]).events).toEqual(EXPECTED);
  });

  test("any chunking gives the same operations", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: STREAM.length - 1 })), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const chunks: string[] = [];
        let from = 0;
        for (const point of points) {
          chunks.push(STREAM.slice(from, point));
          from = point;
        }
        chunks.push(STREAM.slice(from));
        expect(parse(chunks).events).toEqual(EXPECTED);
      }),
    );
  });

  test("a large payload arriving in many chunks is delivered whole", () => {
    const payload = Buffer.alloc(300_000, "x");
    const frame = Buffer.concat([Buffer.from("PUB big 300000\r\n"), payload, Buffer.from("\r\n")]);
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < frame.length; at += 7000) chunks.push(frame.subarray(at, at + 7000));
    const { events, parser } = parse([...chunks, "PING\r\n"]);
    expect(events).toEqual([`PUB big [] -1 ${payload.toString()}`, "PING"]);
    expect(parser.buffered).toBe(0);
  });

  test("plain Uint8Array chunks (not Buffers) are accepted", () => {
    const bytes = new TextEncoder().encode("PUB a 1\r\nx\r\n");
    expect(parse([bytes]).events).toEqual(["PUB a [] -1 x"]);
  });

  test("HPUB header and total sizes bound the headers and the payload", () => {
    const hdr = "NATS/1.0\r\nX-Key: v\r\n\r\n";
    const { events } = parse([`HPUB s r ${hdr.length} ${hdr.length + 4}\r\n${hdr}body\r\n`]);
    expect(events).toEqual([`PUB s [r] ${hdr.length} ${hdr}body`]);
    expect(parse(["HPUB s 0 3\r\nabc\r\n"]).events).toEqual(["PUB s [] 0 abc"]);
  });

  test("PING and PONG ignore what follows the word on their line (as nats-server)", () => {
    expect(parse(["PINGxyz\r\nPONG  \n"]).events).toEqual(["PING", "PONG"]);
  });

  test("UNSUB with a max that is not a number unsubscribes now (max -1)", () => {
    expect(parse(["UNSUB 5 x\r\n"]).events).toEqual(["UNSUB 5 -1"]);
  });
});

describe("parser: refusals", () => {
  const cases: [string, string, CloseReason][] = [
    ["unknown operation", "FOO\r\n", "UNKNOWN_OPERATION"],
    ["PUB without a space", "PUB\r\n", "UNKNOWN_OPERATION"],
    ["PUB glued to its subject", "PUBX foo 1\r\n", "UNKNOWN_OPERATION"],
    ["MSG from a client", "MSG foo 1 1\r\na\r\n", "UNKNOWN_OPERATION"],
    ["leading space", " PING\r\n", "UNKNOWN_OPERATION"],
    ["empty line", "\r\nPING\r\n", "UNKNOWN_OPERATION"],
    ["binary garbage without a line end", "\x00\x01\x02", "UNKNOWN_OPERATION"],
    ["UNSUB without a sid", "UNSUB\r\n", "UNKNOWN_OPERATION"],
    ["payload longer than announced", "PUB foo 3\r\nabcd\r\n", "UNKNOWN_OPERATION"],
    ["payload longer, seen before the LF", "PUB foo 3\r\nabcd", "UNKNOWN_OPERATION"],
    ["PUB without a size", "PUB foo\r\n", "PROTOCOL_VIOLATION"],
    ["PUB with a bad size", "PUB foo x\r\n", "PROTOCOL_VIOLATION"],
    ["PUB with ten size digits", "PUB foo 0000000001\r\n", "PROTOCOL_VIOLATION"],
    ["PUB with too many arguments", "PUB a b c 1\r\n", "PROTOCOL_VIOLATION"],
    ["HPUB with headers larger than the total", "HPUB foo 22 20\r\n", "PROTOCOL_VIOLATION"],
    ["HPUB without a header size", "HPUB foo 3\r\n", "PROTOCOL_VIOLATION"],
    ["SUB without a sid", "SUB foo\r\n", "PROTOCOL_VIOLATION"],
    ["SUB with four arguments", "SUB foo q 1 2\r\n", "PROTOCOL_VIOLATION"],
    ["UNSUB with three arguments", "UNSUB 1 2 3\r\n", "PROTOCOL_VIOLATION"],
    ["a client's -ERR", "-ERR 'x'\r\n", "PROTOCOL_VIOLATION"],
    ["payload over max_payload", "PUB foo 1048577\r\n", "MAX_PAYLOAD"],
  ];
  for (const [name, input, reason] of cases) {
    test(name, () => {
      expect(parse([input]).events).toEqual([`ERROR ${reason}`]);
    });
  }

  test("HPUB from a client that did not ask for headers", () => {
    const { events } = parse(["HPUB foo 12 12\r\nNATS/1.0\r\n\r\n\r\n"], (r) => {
      r.headers = false;
    });
    expect(events).toEqual(["ERROR PROTOCOL_VIOLATION"]);
  });

  test("control line limit: arguments up to the limit pass, one byte more fails", () => {
    const limits = { maxPayload: 100, maxControlLine: 64 };
    const line = (n: number) => `SUB ${"a".repeat(n)} 1\r\n`;
    expect(parse([line(62)], undefined, limits).events).toEqual([`SUB ${"a".repeat(62)} - 1`]);
    expect(parse([line(63)], undefined, limits).events).toEqual(["ERROR MAX_CONTROL_LINE"]);
  });

  test("control line limit applies to a line that has not ended yet", () => {
    const limits = { maxPayload: 100, maxControlLine: 64 };
    expect(parse([`SUB ${"a".repeat(100)}`], undefined, limits).events).toEqual([
      "ERROR MAX_CONTROL_LINE",
    ]);
    expect(parse([`PING${" ".repeat(100)}`], undefined, limits).events).toEqual([
      "ERROR MAX_CONTROL_LINE",
    ]);
  });

  test("before an accepted CONNECT, anything else is an authorization violation", () => {
    const setup = (r: Recorder) => {
      r.awaitingConnect = true;
    };
    expect(parse(["PING\r\n"], setup).events).toEqual(["ERROR AUTHORIZATION"]);
    expect(parse(["Cxx\r\n"], setup).events).toEqual(["ERROR UNKNOWN_OPERATION"]);
  });

  test("after a refusal nothing more is parsed", () => {
    const { events, parser } = parse(["FOO\r\nPING\r\n"]);
    parser.feed(Buffer.from("PING\r\n"));
    expect(events).toEqual(["ERROR UNKNOWN_OPERATION"]);
  });

  test("operations before the bad one are handed over", () => {
    expect(parse(["PING\r\nSUB a 1\r\nPUB\r\n"]).events).toEqual([
      "PING",
      "SUB a - 1",
      "ERROR UNKNOWN_OPERATION",
    ]);
  });
});

describe("parser: fuzzing", () => {
  const fragments = [
    "PUB a 1\r\nx\r\n",
    "SUB a 1\r\n",
    "PING\r\n",
    "HPUB a 12 12\r\nNATS/1.0\r\n\r\n\r\n",
    "UNSUB 1\r\n",
    "\r\n",
    "PUB ",
    " 9999999999",
    "\x00",
    "\xff\xfe",
    "CONNECT {}\r\n",
  ];
  const input = fc.array(
    fc.oneof(
      fc.constantFrom(...fragments),
      fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString("latin1")),
    ),
    { maxLength: 12 },
  );

  test("random input never throws, stops at its first error, and chunking does not matter", () => {
    const small = { maxPayload: 64, maxControlLine: 32 };
    fc.assert(
      fc.property(input, fc.array(fc.nat()), (parts, cuts) => {
        const stream = parts.join("");
        const whole = parse([stream], undefined, small).events;
        const errors = whole.filter((e) => e.startsWith("ERROR"));
        expect(errors.length).toBeLessThanOrEqual(1);
        if (errors.length === 1) expect(whole[whole.length - 1]).toStartWith("ERROR");

        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const chunks: string[] = [];
        let from = 0;
        for (const point of points) {
          chunks.push(stream.slice(from, point));
          from = point;
        }
        chunks.push(stream.slice(from));
        const chunked = parse(chunks, undefined, small).events;
        // A split line can be refused a little earlier (by length), never differently otherwise.
        if (errors.length === 0) expect(chunked).toEqual(whole);
        else expect(chunked.slice(0, -1)).toEqual(whole.slice(0, chunked.length - 1));
      }),
      { numRuns: 2000 },
    );
  });
});

describe("parser: halting", () => {
  test("a handler that halts holds the rest, in order, until resume()", () => {
    const { events, parser, recorder } = parse(["CONNECT {}\r\nSUB a 1\r\nPI"], (r) => {
      r.haltOn = "CONNECT";
    });
    expect(events).toEqual(["CONNECT {}"]);
    parser.feed(Buffer.from("NG\r\nPUB a 1\r\nx\r\n"));
    expect(events).toEqual(["CONNECT {}"]);
    recorder.haltOn = undefined;
    parser.resume();
    expect(events).toEqual(["CONNECT {}", "SUB a - 1", "PING", "PUB a [] -1 x"]);
    expect(parser.buffered).toBe(0);
  });
});

describe("parseSize", () => {
  const size = (text: string) => parseSize(Buffer.from(text), 0, text.length);
  test("1 to 9 decimal digits", () => {
    expect(size("0")).toBe(0);
    expect(size("123")).toBe(123);
    expect(size("999999999")).toBe(999_999_999);
  });
  test("anything else is -1", () => {
    for (const bad of ["", "1234567890", "-1", "1a", " 1"]) expect(size(bad)).toBe(-1);
  });
});
