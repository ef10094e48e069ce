import type { Outbound } from "./outbound";
import type { PubFrame } from "./parser";

/**
 * What the broker writes: fixed protocol lines as precomputed bytes, and MSG/HMSG frames built
 * straight into a subscriber's outbound buffer. The parts every subscriber shares (operation
 * and subject; reply and sizes) are encoded once per message, so each delivery is four copies
 * and no allocation.
 */

export const OK_LINE = Buffer.from("+OK\r\n");
export const PING_LINE = Buffer.from("PING\r\n");
export const PONG_LINE = Buffer.from("PONG\r\n");

export function errLine(text: string): Uint8Array {
  return Buffer.from(`-ERR '${text}'\r\n`);
}

/** The status nats-server returns to a requester when nothing received its request. */
export function noRespondersFrame(reply: string, sid: string): Uint8Array {
  return Buffer.from(`HMSG ${reply} ${sid} 16 16\r\nNATS/1.0 503\r\n\r\n\r\n`, "latin1");
}

const SPACE = 32;
const CR = 13;
const LF = 10;
/** Below this many bytes a copy loop beats `set(subarray(...))` (measured on Bun 1.4). */
const SMALL_COPY = 128;

/** One message's shared frame parts: `<OP> <subject> ` before the sid, the rest after it. */
class FrameParts {
  head: Uint8Array;
  headLen = 0;
  tail: Uint8Array;
  tailLen = 0;
  payloadStart = 0;
  /** Payload bytes plus the CRLF that ends the frame. */
  bodyLen = 0;
  body: Uint8Array | undefined;

  constructor(room: number) {
    this.head = new Uint8Array(room);
    this.tail = new Uint8Array(room);
  }
}

export class MessageWriter {
  /** The frame as published (MSG or HMSG). */
  private readonly full: FrameParts;
  /** An HMSG as MSG without its headers, for clients that did not ask for headers. */
  private readonly bare: FrameParts;
  private bareReady = false;
  private frame: PubFrame | undefined;

  constructor(maxControlLine: number) {
    const room = maxControlLine + 64;
    this.full = new FrameParts(room);
    this.bare = new FrameParts(room);
  }

  /** Prepares the shared parts of `frame`'s deliveries (valid until the next `start`). */
  start(frame: PubFrame): void {
    this.frame = frame;
    this.bareReady = false;
    encodeParts(this.full, frame, frame.headerSize >= 0, frame.headerSize);
  }

  /** Appends the frame for subscription `sid`; false when the client is a slow consumer. */
  writeTo(out: Outbound, sid: Uint8Array, headers: boolean): boolean {
    const frame = this.frame as PubFrame;
    let parts = this.full;
    if (frame.headerSize >= 0 && !headers) {
      if (!this.bareReady) {
        encodeParts(this.bare, frame, false, frame.headerSize);
        this.bareReady = true;
      }
      parts = this.bare;
    }
    const total = parts.headLen + sid.length + parts.tailLen + parts.bodyLen;
    if (!out.reserve(total)) return false;
    const dst = out.buf;
    let p = copy(parts.head, 0, parts.headLen, dst, out.end);
    p = copy(sid, 0, sid.length, dst, p);
    p = copy(parts.tail, 0, parts.tailLen, dst, p);
    if (parts.bodyLen < SMALL_COPY) {
      p = copy(frame.buf, parts.payloadStart, parts.payloadStart + parts.bodyLen, dst, p);
    } else {
      parts.body ??= frame.buf.subarray(parts.payloadStart, parts.payloadStart + parts.bodyLen);
      dst.set(parts.body, p);
      p += parts.bodyLen;
    }
    out.end = p;
    return true;
  }
}

/**
 * `MSG <subject> ` / `HMSG <subject> ` and ` [reply ]<size>\r\n` / ` [reply ]<hdr> <size>\r\n`.
 * Without headers, an HMSG's header bytes (`skip`) are left out of the payload.
 */
function encodeParts(parts: FrameParts, frame: PubFrame, withHeaders: boolean, skip: number) {
  const src = frame.buf;
  const head = parts.head;
  let h = 0;
  if (withHeaders) head[h++] = 0x48; // H
  head[h++] = 0x4d; // M
  head[h++] = 0x53; // S
  head[h++] = 0x47; // G
  head[h++] = SPACE;
  h = copy(src, frame.subjectStart, frame.subjectEnd, head, h);
  head[h++] = SPACE;
  parts.headLen = h;

  const tail = parts.tail;
  let t = 0;
  tail[t++] = SPACE;
  if (frame.replyEnd > frame.replyStart) {
    t = copy(src, frame.replyStart, frame.replyEnd, tail, t);
    tail[t++] = SPACE;
  }
  const dropped = skip > 0 && !withHeaders ? skip : 0;
  if (withHeaders) {
    t = writeDecimal(frame.headerSize, tail, t);
    tail[t++] = SPACE;
  }
  t = writeDecimal(frame.size - dropped, tail, t);
  tail[t++] = CR;
  tail[t++] = LF;
  parts.tailLen = t;

  parts.payloadStart = frame.payloadStart + dropped;
  parts.bodyLen = frame.size - dropped + 2;
  parts.body = undefined;
}

function copy(src: Uint8Array, from: number, to: number, dst: Uint8Array, at: number): number {
  for (let i = from; i < to; i++) dst[at++] = src[i] as number;
  return at;
}

function writeDecimal(value: number, dst: Uint8Array, at: number): number {
  if (value < 10) {
    dst[at] = 48 + value;
    return at + 1;
  }
  let digits = 1;
  for (let v = value; v >= 10; v = Math.floor(v / 10)) digits++;
  let v = value;
  for (let i = at + digits - 1; i >= at; i--) {
    dst[i] = 48 + (v % 10);
    v = Math.floor(v / 10);
  }
  return at + digits;
}
