/**
 * Per-channel serialisation (DESIGN §4.4: updates are strictly serial per channel). In process,
 * a promise chain per channel; across node processes sharing one PostgreSQL, the optional
 * `crossProcess` lock (an advisory lock) is taken inside it.
 */
export type CrossProcessLock = (key: string) => Promise<() => Promise<void>>;

export class ChannelLocks {
  private readonly tails = new Map<string, Promise<void>>();

  constructor(private readonly crossProcess?: CrossProcessLock) {}

  async run<T>(channelAddress: string, work: () => Promise<T>): Promise<T> {
    const key = channelAddress.toLowerCase();
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    try {
      if (!this.crossProcess) return await work();
      const unlock = await this.crossProcess(key);
      try {
        return await work();
      } finally {
        await unlock();
      }
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Channels with work queued or running now. */
  get busy(): number {
    return this.tails.size;
  }
}
