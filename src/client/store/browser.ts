import { ClientStoreError, checkKey, checkValue } from "./errors";
import type { ClientStore } from "./types";

/** The part of the Web Storage API (localStorage) the fallback uses. */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface BrowserStoreOptions {
  /** IndexedDB database name, or the key prefix in localStorage. Defaults to "connext". */
  name?: string;
  /** Defaults to `globalThis.indexedDB`. */
  indexedDB?: IDBFactory;
  /** Used when there is no IndexedDB; defaults to `globalThis.localStorage`. */
  localStorage?: KeyValueStorage;
}

const OBJECT_STORE = "records";

/**
 * A store for browsers: IndexedDB, or localStorage where IndexedDB is absent. IndexedDB
 * writes use strict durability and resolve once the transaction completes; localStorage
 * writes are synchronous and atomic per key.
 *
 * @example
 * const store = new BrowserStore({ name: "my-wallet" });
 * console.log(store.backend); // "indexeddb" in a browser
 */
export class BrowserStore implements ClientStore {
  readonly name: string;
  readonly backend: "indexeddb" | "localstorage";
  readonly #factory: IDBFactory | undefined;
  readonly #storage: KeyValueStorage | undefined;
  #db: Promise<IDBDatabase> | undefined;
  #closed = false;

  constructor(options: BrowserStoreOptions = {}) {
    this.name = options.name ?? "connext";
    // An explicit localStorage means the caller chose it.
    this.#factory = options.indexedDB ?? (options.localStorage ? undefined : globalIndexedDb());
    this.#storage = this.#factory ? undefined : (options.localStorage ?? globalLocalStorage());
    if (!this.#factory && !this.#storage) {
      throw new ClientStoreError(
        "STORE_UNAVAILABLE",
        "neither IndexedDB nor localStorage is available here: pass a store that is",
      );
    }
    this.backend = this.#factory ? "indexeddb" : "localstorage";
  }

  async get(key: string): Promise<string | undefined> {
    this.#check(key);
    if (this.#storage) {
      return this.#sync("reading", (s) => s.getItem(this.#storageKey(key)) ?? undefined);
    }
    const value = await this.#transact("readonly", (store) => store.get(key));
    if (value === undefined || typeof value === "string") return value;
    throw new ClientStoreError("CORRUPT_RECORD", `the record of ${key} is not a string`);
  }

  async set(key: string, value: string): Promise<void> {
    this.#check(key);
    checkValue(value);
    if (this.#storage) {
      this.#sync("writing", (s) => s.setItem(this.#storageKey(key), value));
      return;
    }
    await this.#transact("readwrite", (store) => store.put(value, key));
  }

  async delete(key: string): Promise<void> {
    this.#check(key);
    if (this.#storage) {
      this.#sync("deleting", (s) => s.removeItem(this.#storageKey(key)));
      return;
    }
    await this.#transact("readwrite", (store) => store.delete(key));
  }

  async close(): Promise<void> {
    this.#closed = true;
    const db = this.#db;
    this.#db = undefined;
    if (db) (await db.catch(() => undefined))?.close();
  }

  #storageKey(key: string): string {
    return `${this.name}:${key}`;
  }

  #sync<T>(what: string, run: (storage: KeyValueStorage) => T): T {
    try {
      return run(this.#storage as KeyValueStorage);
    } catch (cause) {
      // A full quota or a private window lands here.
      throw failed(`${what} localStorage`, cause);
    }
  }

  /** Runs one request in its own transaction; resolves when the transaction has committed. */
  async #transact<T>(
    mode: IDBTransactionMode,
    request: (store: IDBObjectStore) => IDBRequest<T>,
  ): Promise<T> {
    const db = await this.#open();
    return new Promise<T>((resolve, reject) => {
      let pending: IDBRequest<T>;
      try {
        const tx = db.transaction(OBJECT_STORE, mode, { durability: "strict" });
        pending = request(tx.objectStore(OBJECT_STORE));
        tx.oncomplete = () => resolve(pending.result);
        tx.onerror = () => reject(failed(`IndexedDB ${mode}`, tx.error ?? pending.error));
        tx.onabort = () => reject(failed(`IndexedDB ${mode}`, tx.error ?? "aborted"));
      } catch (cause) {
        reject(failed(`IndexedDB ${mode}`, cause));
      }
    });
  }

  #open(): Promise<IDBDatabase> {
    this.#db ??= openDatabase(this.#factory as IDBFactory, this.name).then(
      (db) => {
        // Let another tab upgrade, and reopen next time if the browser closed us.
        db.onversionchange = () => {
          db.close();
          this.#db = undefined;
        };
        db.onclose = () => {
          this.#db = undefined;
        };
        return db;
      },
      (cause) => {
        this.#db = undefined;
        throw failed(`opening IndexedDB ${this.name}`, cause);
      },
    );
    return this.#db;
  }

  #check(key: string): void {
    if (this.#closed)
      throw new ClientStoreError("STORE_CLOSED", `the store ${this.name} is closed`);
    checkKey(key);
  }
}

function openDatabase(factory: IDBFactory, name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = factory.open(name, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(OBJECT_STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function globalIndexedDb(): IDBFactory | undefined {
  try {
    return (globalThis as { indexedDB?: IDBFactory }).indexedDB ?? undefined;
  } catch {
    return undefined; // some sandboxed frames throw on access
  }
}

function globalLocalStorage(): KeyValueStorage | undefined {
  try {
    return (globalThis as { localStorage?: KeyValueStorage }).localStorage ?? undefined;
  } catch {
    return undefined;
  }
}

function failed(what: string, cause: unknown): ClientStoreError {
  const detail = (cause as { message?: unknown } | null)?.message ?? cause;
  return new ClientStoreError("STORE_FAILED", `${what} failed: ${String(detail)}`, { cause });
}
