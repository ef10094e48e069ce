import { KeyedSerialQueue } from "../chain/serialQueue";
import type { CrossProcessLock } from "./channelLocks";

/**
 * Work that must not run twice at once across node processes (a collateral top-up, a dispute
 * advance) under a lease of its own key (DESIGN §3): renewed while the work runs, given back
 * after, lapsed when its holder dies. A lease belongs to a process, so works of one process
 * queue here first. Keys must not look like a channel's (those are channel locks): prefix them.
 */
export function crossProcessExclusive(
  lock: CrossProcessLock,
): <T>(key: string, work: () => Promise<T>) => Promise<T> {
  const local = new KeyedSerialQueue();
  return (key, work) =>
    local.run(key, async () => {
      const hold = await lock(key);
      try {
        return await work();
      } finally {
        await hold.release();
      }
    });
}
