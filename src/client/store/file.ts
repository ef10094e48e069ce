import { createHash, randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, unlink } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { ClientStoreError, checkKey, checkValue } from "./errors";
import type { ClientStore } from "./types";

/**
 * A store of one JSON file per key in a directory, for Node and Bun. Each write goes to a
 * fresh temp file that is fsync'd and then renamed over the record, and the directory is
 * fsync'd after, so a crash leaves the old record or the new one, never a torn file.
 * Operations on one key run in the order they were called.
 *
 * Not for two processes at once: a client's channel has one writer.
 *
 * @example
 * const store = new FileStore("./connext-data");
 * await store.set(`channel:${channelAddress}`, encodeChannelRecord(record));
 */
export class FileStore implements ClientStore {
  readonly directory: string;
  readonly #queues = new Map<string, Promise<void>>();
  #ready: Promise<void> | undefined;
  #closed = false;

  constructor(directory: string) {
    this.directory = resolve(directory);
  }

  async get(key: string): Promise<string | undefined> {
    this.#check(key);
    return this.#serial(key, () => this.#read(key));
  }

  async set(key: string, value: string): Promise<void> {
    this.#check(key);
    checkValue(value);
    return this.#serial(key, () => this.#write(key, value));
  }

  async delete(key: string): Promise<void> {
    this.#check(key);
    return this.#serial(key, () => this.#remove(key));
  }

  /** Waits for the operations already started, then refuses new ones. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#queues.values());
  }

  async #read(key: string): Promise<string | undefined> {
    const path = join(this.directory, recordFileName(key));
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      if (errorCode(error) === "ENOENT") return undefined;
      throw failed(`reading ${path}`, error);
    }
    return parseRecordFile(text, key, path);
  }

  async #write(key: string, value: string): Promise<void> {
    await this.#ensureDirectory();
    const name = recordFileName(key);
    const path = join(this.directory, name);
    // A dot name and a .tmp suffix: never read as a record, whatever happens to it.
    const temp = join(this.directory, `.${name}.${randomBytes(8).toString("hex")}.tmp`);
    try {
      const handle = await open(temp, "wx", 0o600);
      try {
        await handle.writeFile(JSON.stringify({ key, value }), "utf8");
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, path);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw failed(`writing ${path}`, error);
    }
    await syncDirectory(this.directory);
  }

  async #remove(key: string): Promise<void> {
    const path = join(this.directory, recordFileName(key));
    try {
      await unlink(path);
    } catch (error) {
      if (errorCode(error) === "ENOENT") return;
      throw failed(`deleting ${path}`, error);
    }
    await syncDirectory(this.directory);
  }

  #ensureDirectory(): Promise<void> {
    this.#ready ??= (async () => {
      try {
        const created = await mkdir(this.directory, { recursive: true, mode: 0o700 });
        // A new directory's own entry must survive a crash too.
        if (created !== undefined) await syncDirectory(dirname(this.directory));
      } catch (error) {
        this.#ready = undefined;
        throw failed(`creating ${this.directory}`, error);
      }
    })();
    return this.#ready;
  }

  /** Runs `run` after every earlier operation on `key` has settled. */
  #serial<T>(key: string, run: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(key) ?? Promise.resolve();
    const result = previous.then(run);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#queues.set(key, tail);
    void tail.then(() => {
      if (this.#queues.get(key) === tail) this.#queues.delete(key);
    });
    return result;
  }

  #check(key: string): void {
    if (this.#closed) {
      throw new ClientStoreError("STORE_CLOSED", `the file store in ${this.directory} is closed`);
    }
    checkKey(key);
  }
}

/**
 * The file that holds `key`: a readable slug of the key plus a hash of it. Only lowercase
 * letters, digits, `_` and `-` appear, so no key can leave the directory, and two keys that
 * differ only in case stay apart on case-insensitive file systems.
 */
export function recordFileName(key: string): string {
  checkKey(key);
  const slug = key
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, "_")
    .slice(0, 48);
  const hash = createHash("sha256").update(key, "utf8").digest("hex").slice(0, 32);
  return `${slug}-${hash}.json`;
}

function parseRecordFile(text: string, key: string, path: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new ClientStoreError("CORRUPT_RECORD", `${path} is not JSON`, { cause });
  }
  const record = parsed as { key?: unknown; value?: unknown } | null;
  if (typeof record?.value !== "string" || record.key !== key) {
    throw new ClientStoreError("CORRUPT_RECORD", `${path} does not hold the record of ${key}`, {
      context: { path },
    });
  }
  return record.value;
}

/** Makes renames and unlinks in `directory` durable. */
async function syncDirectory(directory: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(directory, "r");
    await handle.sync();
  } catch (error) {
    // Some platforms (Windows) cannot open or fsync a directory; the rename is still atomic.
    if (!UNSUPPORTED_DIRECTORY_SYNC.has(errorCode(error) ?? "")) {
      throw failed(`syncing ${directory}`, error);
    }
  } finally {
    await handle?.close();
  }
}

const UNSUPPORTED_DIRECTORY_SYNC = new Set(["EISDIR", "EPERM", "EINVAL", "EBADF", "ENOTSUP"]);

function errorCode(error: unknown): string | undefined {
  return (error as { code?: unknown } | null)?.code as string | undefined;
}

function failed(what: string, cause: unknown): ClientStoreError {
  if (cause instanceof ClientStoreError) return cause;
  return new ClientStoreError("STORE_FAILED", `${what} failed: ${(cause as Error).message}`, {
    cause,
  });
}
