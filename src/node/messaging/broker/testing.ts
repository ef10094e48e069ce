/**
 * Test helper: a raw TCP client speaking the NATS protocol by hand, for what the official
 * clients never do (malformed input, ignoring PINGs, not reading).
 */

export class RawClient {
  /** Everything received, as latin1 text. */
  text = "";
  isClosed = false;
  readonly closed: Promise<void>;
  private socket: Bun.Socket<undefined> | undefined;
  private waiters: (() => void)[] = [];
  private markAt = 0;
  private onClosed!: () => void;

  private constructor() {
    this.closed = new Promise((resolve) => {
      this.onClosed = resolve;
    });
  }

  /** Connects and waits for INFO. */
  static async open(port: number): Promise<RawClient> {
    const raw = await RawClient.openRaw(port);
    await raw.waitFor("\r\n");
    return raw;
  }

  /** Connects without waiting for anything (e.g. to speak HTTP first). */
  static async openRaw(port: number): Promise<RawClient> {
    const raw = new RawClient();
    raw.socket = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        data: (_socket, data) => raw.received(data),
        close: () => raw.ended(),
        end: () => raw.ended(),
        error: () => raw.ended(),
      },
    });
    return raw;
  }

  /** The INFO the server sent first. */
  get info(): Record<string, unknown> {
    const match = /^INFO (.*) \r\n/.exec(this.text);
    return JSON.parse(match?.[1] ?? "{}") as Record<string, unknown>;
  }

  /** What arrived since the last `mark()`. */
  get sinceMark(): string {
    return this.text.slice(this.markAt);
  }

  mark(): void {
    this.markAt = this.text.length;
  }

  write(data: string | Uint8Array): void {
    const bytes = typeof data === "string" ? Buffer.from(data, "latin1") : data;
    this.socket?.write(bytes);
  }

  /** Sends CONNECT (with these fields) and PING, and waits for the PONG. */
  async connect(fields: Record<string, unknown> = {}): Promise<void> {
    const connect = { verbose: false, pedantic: false, headers: true, ...fields };
    this.mark();
    this.write(`CONNECT ${JSON.stringify(connect)}\r\nPING\r\n`);
    await this.waitFor("PONG\r\n");
    this.mark();
  }

  /** Waits until what arrived since the mark contains `pattern`. */
  async waitFor(pattern: string | RegExp, timeoutMs = 3000): Promise<void> {
    const found = () =>
      typeof pattern === "string" ? this.sinceMark.includes(pattern) : pattern.test(this.sinceMark);
    const deadline = Date.now() + timeoutMs;
    while (!found()) {
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${pattern}; got ${JSON.stringify(this.sinceMark)}`);
      }
      if (this.isClosed)
        throw new Error(`closed before ${pattern}; got ${JSON.stringify(this.sinceMark)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 20);
      });
    }
  }

  /** Waits for the server to close the connection. */
  async waitClosed(timeoutMs = 3000): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("connection still open")), timeoutMs);
    });
    await Promise.race([this.closed, timeout]).finally(() => clearTimeout(timer));
  }

  /** Stops reading from the socket (the server's writes back up). */
  pause(): void {
    this.socket?.pause();
  }

  resume(): void {
    this.socket?.resume();
  }

  close(): void {
    this.socket?.end();
  }

  private received(data: Uint8Array): void {
    this.text += Buffer.from(data).toString("latin1");
    this.wake();
  }

  private ended(): void {
    this.isClosed = true;
    this.onClosed();
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
