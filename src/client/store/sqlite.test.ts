import { afterAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "./sqlite";
import { describeClientStore, expectStoreError } from "./testing/conformance";

const root = await mkdtemp(join(tmpdir(), "connext-sqlite-store-"));
let files = 0;
const freshPath = () => join(root, `store-${++files}.sqlite`);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describeClientStore("SqliteStore", async () => new SqliteStore(freshPath()));

describe("SqliteStore on disk", () => {
  test("records survive re-opening the file", async () => {
    const path = freshPath();
    const first = new SqliteStore(path);
    await first.set("channel:0xAb", "signed state 7");
    await first.set("other", "gone");
    await first.delete("other");
    await first.close();

    const second = new SqliteStore(path);
    expect(await second.get("channel:0xAb")).toBe("signed state 7");
    expect(await second.get("other")).toBeUndefined();
    await second.close();
  });

  test("uses the WAL journal with full sync", async () => {
    const path = freshPath();
    const store = new SqliteStore(path);
    await store.set("k", "v");
    const { Database } = await import("bun:sqlite");
    const db = new Database(path, { readonly: true });
    expect(db.query<{ journal_mode: string }, []>("PRAGMA journal_mode").get()?.journal_mode).toBe(
      "wal",
    );
    expect(db.query<{ value: string }, []>("SELECT value FROM client_records").get()?.value).toBe(
      "v",
    );
    db.close();
    await store.close();
    await store.close(); // closing twice is harmless
  });

  test("a path that cannot be opened is STORE_FAILED", async () => {
    await expectStoreError(
      async () => new SqliteStore(join(root, "missing-dir", "x.sqlite")),
      "STORE_FAILED",
    );
  });
});
