import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { ClientStoreError, type ClientStoreErrorCode, MAX_KEY_LENGTH } from "../errors";
import type { ClientStore } from "../types";

/** Expects `run` to reject with a ClientStoreError with `code`. */
export async function expectStoreError(
  run: () => Promise<unknown>,
  code: ClientStoreErrorCode,
): Promise<void> {
  let caught: unknown;
  try {
    await run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ClientStoreError);
  expect((caught as ClientStoreError).code).toBe(code);
}

/**
 * The behaviour every ClientStore shares, run against a fresh store from `open` per test.
 */
export function describeClientStore(name: string, open: () => Promise<ClientStore>): void {
  describe(`${name}: the ClientStore contract`, () => {
    let store: ClientStore;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close?.();
    });

    test("get of a missing key is undefined", async () => {
      expect(await store.get("nothing-here")).toBeUndefined();
    });

    test("set then get, overwrite, delete, delete again", async () => {
      await store.set("channel", '{"nonce":1}');
      expect(await store.get("channel")).toBe('{"nonce":1}');
      await store.set("channel", '{"nonce":2}');
      expect(await store.get("channel")).toBe('{"nonce":2}');
      await store.delete("channel");
      expect(await store.get("channel")).toBeUndefined();
      await store.delete("channel");
      expect(await store.get("channel")).toBeUndefined();
    });

    test("keys are independent, exact and case-sensitive", async () => {
      const keys = ["a", "A", "a/b", "a_b", "../a", "channel:0xAbC", "channel:0xabc", "ключ"];
      for (const [i, key] of keys.entries()) await store.set(key, `value ${i}`);
      for (const [i, key] of keys.entries()) expect(await store.get(key)).toBe(`value ${i}`);
      await store.delete("a");
      expect(await store.get("a")).toBeUndefined();
      expect(await store.get("A")).toBe("value 1");
    });

    test("values are kept byte for byte, the empty string and large ones too", async () => {
      const values = ["", " \n\t", "unicode ✓ 🔒 \u0000 end", "x".repeat(300_000)];
      for (const value of values) {
        await store.set("value", value);
        expect(await store.get("value")).toBe(value);
      }
    });

    test("writes issued together land in call order", async () => {
      await Promise.all(Array.from({ length: 20 }, (_, i) => store.set("racy", String(i))));
      expect(await store.get("racy")).toBe("19");
    });

    test("refuses empty and over-long keys and non-string values", async () => {
      await expectStoreError(() => store.set("", "x"), "INVALID_KEY");
      await expectStoreError(() => store.get("k".repeat(MAX_KEY_LENGTH + 1)), "INVALID_KEY");
      await expectStoreError(() => store.set("k", 42 as unknown as string), "INVALID_VALUE");
      expect(await store.get("k")).toBeUndefined();
    });

    test("a closed store refuses further use", async () => {
      await store.set("k", "v");
      if (!store.close) return;
      await store.close();
      await expectStoreError(() => store.get("k"), "STORE_CLOSED");
      await expectStoreError(() => store.set("k", "w"), "STORE_CLOSED");
    });
  });
}
