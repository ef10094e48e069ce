import type { Sql } from "postgres";

/**
 * A session-level PostgreSQL advisory lock per key, held on a reserved connection for as long
 * as the caller works: two node processes on one database cannot interleave a channel
 * (DESIGN §3, scale-out). Keys hash with `hashtextextended` into the 64-bit lock space.
 *
 * At most `maxHeld` locks are held at once, so reserved connections never take the whole
 * pool: the work done under a lock needs connections of its own.
 */
export function postgresAdvisoryLock(
  client: Sql,
  maxHeld: number,
): (key: string) => Promise<() => Promise<void>> {
  let held = 0;
  const waiting: (() => void)[] = [];
  const acquireSlot = async () => {
    while (held >= maxHeld) await new Promise<void>((resolve) => waiting.push(resolve));
    held++;
  };
  const releaseSlot = () => {
    held--;
    waiting.shift()?.();
  };

  return async (key) => {
    await acquireSlot();
    let connection: Awaited<ReturnType<Sql["reserve"]>>;
    try {
      connection = await client.reserve();
    } catch (error) {
      releaseSlot();
      throw error;
    }
    try {
      await connection`select pg_advisory_lock(hashtextextended(${key}, 0))`;
    } catch (error) {
      connection.release();
      releaseSlot();
      throw error;
    }
    return async () => {
      try {
        await connection`select pg_advisory_unlock(hashtextextended(${key}, 0))`;
      } finally {
        connection.release();
        releaseSlot();
      }
    };
  };
}
