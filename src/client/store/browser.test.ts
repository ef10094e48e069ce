import { describe, expect, test } from "bun:test";
import { BrowserStore, type KeyValueStorage } from "./browser";
import { describeClientStore, expectStoreError } from "./testing/conformance";

/**
 * Bun has no IndexedDB, so these tests run BrowserStore through its localStorage fallback,
 * with a small object of localStorage's shape standing in for the browser's. The IndexedDB
 * path needs a browser (or an IndexedDB implementation) to be exercised.
 */
class TestLocalStorage implements KeyValueStorage {
  readonly items = new Map<string, string>();
  quota = Number.POSITIVE_INFINITY;

  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }

  setItem(key: string, value: string): void {
    // localStorage stores strings and throws QuotaExceededError when full.
    if (value.length > this.quota)
      throw new Error("QuotaExceededError: the quota has been exceeded");
    this.items.set(key, String(value));
  }

  removeItem(key: string): void {
    this.items.delete(key);
  }
}

describeClientStore(
  "BrowserStore (localStorage fallback)",
  async () => new BrowserStore({ localStorage: new TestLocalStorage() }),
);

describe("BrowserStore", () => {
  test("picks localStorage where there is no IndexedDB, and says so", () => {
    const store = new BrowserStore({ localStorage: new TestLocalStorage() });
    expect(store.backend).toBe("localstorage");
  });

  test("prefixes keys with its name, so two stores share one localStorage", async () => {
    const storage = new TestLocalStorage();
    const wallet = new BrowserStore({ name: "wallet", localStorage: storage });
    const other = new BrowserStore({ name: "other", localStorage: storage });
    await wallet.set("channel", "A");
    await other.set("channel", "B");
    expect(await wallet.get("channel")).toBe("A");
    expect(await other.get("channel")).toBe("B");
    expect([...storage.items.keys()].sort()).toEqual(["other:channel", "wallet:channel"]);

    // A new store over the same storage (a page reload) reads what was there.
    expect(await new BrowserStore({ name: "wallet", localStorage: storage }).get("channel")).toBe(
      "A",
    );
  });

  test("a full quota is STORE_FAILED and keeps the previous value", async () => {
    const storage = new TestLocalStorage();
    const store = new BrowserStore({ localStorage: storage });
    await store.set("channel", "small");
    storage.quota = 10;
    await expectStoreError(() => store.set("channel", "x".repeat(11)), "STORE_FAILED");
    expect(await store.get("channel")).toBe("small");
  });

  test("no IndexedDB and no localStorage is STORE_UNAVAILABLE", async () => {
    expect(typeof (globalThis as { indexedDB?: unknown }).indexedDB).toBe("undefined");
    expect(typeof (globalThis as { localStorage?: unknown }).localStorage).toBe("undefined");
    await expectStoreError(async () => new BrowserStore(), "STORE_UNAVAILABLE");
  });
});
