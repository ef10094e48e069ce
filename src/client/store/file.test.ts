import { afterAll, describe, expect, test } from "bun:test";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileStore, recordFileName } from "./file";
import { describeClientStore, expectStoreError } from "./testing/conformance";

const root = await mkdtemp(join(tmpdir(), "connext-file-store-"));
let dirs = 0;
const freshDir = () => join(root, `store-${++dirs}`);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describeClientStore("FileStore", async () => new FileStore(freshDir()));

describe("FileStore on disk", () => {
  test("records survive re-opening the directory", async () => {
    const dir = freshDir();
    const first = new FileStore(dir);
    await first.set("channel:0xAb", "signed state 7");
    await first.set("other", "kept");
    await first.delete("other");
    await first.close();

    const second = new FileStore(dir);
    expect(await second.get("channel:0xAb")).toBe("signed state 7");
    expect(await second.get("other")).toBeUndefined();
  });

  test("one JSON file per key and no temp file left behind", async () => {
    const dir = freshDir();
    const store = new FileStore(dir);
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => store.set(`key-${i % 3}`, `value ${i}`)),
    );
    const files = (await readdir(dir)).sort();
    expect(files).toEqual(["key-0", "key-1", "key-2"].map(recordFileName).sort());
    expect(JSON.parse(await readFile(join(dir, recordFileName("key-0")), "utf8"))).toEqual({
      key: "key-0",
      value: "value 9",
    });
  });

  test("a crash mid-write (a torn temp file left over) keeps the previous record", async () => {
    const dir = freshDir();
    const store = new FileStore(dir);
    await store.set("channel", "nonce 4");
    // What a process killed between writing the temp file and renaming it leaves behind.
    const leftover = join(dir, `.${recordFileName("channel")}.0123456789abcdef.tmp`);
    await writeFile(leftover, '{"key":"channel","value":"nonce 5 but tor');

    const reopened = new FileStore(dir);
    expect(await reopened.get("channel")).toBe("nonce 4");
    await reopened.set("channel", "nonce 5");
    expect(await new FileStore(dir).get("channel")).toBe("nonce 5");
    expect(await readFile(leftover, "utf8")).toContain("tor"); // ignored, never read back
  });

  test("keys with / or .. cannot leave the directory", async () => {
    const parent = freshDir();
    const dir = join(parent, "inner");
    const store = new FileStore(dir);
    const keys = ["../escape", "../../escape", "/etc/passwd", "a/../../b", "..", ".", "\\..\\x"];
    for (const key of keys) await store.set(key, key);
    for (const key of keys) expect(await store.get(key)).toBe(key);

    expect(await readdir(parent)).toEqual(["inner"]);
    const files = await readdir(dir);
    expect(files).toHaveLength(keys.length);
    for (const file of files) expect(file).toMatch(/^[a-z0-9_-]*-[0-9a-f]{32}\.json$/);
  });

  test("a damaged or misplaced record file is CORRUPT_RECORD, not a value", async () => {
    const dir = freshDir();
    const store = new FileStore(dir);
    await store.set("a", "value of a");
    await store.set("b", "value of b");

    await writeFile(join(dir, recordFileName("a")), '{"key":"a","val');
    await expectStoreError(() => store.get("a"), "CORRUPT_RECORD");

    // b's file copied over a's place holds b's key: refused rather than returned as a's.
    await writeFile(join(dir, recordFileName("a")), await readFile(join(dir, recordFileName("b"))));
    await expectStoreError(() => store.get("a"), "CORRUPT_RECORD");
    expect(await store.get("b")).toBe("value of b");
  });

  test("an unusable directory is STORE_FAILED", async () => {
    const file = join(freshDir());
    await writeFile(file, "not a directory");
    const store = new FileStore(file);
    await expectStoreError(() => store.set("k", "v"), "STORE_FAILED");
    await expectStoreError(() => store.get("k"), "STORE_FAILED");
  });
});
