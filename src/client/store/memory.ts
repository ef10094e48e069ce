import { ClientStoreError, checkKey, checkValue } from "./errors";
import type { ClientStore } from "./types";

/**
 * A store that lives as long as the process: for tests and for clients that restore their
 * channel from the node on every start.
 *
 * @example
 * const store = new MemoryStore();
 * await store.set("channel", record);
 */
export class MemoryStore implements ClientStore {
  readonly #records = new Map<string, string>();
  #closed = false;

  async get(key: string): Promise<string | undefined> {
    this.#check(key);
    return this.#records.get(key);
  }

  async set(key: string, value: string): Promise<void> {
    this.#check(key);
    checkValue(value);
    this.#records.set(key, value);
  }

  async delete(key: string): Promise<void> {
    this.#check(key);
    this.#records.delete(key);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #check(key: string): void {
    if (this.#closed) throw new ClientStoreError("STORE_CLOSED", "the memory store is closed");
    checkKey(key);
  }
}
