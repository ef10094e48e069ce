import type { Sql } from "postgres";

/**
 * Settings changed through one node process reach every process on the database at once
 * (DESIGN §3): the changer publishes a topic after it stored the change, and each process
 * (the changer included) reads the setting again. Notices carry no value: the database is the
 * truth, a notice only says "read it again".
 */
export interface ChangeNotices {
  /** Tells every process that the settings of `topic` changed. */
  publish(topic: string): Promise<void>;
  /**
   * Calls `onChange` at every notice of `topic`, and whenever notices may have been missed
   * (the listening connection came back). Returns how to stop.
   */
  subscribe(topic: string, onChange: () => void): Promise<() => Promise<void>>;
}

/** The PostgreSQL channel every topic is sent on, as its payload. */
const CHANNEL = "connext_changes";

/** Through PostgreSQL's LISTEN/NOTIFY: postgres.js keeps one listening connection. */
export function postgresChangeNotices(client: Sql): ChangeNotices {
  return {
    async publish(topic) {
      await client.notify(CHANNEL, topic);
    },
    async subscribe(topic, onChange) {
      let first = true;
      const { unlisten } = await client.listen(
        CHANNEL,
        (payload) => {
          if (payload === topic) onChange();
        },
        () => {
          // Called at every (re)connection: after the first, notices may have been lost.
          if (!first) onChange();
          first = false;
        },
      );
      return unlisten;
    },
  };
}

/** One process alone on its database (PGlite): notices stay in the process. */
export function localChangeNotices(): ChangeNotices {
  const listeners = new Map<string, Set<() => void>>();
  return {
    async publish(topic) {
      for (const listener of listeners.get(topic) ?? []) listener();
    },
    async subscribe(topic, onChange) {
      const set = listeners.get(topic) ?? new Set();
      listeners.set(topic, set);
      const listener = () => onChange();
      set.add(listener);
      return async () => {
        set.delete(listener);
      };
    },
  };
}
