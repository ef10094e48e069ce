/**
 * Runs tasks one at a time in call order; a failed task does not stop the ones after it.
 *
 * @example
 * const queue = new SerialQueue();
 * const [a, b] = await Promise.all([queue.run(first), queue.run(second)]); // second starts after first
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T> | T): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/** One `SerialQueue` per key, dropped when idle so that keys do not accumulate. */
export class KeyedSerialQueue {
  private readonly queues = new Map<string, { queue: SerialQueue; waiting: number }>();

  run<T>(key: string, task: () => Promise<T> | T): Promise<T> {
    let entry = this.queues.get(key);
    if (!entry) {
      entry = { queue: new SerialQueue(), waiting: 0 };
      this.queues.set(key, entry);
    }
    const current = entry;
    current.waiting += 1;
    return current.queue.run(task).finally(() => {
      current.waiting -= 1;
      if (current.waiting === 0) this.queues.delete(key);
    });
  }

  /** Keys with a task queued or running. */
  get size(): number {
    return this.queues.size;
  }
}
