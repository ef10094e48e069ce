/**
 * A connection's outbound bytes. Everything sent to a client is appended here and handed to
 * the transport in one write per flush (the broker flushes after each batch of input), so a
 * burst of messages costs one syscall. What the socket does not take waits here for `drain`;
 * past `maxPending` bytes the client is a slow consumer.
 */

/** The transport under an Outbound. */
export interface Sink {
  /** Hands [start, end) to the transport; returns how many bytes it took, -1 once closed. */
  write(bytes: Uint8Array, start: number, end: number): number;
  /** Bytes the transport holds on its own (WebSocket send buffer); 0 for TCP. */
  held(): number;
}

const INITIAL = 4096;
/** An idle buffer larger than this is given back by `trim()`. */
const KEEP = 64 * 1024;

export class Outbound {
  /** Bytes [start, end) are queued; callers write new frames at `end` after `reserve`. */
  buf: Uint8Array;
  start = 0;
  end = 0;
  /** A frame boundary in [start, end]: where the bytes the transport took stop being a torn frame. */
  private boundary = 0;
  /** A write came back short; nothing more is tried until `drained()`. */
  private blocked = false;

  constructor(
    private readonly sink: Sink,
    private readonly maxPending: number,
    initial = INITIAL,
  ) {
    this.buf = new Uint8Array(initial);
  }

  /** Bytes queued and not yet taken by the socket (plus what the transport holds). */
  get pending(): number {
    return this.end - this.start + this.sink.held();
  }

  get isBlocked(): boolean {
    return this.blocked;
  }

  /**
   * Makes room for `n` more bytes at `end`. Returns false, queuing nothing, when that would
   * pass `maxPending`: the caller must cut the client off as a slow consumer.
   */
  reserve(n: number): boolean {
    if (this.end - this.start + this.sink.held() + n > this.maxPending) return false;
    if (this.end + n > this.buf.length) this.grow(n);
    return true;
  }

  private grow(n: number): void {
    if (this.end + n <= this.buf.length) return;
    this.compact();
    if (this.end + n <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(2 * this.buf.length, this.end + n));
    grown.set(this.buf.subarray(0, this.end), 0);
    this.buf = grown;
  }

  /**
   * Appends whole bytes (control lines; hot paths write into `buf` directly). `force` skips the
   * pending limit, for the last line before a close.
   */
  append(bytes: Uint8Array, force = false): boolean {
    if (force) this.grow(bytes.length);
    else if (!this.reserve(bytes.length)) return false;
    this.buf.set(bytes, this.end);
    this.end += bytes.length;
    return true;
  }

  /** Writes what the transport takes. Returns true when nothing is left queued. */
  flush(): boolean {
    if (this.start === this.end) return true;
    if (this.blocked) return false;
    const taken = this.sink.write(this.buf, this.start, this.end);
    if (taken < 0) {
      this.start = this.end = this.boundary = 0;
      return false;
    }
    this.start += taken;
    if (this.start === this.end) {
      this.start = this.end = this.boundary = 0;
      return true;
    }
    this.blocked = true;
    return false;
  }

  /** The transport can take more (its drain event). Returns true when nothing is left queued. */
  drained(): boolean {
    this.blocked = false;
    return this.flush();
  }

  /**
   * Drops every whole frame not yet handed to the transport, keeping the rest of a frame the
   * socket took part of, so a final line (the slow-consumer -ERR) lands on a frame boundary.
   */
  dropUnsent(): void {
    this.advanceBoundary();
    this.end = this.boundary;
    this.blocked = false;
  }

  /** Gives back a large buffer once idle (called from the ping timer, not the hot path). */
  trim(): void {
    if (this.start === this.end && this.buf.length > KEEP) {
      this.buf = new Uint8Array(INITIAL);
      this.start = this.end = this.boundary = 0;
    }
  }

  private compact(): void {
    if (this.start === 0) return;
    this.advanceBoundary();
    this.buf.copyWithin(0, this.start, this.end);
    this.boundary -= this.start;
    this.end -= this.start;
    this.start = 0;
  }

  /** Moves `boundary` past the bytes already taken by walking our own frames. */
  private advanceBoundary(): void {
    while (this.boundary < this.start) this.boundary = frameEnd(this.buf, this.boundary, this.end);
  }
}

/**
 * Where the frame we wrote at `at` ends. Our frames are lines (INFO, PING, PONG, +OK, -ERR) or
 * `MSG ... <size>\r\n` / `HMSG ... <total>\r\n` followed by that many bytes and CRLF.
 */
export function frameEnd(buf: Uint8Array, at: number, end: number): number {
  let lf = at;
  while (lf < end && buf[lf] !== 10) lf++;
  if (lf >= end) return end;
  const first = buf[at];
  if (first !== 0x4d && first !== 0x48) return lf + 1; // not MSG/HMSG
  let digits = lf - 1; // skip the CR
  let size = 0;
  let scale = 1;
  while (digits > at && (buf[digits - 1] as number) >= 48 && (buf[digits - 1] as number) <= 57) {
    digits--;
    size += ((buf[digits] as number) - 48) * scale;
    scale *= 10;
  }
  return Math.min(lf + 1 + size + 2, end);
}
