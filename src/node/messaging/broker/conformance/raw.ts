/**
 * A raw TCP connection speaking the NATS client protocol by hand, for what the official
 * clients never send (malformed input, oversized lines) or never do (stop reading, ignore
 * PINGs). The broker's own tests and the conformance suite share it.
 */
import { HOST } from "./servers";

/** Kept in full up to this size; beyond it only the head and the tail are kept. */
const KEEP = 256 * 1024;

export interface RawOptions {
  /**
   * Send CONNECT (with these extra fields, or those made from the INFO's nonce) then PING, and
   * wait for the PONG. Default: true.
   */
  connect?: boolean | Record<string, unknown> | ((nonce: string) => Record<string, unknown>);
  /** The CONNECT fields `connect()` starts from. Default: RAW_CONNECT. */
  base?: Record<string, unknown>;
}

export const RAW_CONNECT = {
  verbose: false,
  pedantic: false,
  protocol: 1,
  headers: true,
  no_responders: true,
  lang: "raw",
  version: "0.0.0",
};

/** Only what a CONNECT needs: for tests of limits a short control line matters. */
export const MINIMAL_CONNECT = { verbose: false, pedantic: false, headers: true };

export class RawClient {
  /** The server's INFO. */
  info: Record<string, unknown> = {};
  /** Bytes received so far (all of them, even when the text keeps only head and tail). */
  bytes = 0;
  isClosed = false;
  readonly closed: Promise<void>;

  private head = "";
  private tail = "";
  private queue: Uint8Array[] = [];
  private socket: Bun.Socket<undefined> | undefined;
  private markAt = 0;
  private waiters = new Set<() => void>();
  private resolveClosed!: () => void;
  private base: Record<string, unknown> = RAW_CONNECT;

  private constructor() {
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
  }

  /** Connects, reads the INFO and (unless `connect: false`) sends CONNECT and PING. */
  static async open(port: number, options: RawOptions = {}): Promise<RawClient> {
    const raw = await RawClient.openRaw(port, options.base);
    await raw.waitFor(/^INFO (.*)\r\n/, 3000, "the server's INFO");
    const match = /^INFO (.*)\r\n/.exec(raw.text);
    raw.info = JSON.parse(match?.[1] ?? "{}") as Record<string, unknown>;
    const connect = options.connect ?? true;
    if (connect !== false) {
      const nonce = String(raw.info.nonce ?? "");
      const fields =
        connect === true ? {} : typeof connect === "function" ? connect(nonce) : connect;
      await raw.connect(fields);
    }
    raw.mark();
    return raw;
  }

  /** Connects without waiting for anything (to speak something else than NATS first). */
  static async openRaw(
    port: number,
    base: Record<string, unknown> = RAW_CONNECT,
  ): Promise<RawClient> {
    const raw = new RawClient();
    raw.base = base;
    raw.socket = await Bun.connect({
      hostname: HOST,
      port,
      socket: {
        data: (_socket, data) => raw.onData(data),
        drain: () => raw.flushQueue(),
        close: () => raw.onClose(),
        end: () => raw.onClose(),
        error: () => raw.onClose(),
      },
    });
    return raw;
  }

  /** Sends CONNECT (the base fields with these) and PING, and waits for the PONG. */
  async connect(fields: Record<string, unknown> = {}): Promise<void> {
    this.mark();
    this.write(`CONNECT ${JSON.stringify({ ...this.base, ...fields })}\r\nPING\r\n`);
    await this.waitFor(/PONG\r\n/, 3000, "the PONG after CONNECT");
    this.mark();
  }

  /** Everything received (head and tail only beyond 256 KiB). */
  get text(): string {
    return this.head + this.tail;
  }

  /** What was received since the last mark(). */
  get sinceMark(): string {
    return this.text.slice(this.markAt);
  }

  /** Starts sinceMark afresh. */
  mark(): void {
    this.markAt = this.text.length;
  }

  /** The -ERR lines received since the last mark(). */
  errLines(): string[] {
    return this.sinceMark.split("\r\n").filter((line) => line.startsWith("-ERR"));
  }

  write(data: string | Uint8Array): void {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    if (this.isClosed) return;
    this.queue.push(bytes);
    this.flushQueue();
  }

  /** Stops reading from the socket: the server sees TCP backpressure. */
  pause(): void {
    this.socket?.pause();
  }

  resume(): void {
    this.socket?.resume();
  }

  end(): void {
    this.socket?.end();
  }

  /** Resolves when the text received since the last mark() matches; rejects on timeout or close. */
  waitFor(
    pattern: RegExp | string | ((text: string) => boolean),
    timeoutMs = 3000,
    what = String(pattern),
  ): Promise<void> {
    const matches = () => {
      const text = this.sinceMark;
      if (typeof pattern === "string") return text.includes(pattern);
      if (pattern instanceof RegExp) return pattern.test(text);
      return pattern(text);
    };
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const check = () => {
        if (matches()) {
          done();
          resolve();
        } else if (this.isClosed) {
          done();
          reject(new Error(`closed before ${what}; received: ${this.describe()}`));
        }
      };
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `timed out (${timeoutMs} ms) waiting for ${what}; received: ${this.describe()}`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  /** Fails unless the server closes the connection within timeoutMs. */
  async expectClosed(timeoutMs = 3000): Promise<void> {
    if (!(await this.waitClosed(timeoutMs))) {
      throw new Error(`connection still open after ${timeoutMs} ms; received: ${this.describe()}`);
    }
  }

  /** True if the server closed the connection within timeoutMs. */
  async waitClosed(timeoutMs = 3000): Promise<boolean> {
    if (this.isClosed) return true;
    return Promise.race([this.closed.then(() => true), Bun.sleep(timeoutMs).then(() => false)]);
  }

  describe(): string {
    const text = this.sinceMark;
    const shown = text.length > 400 ? `${text.slice(0, 200)}…${text.slice(-200)}` : text;
    return JSON.stringify(shown) + (this.isClosed ? " (closed)" : " (open)");
  }

  private onData(data: Uint8Array): void {
    this.bytes += data.byteLength;
    const chunk = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("latin1");
    if (this.head.length < KEEP) {
      this.head += chunk;
    } else {
      this.tail = (this.tail + chunk).slice(-KEEP);
    }
    for (const check of [...this.waiters]) check();
  }

  private onClose(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.resolveClosed();
    for (const check of [...this.waiters]) check();
  }

  private flushQueue(): void {
    const socket = this.socket;
    if (socket === undefined) return;
    while (this.queue.length > 0) {
      const next = this.queue[0] as Uint8Array;
      const written = socket.write(next);
      if (written < 0) return;
      if (written < next.byteLength) {
        this.queue[0] = next.subarray(written);
        return;
      }
      this.queue.shift();
    }
  }
}
