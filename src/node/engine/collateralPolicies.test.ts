import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { CollateralSettingsRepository } from "../store/collateralSettings";
import { type Database, openDatabase } from "../store/database";
import { collateralSettings } from "../store/schema";
import { CollateralPolicies, CollateralPolicyError } from "./collateralPolicies";

const ETH = "0x0000000000000000000000000000000000000000";
const TOKEN = "0xaAaAaAaaAaAaAaaAaAAAAAAAAaaaAaAaAaaAaaAa";
const token = TOKEN.toLowerCase();
const OTHER = "0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const DEFAULTS = {
  [ETH]: { target: 100n, reclaimThreshold: 500n },
  [token]: { target: 1_000n, reclaimThreshold: 5_000n },
};

async function rejection(work: Promise<unknown>): Promise<CollateralPolicyError> {
  try {
    await work;
  } catch (error) {
    expect(error).toBeInstanceOf(CollateralPolicyError);
    return error as CollateralPolicyError;
  }
  throw new Error("expected a rejection");
}

describe("CollateralPolicies over PGlite", () => {
  let database: Database;
  let repository: CollateralSettingsRepository;

  beforeEach(async () => {
    database = await openDatabase();
    repository = new CollateralSettingsRepository(database.db);
  });
  afterEach(async () => {
    await database.close();
  });

  test("load: the configured defaults overlaid by the stored policies, keys lowercase", async () => {
    await repository.set(TOKEN, { target: 7n, reclaimThreshold: 70n });
    await repository.set(OTHER, { target: 0n, reclaimThreshold: 0n });
    const policies = await CollateralPolicies.load(repository, {
      ...DEFAULTS,
      [TOKEN]: { target: 1_000n, reclaimThreshold: 5_000n },
    });
    expect(policies.asRecord()).toEqual({
      [ETH]: { target: 100n, reclaimThreshold: 500n },
      [token]: { target: 7n, reclaimThreshold: 70n },
      [OTHER]: { target: 0n, reclaimThreshold: 0n },
    });
    expect(policies.assets()).toEqual([ETH, token, OTHER]);
    expect(policies.entries()).toEqual([
      [ETH, { target: 100n, reclaimThreshold: 500n }],
      [token, { target: 7n, reclaimThreshold: 70n }],
      [OTHER, { target: 0n, reclaimThreshold: 0n }],
    ]);
    expect(policies.get(TOKEN)).toEqual({ target: 7n, reclaimThreshold: 70n });
    expect(policies.get(token)).toEqual({ target: 7n, reclaimThreshold: 70n });
    expect(policies.get("0x1111111111111111111111111111111111111111")).toBeUndefined();
    expect(policies.get("toString")).toBeUndefined();
  });

  test("set writes through: the live record changes in place and a restart sees it", async () => {
    const policies = await CollateralPolicies.load(repository, DEFAULTS);
    const record = policies.asRecord();
    const before = record[ETH];

    await policies.set(ETH, { target: 200n, reclaimThreshold: 200n });
    await policies.set(OTHER.toUpperCase().replace("0X", "0x"), {
      target: 1n,
      reclaimThreshold: 2n,
    });
    expect(policies.asRecord()).toBe(record);
    expect(record[ETH]).toEqual({ target: 200n, reclaimThreshold: 200n });
    expect(record[OTHER]).toEqual({ target: 1n, reclaimThreshold: 2n });
    // A policy is replaced whole: whoever read the old one still has a consistent pair.
    expect(before).toEqual({ target: 100n, reclaimThreshold: 500n });
    expect(Object.isFrozen(record[ETH])).toBe(true);

    expect(await repository.list()).toEqual({
      [ETH]: { target: 200n, reclaimThreshold: 200n },
      [OTHER]: { target: 1n, reclaimThreshold: 2n },
    });
    const restarted = await CollateralPolicies.load(repository, DEFAULTS);
    expect(restarted.asRecord()).toEqual(record);
  });

  test("remove: back to the configured default, or gone; durable either way", async () => {
    const policies = await CollateralPolicies.load(repository, DEFAULTS);
    const record = policies.asRecord();
    await policies.set(TOKEN, { target: 9n, reclaimThreshold: 9n });
    await policies.set(OTHER, { target: 1n, reclaimThreshold: 1n });

    expect(await policies.remove(TOKEN)).toEqual(DEFAULTS[token]);
    expect(record[token]).toEqual(DEFAULTS[token]);
    expect(await policies.remove(OTHER)).toBeUndefined();
    expect(OTHER in record).toBe(false);
    expect(policies.assets()).toEqual([ETH, token]);
    // Nothing stored: a no-op, not an error.
    expect(await policies.remove(OTHER)).toBeUndefined();
    expect(await policies.remove(ETH)).toEqual(DEFAULTS[ETH]);

    expect(await repository.list()).toEqual({});
    const restarted = await CollateralPolicies.load(repository, DEFAULTS);
    expect(restarted.asRecord()).toEqual(record);
  });

  test("invalid assets and policies: typed errors, nothing stored or changed", async () => {
    const policies = await CollateralPolicies.load(repository, DEFAULTS);
    const snapshot = { ...policies.asRecord() };
    const cases: [string, { target: bigint; reclaimThreshold: bigint }, string][] = [
      ["0x1234", { target: 1n, reclaimThreshold: 1n }, "INVALID_ASSET"],
      ["ETH", { target: 1n, reclaimThreshold: 1n }, "INVALID_ASSET"],
      [`0x${"g".repeat(40)}`, { target: 1n, reclaimThreshold: 1n }, "INVALID_ASSET"],
      [TOKEN.replace("aAaA", "AaAa"), { target: 1n, reclaimThreshold: 1n }, "INVALID_ASSET"],
      [ETH, { target: -1n, reclaimThreshold: 1n }, "INVALID_AMOUNT"],
      [ETH, { target: 1n, reclaimThreshold: 2n ** 256n }, "INVALID_AMOUNT"],
      [ETH, { target: 1, reclaimThreshold: 2n } as never, "INVALID_AMOUNT"],
      [ETH, { target: 10n, reclaimThreshold: 9n }, "RECLAIM_BELOW_TARGET"],
    ];
    for (const [asset, policy, code] of cases) {
      expect((await rejection(policies.set(asset, policy))).code).toBe(code as never);
    }
    expect((await rejection(policies.remove("0x12"))).code).toBe("INVALID_ASSET");
    expect(policies.asRecord()).toEqual(snapshot);
    expect(await repository.list()).toEqual({});

    // The edges are fine.
    await policies.set(ETH, { target: 0n, reclaimThreshold: 2n ** 256n - 1n });
    expect(policies.get(ETH)).toEqual({ target: 0n, reclaimThreshold: 2n ** 256n - 1n });
  });

  test("load refuses invalid defaults and invalid stored rows", async () => {
    const bad = await rejection(
      CollateralPolicies.load(repository, { [ETH]: { target: 5n, reclaimThreshold: 1n } }),
    );
    expect(bad.code).toBe("RECLAIM_BELOW_TARGET");
    expect(bad.message).toStartWith("configured policy:");

    await database.db
      .insert(collateralSettings)
      .values({ assetId: "not-an-address", target: "1", threshold: "1", reclaimThreshold: "1" });
    const stored = await rejection(CollateralPolicies.load(repository, DEFAULTS));
    expect(stored.code).toBe("INVALID_ASSET");
    expect(stored.message).toStartWith("stored policy:");
  });

  test("a store failure leaves memory as it was", async () => {
    const policies = await CollateralPolicies.load(repository, DEFAULTS);
    const snapshot = { ...policies.asRecord() };
    await database.close();
    await expect(policies.set(ETH, { target: 1n, reclaimThreshold: 1n })).rejects.toThrow();
    await expect(policies.remove(TOKEN)).rejects.toThrow();
    expect(policies.asRecord()).toEqual(snapshot);
    database = await openDatabase(); // for afterEach
  });

  test("concurrent changes apply in call order, in memory as in the store", async () => {
    const policies = await CollateralPolicies.load(repository, DEFAULTS);
    const writes = Array.from({ length: 20 }, (_, i) =>
      policies.set(OTHER, { target: BigInt(i), reclaimThreshold: BigInt(i) }),
    );
    writes.push(policies.remove(OTHER).then(() => {}));
    writes.push(policies.set(OTHER, { target: 42n, reclaimThreshold: 43n }));
    await Promise.all(writes);
    expect(policies.get(OTHER)).toEqual({ target: 42n, reclaimThreshold: 43n });
    expect((await repository.list())[OTHER]).toEqual({ target: 42n, reclaimThreshold: 43n });
  });

  test("reload: another process's changes, applied in place", async () => {
    const policies = await CollateralPolicies.load(repository, DEFAULTS);
    const record = policies.asRecord();
    const elsewhere = await CollateralPolicies.load(repository, DEFAULTS);
    await elsewhere.set(OTHER, { target: 3n, reclaimThreshold: 4n });
    await elsewhere.set(ETH, { target: 1n, reclaimThreshold: 1n });
    expect(OTHER in record).toBe(false);

    await policies.reload();
    expect(record[OTHER]).toEqual({ target: 3n, reclaimThreshold: 4n });
    expect(record[ETH]).toEqual({ target: 1n, reclaimThreshold: 1n });

    await elsewhere.remove(OTHER);
    await elsewhere.remove(ETH);
    await policies.reload();
    expect(policies.asRecord()).toBe(record);
    expect(record).toEqual(DEFAULTS);
  });
});
