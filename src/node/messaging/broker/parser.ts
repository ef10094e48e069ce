import type { CloseReason } from "./errors";

/**
 * The client-protocol parser: a streaming framer over bytes. It finds each operation in what a
 * connection sent, checks its arguments and limits the way nats-server does, and hands complete
 * operations to a handler. A frame cut across TCP chunks (or WebSocket messages) waits in one
 * buffer until it is whole; a PUB payload is never turned into a string.
 */

/** A complete PUB or HPUB, pointing into the parser's bytes (valid only during `onPub`). */
export interface PubFrame {
  buf: Buffer;
  subjectStart: number;
  subjectEnd: number;
  /** Equal to `replyStart` when there is no reply subject. */
  replyStart: number;
  replyEnd: number;
  /** Header bytes at the start of the payload; -1 for PUB. */
  headerSize: number;
  /** Payload bytes, headers included. */
  size: number;
  payloadStart: number;
}

/** What the parser calls; a method returning false halts parsing until `resume()`. */
export interface ParserHandler {
  /** True while authentication is required and no CONNECT was accepted yet. */
  readonly awaitingConnect: boolean;
  /** Whether the client announced headers support (HPUB allowed). */
  readonly headers: boolean;
  onConnect(json: string): boolean;
  onPub(frame: PubFrame): boolean;
  onSub(subject: string, queue: string | null, sid: string): boolean;
  onUnsub(sid: string, max: number): boolean;
  onPing(): boolean;
  onPong(): boolean;
  /** The connection must be closed for `reason`; the parser accepts nothing more. */
  onError(reason: CloseReason): void;
}

export interface ParserLimits {
  maxPayload: number;
  maxControlLine: number;
}

const CR = 13;
const LF = 10;
const SPACE = 32;
const TAB = 9;

const NEED_MORE = -1;
const FAILED = -2;
const MISMATCH = -3;
const TOO_LONG = -4;

/** Up to this many arguments are recorded; more is always an error. */
const MAX_ARGS = 6;
/** Start/end offsets of the current line's arguments (one parser runs at a time). */
const ARGS = new Int32Array(2 * (MAX_ARGS + 1));

const word = (text: string): Uint8Array => Buffer.from(text, "latin1");
const PUB = word("pub");
const HPUB = word("hpub");
const PING = word("ping");
const PONG = word("pong");
const SUB = word("sub");
const UNSUB = word("unsub");
const CONNECT = word("connect");
const INFO = word("info");
const OK = word("+ok");
const ERR = word("-err");

const EMPTY = Buffer.alloc(0);
/** A pending buffer larger than this is released once empty. */
const KEEP_PENDING = 64 * 1024;

export class Parser {
  private pending: Buffer = EMPTY;
  private pendingLen = 0;
  /** Bytes the frame at the head of `pending` needs before parsing it again is worthwhile. */
  private need = 0;
  private halted = false;
  private failed = false;
  private argStart = 0;
  private argEnd = 0;
  private readonly frame: PubFrame = {
    buf: EMPTY,
    subjectStart: 0,
    subjectEnd: 0,
    replyStart: 0,
    replyEnd: 0,
    headerSize: -1,
    size: 0,
    payloadStart: 0,
  };

  constructor(
    private readonly handler: ParserHandler,
    private readonly limits: ParserLimits,
  ) {}

  /** Bytes received and not yet parsed (an unfinished frame, or input held while halted). */
  get buffered(): number {
    return this.pendingLen;
  }

  feed(chunk: Uint8Array): void {
    if (this.failed) return;
    const bytes = asBuffer(chunk);
    if (this.pendingLen === 0 && !this.halted) {
      this.keep(bytes, this.run(bytes, 0, bytes.length), bytes.length);
      return;
    }
    this.append(bytes);
    if (!this.halted && this.pendingLen >= this.need) this.drain();
  }

  /** Continues after a handler method returned false. */
  resume(): void {
    if (this.failed || !this.halted) return;
    this.halted = false;
    if (this.pendingLen > 0) this.drain();
  }

  private drain(): void {
    this.keep(this.pending, this.run(this.pending, 0, this.pendingLen), this.pendingLen);
  }

  /** Parses whole frames in [pos, end); returns where the unparsed rest starts. */
  private run(buf: Buffer, pos: number, end: number): number {
    this.need = 0;
    while (pos < end && !this.halted) {
      const next = this.frameAt(buf, pos, end);
      if (next === NEED_MORE) return pos;
      if (next === FAILED) return end;
      pos = next;
    }
    return pos;
  }

  private frameAt(buf: Buffer, pos: number, end: number): number {
    const first = buf[pos] as number;
    if (this.handler.awaitingConnect && first !== 0x43 && first !== 0x63) {
      return this.fail("AUTHORIZATION");
    }
    switch (first) {
      case 0x50: // P
      case 0x70:
        return this.p(buf, pos, end);
      case 0x48: // H
      case 0x68:
        return this.pub(buf, pos, end, true);
      case 0x53: // S
      case 0x73:
        return this.sub(buf, pos, end);
      case 0x55: // U
      case 0x75:
        return this.unsub(buf, pos, end);
      case 0x43: // C
      case 0x63:
        return this.connect(buf, pos, end);
      case 0x49: // I
      case 0x69:
        return this.info(buf, pos, end);
      case 0x2b: // +
        return this.bare(buf, pos, end, OK);
      case 0x2d: // -
        return this.clientError(buf, pos, end);
      default:
        return this.fail("UNKNOWN_OPERATION");
    }
  }

  /** PUB, PING or PONG. */
  private p(buf: Buffer, pos: number, end: number): number {
    if (pos + 1 >= end) return this.unfinished(NEED_MORE);
    switch ((buf[pos + 1] as number) | 0x20) {
      case 0x75: // u
        return this.pub(buf, pos, end, false);
      case 0x69: // i
        return this.bare(buf, pos, end, PING);
      case 0x6f: // o
        return this.bare(buf, pos, end, PONG);
      default:
        return this.fail("UNKNOWN_OPERATION");
    }
  }

  /** `PUB <subject> [reply] <size>` or `HPUB <subject> [reply] <hdr> <size>`, then the payload. */
  private pub(buf: Buffer, pos: number, end: number, withHeaders: boolean): number {
    const lineEnd = this.line(buf, pos, end, withHeaders ? HPUB : PUB, true);
    if (lineEnd < 0) return this.unfinished(lineEnd);
    if (withHeaders && !this.handler.headers) return this.fail("PROTOCOL_VIOLATION");
    const count = splitArgs(buf, this.argStart, this.argEnd);
    const minimum = withHeaders ? 3 : 2;
    if (count !== minimum && count !== minimum + 1) return this.fail("PROTOCOL_VIOLATION");
    const size = parseSize(buf, ARGS[2 * count - 2] as number, ARGS[2 * count - 1] as number);
    if (size < 0) return this.fail("PROTOCOL_VIOLATION");
    let headerSize = -1;
    if (withHeaders) {
      headerSize = parseSize(buf, ARGS[2 * count - 4] as number, ARGS[2 * count - 3] as number);
      if (headerSize < 0 || headerSize > size) return this.fail("PROTOCOL_VIOLATION");
    }
    if (size > this.limits.maxPayload) return this.fail("MAX_PAYLOAD");

    const payloadEnd = lineEnd + size;
    if (payloadEnd + 2 > end) {
      if (payloadEnd < end && buf[payloadEnd] !== CR) return this.fail("UNKNOWN_OPERATION");
      this.need = payloadEnd + 2 - pos;
      return NEED_MORE;
    }
    if (buf[payloadEnd] !== CR || buf[payloadEnd + 1] !== LF) {
      return this.fail("UNKNOWN_OPERATION");
    }

    const frame = this.frame;
    frame.buf = buf;
    frame.subjectStart = ARGS[0] as number;
    frame.subjectEnd = ARGS[1] as number;
    const hasReply = count === minimum + 1;
    frame.replyStart = hasReply ? (ARGS[2] as number) : frame.subjectEnd;
    frame.replyEnd = hasReply ? (ARGS[3] as number) : frame.subjectEnd;
    frame.headerSize = headerSize;
    frame.size = size;
    frame.payloadStart = lineEnd;
    if (!this.handler.onPub(frame)) this.halted = true;
    frame.buf = EMPTY;
    return payloadEnd + 2;
  }

  /** `SUB <subject> [queue] <sid>` */
  private sub(buf: Buffer, pos: number, end: number): number {
    const next = this.line(buf, pos, end, SUB, true);
    if (next < 0) return this.unfinished(next);
    const count = splitArgs(buf, this.argStart, this.argEnd);
    if (count !== 2 && count !== 3) return this.fail("PROTOCOL_VIOLATION");
    const subject = argText(buf, 0);
    const queue = count === 3 ? argText(buf, 1) : null;
    const sid = argText(buf, count - 1);
    if (!this.handler.onSub(subject, queue, sid)) this.halted = true;
    return next;
  }

  /** `UNSUB <sid> [max]`; a max that is not a number unsubscribes now, as in nats-server. */
  private unsub(buf: Buffer, pos: number, end: number): number {
    const next = this.line(buf, pos, end, UNSUB, true);
    if (next < 0) return this.unfinished(next);
    const count = splitArgs(buf, this.argStart, this.argEnd);
    if (count !== 1 && count !== 2) return this.fail("PROTOCOL_VIOLATION");
    const max = count === 2 ? parseSize(buf, ARGS[2] as number, ARGS[3] as number) : 0;
    if (!this.handler.onUnsub(argText(buf, 0), max)) this.halted = true;
    return next;
  }

  /** `CONNECT <json>` (nats-server needs no space after the word). */
  private connect(buf: Buffer, pos: number, end: number): number {
    const next = this.line(buf, pos, end, CONNECT, false);
    if (next < 0) return this.unfinished(next);
    if (!this.handler.onConnect(buf.toString("utf8", this.argStart, this.argEnd))) {
      this.halted = true;
    }
    return next;
  }

  /** A client's INFO is accepted and ignored. */
  private info(buf: Buffer, pos: number, end: number): number {
    const next = this.line(buf, pos, end, INFO, false);
    return next < 0 ? this.unfinished(next) : next;
  }

  /** A client's `-ERR` ends its connection, silently (nats-server: a parse error). */
  private clientError(buf: Buffer, pos: number, end: number): number {
    const next = this.line(buf, pos, end, ERR, true);
    return next < 0 ? this.unfinished(next) : this.fail("PROTOCOL_VIOLATION");
  }

  /** PING, PONG, +OK: the word, then anything up to the line feed. */
  private bare(buf: Buffer, pos: number, end: number, op: Uint8Array): number {
    const after = matchWord(buf, pos, end, op);
    if (after < 0) return this.unfinished(after);
    const lf = findLf(buf, after, end);
    if (lf < 0)
      return this.unfinished(end - pos > this.limits.maxControlLine ? TOO_LONG : NEED_MORE);
    let ok = true;
    if (op === PING) ok = this.handler.onPing();
    else if (op === PONG) ok = this.handler.onPong();
    if (!ok) this.halted = true;
    return lf + 1;
  }

  /**
   * Matches the operation word and finds the end of its line. Sets argStart/argEnd (the
   * arguments, without the CR) and returns the offset after the LF, or a negative code.
   */
  private line(buf: Buffer, pos: number, end: number, op: Uint8Array, spaced: boolean): number {
    let i = matchWord(buf, pos, end, op);
    if (i < 0) return i;
    if (spaced) {
      if (i === end) return NEED_MORE;
      if (buf[i] !== SPACE && buf[i] !== TAB) return MISMATCH;
    }
    while (i < end && (buf[i] === SPACE || buf[i] === TAB)) i++;
    const max = this.limits.maxControlLine;
    const lf = findLf(buf, i, end);
    if (lf < 0) return end - i > max || end - pos > max + 16 ? TOO_LONG : NEED_MORE;
    const argEnd = lf > i && buf[lf - 1] === CR ? lf - 1 : lf;
    if (argEnd - i > max) return TOO_LONG;
    this.argStart = i;
    this.argEnd = argEnd;
    return lf + 1;
  }

  private unfinished(code: number): number {
    if (code === NEED_MORE) return NEED_MORE;
    return this.fail(code === TOO_LONG ? "MAX_CONTROL_LINE" : "UNKNOWN_OPERATION");
  }

  private fail(reason: CloseReason): number {
    this.failed = true;
    this.pendingLen = 0;
    this.pending = EMPTY;
    this.handler.onError(reason);
    return FAILED;
  }

  /** Keeps [from, end) of `buf` as the start of the pending bytes. */
  private keep(buf: Buffer, from: number, end: number): void {
    if (this.failed) return;
    const rest = end - from;
    if (rest <= 0) {
      this.pendingLen = 0;
      if (this.pending.length > KEEP_PENDING) this.pending = EMPTY;
      return;
    }
    if (buf === this.pending) {
      if (from > 0) buf.copyWithin(0, from, end);
    } else {
      this.pendingLen = 0;
      this.reserve(rest);
      this.pending.set(buf.subarray(from, end), 0);
    }
    this.pendingLen = rest;
  }

  private append(bytes: Buffer): void {
    this.reserve(this.pendingLen + bytes.length);
    this.pending.set(bytes, this.pendingLen);
    this.pendingLen += bytes.length;
  }

  /** Grows geometrically (never straight to a big announced size: a client may never send it). */
  private reserve(capacity: number): void {
    if (this.pending.length >= capacity) return;
    const doubled = Math.max(2 * this.pending.length, 4096);
    const grown = Buffer.allocUnsafe(
      Math.max(capacity, this.need > 0 ? Math.min(doubled, this.need) : doubled),
    );
    if (this.pendingLen > 0) grown.set(this.pending.subarray(0, this.pendingLen), 0);
    this.pending = grown;
  }
}

/** The offset after `op` (lowercase) at `pos`, matched case-insensitively, or a negative code. */
function matchWord(buf: Buffer, pos: number, end: number, op: Uint8Array): number {
  for (let k = 0; k < op.length; k++) {
    if (pos + k >= end) return NEED_MORE;
    const want = op[k] as number;
    const got = buf[pos + k] as number;
    // `| 0x20` folds case for letters only; '+' and '-' must match exactly.
    if (got !== want && (want < 0x61 || (got | 0x20) !== want)) return MISMATCH;
  }
  return pos + op.length;
}

function findLf(buf: Buffer, from: number, end: number): number {
  for (let i = from; i < end; i++) if (buf[i] === LF) return i;
  return -1;
}

/** Splits [start, end) on spaces and tabs into ARGS; returns the count (MAX_ARGS + 1 = too many). */
function splitArgs(buf: Buffer, start: number, end: number): number {
  let count = 0;
  let i = start;
  while (i < end) {
    const c = buf[i] as number;
    if (c === SPACE || c === TAB || c === CR) {
      i++;
      continue;
    }
    if (count > MAX_ARGS) return count;
    ARGS[2 * count] = i;
    while (i < end && buf[i] !== SPACE && buf[i] !== TAB && buf[i] !== CR) i++;
    ARGS[2 * count + 1] = i;
    count++;
  }
  return count;
}

function argText(buf: Buffer, index: number): string {
  return buf.toString("latin1", ARGS[2 * index] as number, ARGS[2 * index + 1] as number);
}

/** nats-server's parseSize: 1 to 9 decimal digits, else -1. */
export function parseSize(buf: Uint8Array, start: number, end: number): number {
  const length = end - start;
  if (length === 0 || length > 9) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const digit = (buf[i] as number) - 48;
    if (digit < 0 || digit > 9) return -1;
    n = n * 10 + digit;
  }
  return n;
}

function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk)
    ? chunk
    : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}
