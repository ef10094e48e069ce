import { describe, expect, test } from "bun:test";
import { frameEnd, Outbound, type Sink } from "./outbound";
import type { PubFrame } from "./parser";
import { MessageWriter } from "./wire";

/** A socket that takes at most `room` bytes until `room` is raised again. */
class FakeSocket implements Sink {
  received = "";
  writes = 0;
  constructor(public room = Number.POSITIVE_INFINITY) {}
  write(bytes: Uint8Array, start: number, end: number): number {
    this.writes++;
    const taken = Math.min(end - start, this.room);
    this.room -= taken;
    this.received += Buffer.from(bytes.subarray(start, start + taken)).toString("latin1");
    return taken;
  }
  held(): number {
    return 0;
  }
}

const bytes = (text: string) => Buffer.from(text, "latin1");

function pubFrame(line: string, payload: string, headerSize = -1): PubFrame {
  const buf = bytes(`${line}\r\n${payload}\r\n`);
  const args = line.split(" ").slice(1);
  const subject = args[0] as string;
  const hasReply = args.length === (headerSize >= 0 ? 4 : 3);
  const subjectStart = line.indexOf(" ") + 1;
  const replyStart = hasReply ? subjectStart + subject.length + 1 : subjectStart + subject.length;
  const replyEnd = hasReply ? replyStart + (args[1] as string).length : replyStart;
  return {
    buf,
    subjectStart,
    subjectEnd: subjectStart + subject.length,
    replyStart,
    replyEnd,
    headerSize,
    size: payload.length,
    payloadStart: line.length + 2,
  };
}

describe("outbound: batching and backpressure", () => {
  test("appends are written in one write per flush", () => {
    const socket = new FakeSocket();
    const out = new Outbound(socket, 1024);
    out.append(bytes("PING\r\n"));
    out.append(bytes("PONG\r\n"));
    expect(out.flush()).toBe(true);
    expect(socket.writes).toBe(1);
    expect(socket.received).toBe("PING\r\nPONG\r\n");
    expect(out.pending).toBe(0);
  });

  test("what the socket does not take waits for drain, in order", () => {
    const socket = new FakeSocket(4);
    const out = new Outbound(socket, 1024);
    out.append(bytes("+OK\r\nPING\r\n"));
    expect(out.flush()).toBe(false);
    expect(out.isBlocked).toBe(true);
    out.append(bytes("PONG\r\n"));
    expect(out.flush()).toBe(false);
    expect(socket.writes).toBe(1);
    socket.room = Number.POSITIVE_INFINITY;
    expect(out.drained()).toBe(true);
    expect(socket.received).toBe("+OK\r\nPING\r\nPONG\r\n");
  });

  test("queuing past maxPending is refused (slow consumer)", () => {
    const out = new Outbound(new FakeSocket(0), 16);
    expect(out.append(bytes("0123456789"))).toBe(true);
    expect(out.flush()).toBe(false);
    expect(out.append(bytes("0123456789"))).toBe(false);
    expect(out.pending).toBe(10);
    expect(out.append(bytes("-ERR 'Slow Consumer'\r\n"), true)).toBe(true);
  });

  test("the buffer grows past its initial size and compacts what was written", () => {
    const socket = new FakeSocket(0);
    const out = new Outbound(socket, 1 << 20, 8);
    out.append(bytes("PING\r\nPING\r\n"));
    socket.room = 6;
    out.flush();
    socket.room = Number.POSITIVE_INFINITY;
    out.append(bytes("x".repeat(100)));
    expect(out.drained()).toBe(true);
    expect(socket.received).toBe(`PING\r\nPING\r\n${"x".repeat(100)}`);
  });
});

describe("outbound: memory", () => {
  test("the buffer doubles but never past maxPending, and a large one is given back once sent", () => {
    const socket = new FakeSocket(0);
    const out = new Outbound(socket, 300 * 1024);
    expect(out.append(new Uint8Array(260 * 1024))).toBe(true);
    expect(out.append(new Uint8Array(30 * 1024))).toBe(true);
    expect(out.buf.length).toBe(300 * 1024); // doubling would have made it 520 KiB
    expect(out.flush()).toBe(false);
    socket.room = Number.POSITIVE_INFINITY;
    expect(out.drained()).toBe(true);
    expect(out.buf.length).toBe(4096);
  });
});

describe("outbound: the slow-consumer cut lands on a frame boundary", () => {
  test("unsent whole frames are dropped, a torn frame is finished first", () => {
    const socket = new FakeSocket(7);
    const out = new Outbound(socket, 1 << 20);
    out.append(bytes("MSG a 1 5\r\nhello\r\n"));
    out.append(bytes("MSG a 1 5\r\nworld\r\n"));
    out.flush(); // the socket took "MSG a 1" of the first frame
    out.dropUnsent();
    out.append(bytes("-ERR 'Slow Consumer'\r\n"), true);
    socket.room = Number.POSITIVE_INFINITY;
    out.flush();
    expect(socket.received).toBe("MSG a 1 5\r\nhello\r\n-ERR 'Slow Consumer'\r\n");
  });

  test("frameEnd walks our own frames", () => {
    const stream = bytes(
      "+OK\r\nMSG a 1 r 3\r\nabc\r\nHMSG b 2 12 14\r\nNATS/1.0\r\n\r\nhi\r\nPING\r\n",
    );
    const ends: number[] = [];
    for (let at = 0; at < stream.length; at = frameEnd(stream, at, stream.length)) {
      ends.push(frameEnd(stream, at, stream.length));
    }
    // "+OK\r\n" | "MSG a 1 r 3\r\nabc\r\n" | "HMSG b 2 12 14\r\n" + 14 + CRLF | "PING\r\n"
    expect(ends).toEqual([5, 5 + 18, 5 + 18 + 32, 5 + 18 + 32 + 6]);
  });
});

describe("MessageWriter: MSG and HMSG frames", () => {
  function deliver(frame: PubFrame, sid: string, headers: boolean): string {
    const socket = new FakeSocket();
    const out = new Outbound(socket, 1 << 20);
    const writer = new MessageWriter(4096);
    writer.start(frame);
    expect(writer.writeTo(out, bytes(sid), headers)).toBe(true);
    out.flush();
    return socket.received;
  }

  test("MSG with and without a reply", () => {
    expect(deliver(pubFrame("PUB foo.bar 5", "hello"), "7", true)).toBe(
      "MSG foo.bar 7 5\r\nhello\r\n",
    );
    expect(deliver(pubFrame("PUB foo _INBOX.x 0", ""), "12", true)).toBe(
      "MSG foo 12 _INBOX.x 0\r\n\r\n",
    );
  });

  test("a large payload is copied whole", () => {
    const payload = "p".repeat(10_000);
    expect(deliver(pubFrame("PUB big 10000", payload), "1", true)).toBe(
      `MSG big 1 10000\r\n${payload}\r\n`,
    );
  });

  test("HMSG keeps header and total sizes", () => {
    const hdr = "NATS/1.0\r\nA: b\r\n\r\n";
    const frame = pubFrame(`HPUB s r ${hdr.length} ${hdr.length + 3}`, `${hdr}abc`, hdr.length);
    expect(deliver(frame, "3", true)).toBe(
      `HMSG s 3 r ${hdr.length} ${hdr.length + 3}\r\n${hdr}abc\r\n`,
    );
  });

  test("a client without headers gets the HMSG as MSG without its headers", () => {
    const hdr = "NATS/1.0\r\nA: b\r\n\r\n";
    const frame = pubFrame(`HPUB s r ${hdr.length} ${hdr.length + 3}`, `${hdr}abc`, hdr.length);
    expect(deliver(frame, "3", false)).toBe("MSG s 3 r 3\r\nabc\r\n");
  });

  test("writeTo refuses when the subscriber would pass its pending limit", () => {
    const out = new Outbound(new FakeSocket(0), 10);
    const writer = new MessageWriter(4096);
    writer.start(pubFrame("PUB foo 5", "hello"));
    expect(writer.writeTo(out, bytes("1"), true)).toBe(false);
    expect(out.pending).toBe(0);
  });
});
