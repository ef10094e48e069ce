/**
 * Promises for outcomes that arrive on their own (a payment's completion, a withdrawal's
 * transaction). An outcome that arrives before anyone waits for it is kept for a while, so
 * a waiter registered late still gets it.
 */
export class Waiters<T> {
  private readonly waiting = new Map<string, ((value: T) => void)[]>();
  private readonly early = new Map<string, T>();

  constructor(private readonly keepEarly = 1000) {}

  /** Resolves with the outcome for `key`, or `onTimeout()` after `timeoutMs`. */
  wait(key: string, timeoutMs: number, onTimeout: () => T): Promise<T> {
    const arrived = this.early.get(key);
    if (arrived !== undefined) {
      this.early.delete(key);
      return Promise.resolve(arrived);
    }
    return new Promise<T>((resolve) => {
      const done = (value: T) => {
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => {
        this.remove(key, done);
        resolve(onTimeout());
      }, timeoutMs);
      const list = this.waiting.get(key) ?? [];
      list.push(done);
      this.waiting.set(key, list);
    });
  }

  /** Delivers an outcome to everyone waiting for `key`, or keeps it for a later waiter. */
  settle(key: string, value: T): void {
    const list = this.waiting.get(key);
    if (list) {
      this.waiting.delete(key);
      for (const done of list) done(value);
      return;
    }
    this.early.set(key, value);
    if (this.early.size > this.keepEarly) {
      const oldest = this.early.keys().next().value as string;
      this.early.delete(oldest);
    }
  }

  /**
   * Delivers `value` to those waiting for `key` now, and keeps nothing for later: for words
   * that only answer a waiter (a status that settles nothing).
   */
  answerWaiting(key: string, value: T): void {
    const list = this.waiting.get(key);
    if (!list) return;
    this.waiting.delete(key);
    for (const done of list) done(value);
  }

  private remove(key: string, done: (value: T) => void): void {
    const list = this.waiting.get(key)?.filter((d) => d !== done);
    if (list?.length) this.waiting.set(key, list);
    else this.waiting.delete(key);
  }
}
