/**
 * Chain reads shared per block. A read at a fixed block never changes, so its result is kept
 * (the last `capacity` of them) and every caller asking for the same thing at the same block
 * gets it without another RPC; the head block number is asked once for all concurrent callers.
 * A flood of requests that each read the chain (a user's syncs) then costs one head read per
 * round trip, not a handful of RPC calls per request.
 */
export class BlockReads {
  private head: Promise<number> | undefined;
  private readonly results = new Map<string, Promise<unknown>>();

  constructor(
    private readonly readHead: () => Promise<number>,
    private readonly capacity = 1024,
  ) {}

  /** The head block number: one RPC shared by everyone who asks while it is in flight. */
  headBlock(): Promise<number> {
    if (!this.head) {
      const pending = this.readHead();
      this.head = pending;
      const clear = () => {
        if (this.head === pending) this.head = undefined;
      };
      pending.then(clear, clear);
    }
    return this.head;
  }

  /** `read()` at `block`, once per key and block; a failed read is not kept. */
  at<T>(key: string, block: number, read: () => Promise<T>): Promise<T> {
    const id = `${block}:${key}`;
    const known = this.results.get(id);
    if (known) {
      // Most recently used last.
      this.results.delete(id);
      this.results.set(id, known);
      return known as Promise<T>;
    }
    const pending = read();
    this.results.set(id, pending);
    pending.catch(() => {
      if (this.results.get(id) === pending) this.results.delete(id);
    });
    if (this.results.size > this.capacity) {
      this.results.delete(this.results.keys().next().value as string);
    }
    return pending;
  }
}
