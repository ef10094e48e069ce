import type { PendingBudget } from "./limits";

/**
 * A connection's outbound bytes. Everything sent to a client is appended here and handed to
 * the transport in one write per flush (the broker flushes after each batch of input), so a
 * burst of messages costs one syscall. What the socket does not take waits here for `drain`;
 * past `maxPending` bytes, or when the broker-wide budget picks it, the client is a slow consumer.
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
/**
 * A buffer larger than this is given back as soon as everything in it is sent, so a connection
 * holds no more than this once idle, whatever it was once sent: the budget counts queued bytes,
 * and this keeps the memory behind them close to that count. Far above what a busy connection
 * queues per batch of small messages (reallocating each batch costs throughput).
 */
const RELEASE = 256 * 1024;

export class Outbound {
  /** Bytes [start, end) are queued; callers write new frames at `end` after `reserve`. */
  buf: Uint8Array;
  start = 0;
  end = 0;
  /** A frame boundary in [start, end]: where the bytes the transport took stop being a torn frame. */
  private boundary = 0;
  /** A write came back short; nothing more is tried until `drained()`. */
  private blocked = false;
  /** Bytes charged to `budget`: what was queued at the last `settle()`, plus reservations since. */
  private charged = 0;

  /**
   * `maxPending` may be changed later (an authenticated connection's own limit); `budget` is
   * the broker-wide one its bytes count against (undefined: none, or exempt).
   */
  constructor(
    private readonly sink: Sink,
    public maxPending: number,
    initial = INITIAL,
    public budget: PendingBudget | undefined = undefined,
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
    if (this.budget !== undefined) {
      if (!this.budget.reserve(this, n)) return false;
      this.charged += n;
    }
    if (this.end + n > this.buf.length) this.grow(n);
    return true;
  }

  private grow(n: number): void {
    if (this.end + n <= this.buf.length) return;
    this.compact();
    if (this.end + n <= this.buf.length) return;
    // Doubling, but never past maxPending: what a connection may hold bounds its memory too.
    const doubled = Math.min(2 * this.buf.length, this.maxPending);
    const grown = new Uint8Array(Math.max(doubled, this.end + n));
    grown.set(this.buf.subarray(0, this.end), 0);
    this.buf = grown;
  }

  /**
   * Appends whole bytes (control lines; hot paths write into `buf` directly). `force` skips the
   * pending limit, for the last line before a close.
   */
  append(bytes: Uint8Array, force = false): boolean {
    if (force) {
      this.grow(bytes.length);
      if (this.budget !== undefined) {
        this.budget.charge(bytes.length);
        this.charged += bytes.length;
      }
    } else if (!this.reserve(bytes.length)) return false;
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
      this.settle();
      return false;
    }
    this.start += taken;
    if (this.start === this.end) {
      this.start = this.end = this.boundary = 0;
      if (this.buf.length > RELEASE) this.buf = new Uint8Array(INITIAL);
      this.settle();
      return true;
    }
    this.blocked = true;
    this.settle();
    return false;
  }

  /** The transport can take more (its drain event). Returns true when nothing is left queued. */
  drained(): boolean {
    this.blocked = false;
    const empty = this.flush();
    // A WebSocket drains its own buffer with ours empty: flush() returned before settling.
    this.settle();
    return empty;
  }

  /**
   * Charges the budget with what is queued now (our bytes and the transport's) instead of what
   * was reserved, and returns that.
   */
  settle(): number {
    const pending = this.end - this.start + this.sink.held();
    if (this.budget !== undefined && pending !== this.charged) {
      this.budget.charge(pending - this.charged);
      this.charged = pending;
    }
    return pending;
  }

  /** Leaves the budget (or moves to another): what it holds is charged there from now on. */
  setBudget(budget: PendingBudget | undefined): void {
    this.budget?.charge(-this.charged);
    this.charged = 0;
    this.budget = budget;
    this.settle();
  }

  /** The transport is gone: nothing queued will be sent, and nothing stays charged. */
  discard(): void {
    this.start = this.end = this.boundary = 0;
    this.blocked = false;
    this.buf = new Uint8Array(0);
    this.budget?.charge(-this.charged);
    this.charged = 0;
  }

  /**
   * Drops every whole frame not yet handed to the transport, keeping the rest of a frame the
   * socket took part of, so a final line (the slow-consumer -ERR) lands on a frame boundary.
   */
  dropUnsent(): void {
    this.advanceBoundary();
    this.end = this.boundary;
    this.blocked = false;
    this.settle();
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
