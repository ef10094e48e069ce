/**
 * Where the client keeps its channel between runs (DESIGN §4.4: nothing is acknowledged that
 * was not stored). Values are opaque strings; the channel record codec gives them meaning.
 */
export interface ClientStore {
  /** The saved record for `key`, or undefined. */
  get(key: string): Promise<string | undefined>;
  /** Replaces the record atomically: after a crash, either the old or the new value is there, never a torn one. */
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
  close?(): Promise<void>;
}
