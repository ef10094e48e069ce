import type { CrossProcessLock } from "./channelLocks";

/**
 * Work that must not run in two node processes at once (a collateral top-up), under a lease of
 * its own key (DESIGN §3): renewed while the work runs, given back after, expired when its
 * holder dies. Keys must not look like a channel's (those are channel locks): prefix them.
 */
export function crossProcessExclusive(
  lock: CrossProcessLock,
): <T>(key: string, work: () => Promise<T>) => Promise<T> {
  return async (key, work) => {
    const hold = await lock(key);
    try {
      return await work();
    } finally {
      await hold.release();
    }
  };
}
