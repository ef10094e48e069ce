import { Database } from "bun:sqlite";
import { ClientStoreError, checkKey, checkValue } from "./errors";
import type { ClientStore } from "./types";

/**
 * A store in one SQLite file, for Bun only (`bun:sqlite`). WAL journal with full sync: a
 * write is on disk when `set` resolves, and each write is one transaction, so a crash leaves
 * the old value or the new one.
 *
 * @example
 * const store = new SqliteStore("./connext.sqlite");
 * await store.set("channel", record);
 * await store.close();
 */
export class SqliteStore implements ClientStore {
  readonly path: string;
  readonly #db: Database;
  readonly #select;
  readonly #upsert;
  readonly #remove;
  #closed = false;

  /** Opens (or creates) the database at `path`; `":memory:"` for a throwaway one. */
  constructor(path: string) {
    this.path = path;
    try {
      this.#db = new Database(path, { create: true, strict: true });
      this.#db.run("PRAGMA journal_mode = WAL");
      // NORMAL would lose the last commits on power loss; an acknowledged state must stay.
      this.#db.run("PRAGMA synchronous = FULL");
      this.#db.run("PRAGMA busy_timeout = 5000");
      this.#db.run(
        "CREATE TABLE IF NOT EXISTS client_records (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID",
      );
    } catch (cause) {
      throw new ClientStoreError("STORE_FAILED", `opening ${path} failed: ${message(cause)}`, {
        cause,
      });
    }
    this.#select = this.#db.query<{ value: string }, [string]>(
      "SELECT value FROM client_records WHERE key = ?",
    );
    this.#upsert = this.#db.query<unknown, [string, string]>(
      "INSERT INTO client_records (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    );
    this.#remove = this.#db.query<unknown, [string]>("DELETE FROM client_records WHERE key = ?");
  }

  async get(key: string): Promise<string | undefined> {
    this.#check(key);
    return this.#run("reading", () => this.#select.get(key)?.value);
  }

  async set(key: string, value: string): Promise<void> {
    this.#check(key);
    checkValue(value);
    this.#run("writing", () => this.#upsert.run(key, value));
  }

  async delete(key: string): Promise<void> {
    this.#check(key);
    this.#run("deleting", () => this.#remove.run(key));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#select.finalize();
    this.#upsert.finalize();
    this.#remove.finalize();
    this.#db.close();
  }

  #run<T>(what: string, run: () => T): T {
    try {
      return run();
    } catch (cause) {
      throw new ClientStoreError("STORE_FAILED", `${what} ${this.path} failed: ${message(cause)}`, {
        cause,
      });
    }
  }

  #check(key: string): void {
    if (this.#closed) {
      throw new ClientStoreError("STORE_CLOSED", `the SQLite store ${this.path} is closed`);
    }
    checkKey(key);
  }
}

function message(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
