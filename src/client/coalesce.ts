/**
 * `run`, with calls made while one runs sharing a single next one. The next one starts after
 * the running one ends, so it sees whatever the calls made meanwhile were told about: a
 * burst of calls costs two runs, not one each.
 *
 * @example
 * const sync = coalesced(() => syncWithNode());
 * await Promise.all([sync(), sync(), sync()]); // two syncs
 */
export function coalesced(run: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  let next: Promise<void> | undefined;
  const call = (): Promise<void> => {
    if (!running) {
      running = run().finally(() => {
        running = undefined;
      });
      return running;
    }
    next ??= running
      .catch(() => {})
      .then(() => {
        next = undefined;
        return call();
      });
    return next;
  };
  return call;
}
