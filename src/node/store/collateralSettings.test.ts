import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { CollateralSettingsRepository } from "./collateralSettings";
import { type Database, openDatabase } from "./database";
import { collateralSettings } from "./schema";

const ETH = "0x0000000000000000000000000000000000000000";
const TOKEN = "0xaAaAaAaaAaAaAaaAaAAAAAAAAaaaAaAaAaaAaaAa";
const MAX_UINT256 = 2n ** 256n - 1n;

describe("CollateralSettingsRepository on PGlite", () => {
  let database: Database;
  let repo: CollateralSettingsRepository;

  beforeEach(async () => {
    database = await openDatabase();
    repo = new CollateralSettingsRepository(database.db);
  });
  afterEach(async () => {
    await database.close();
  });

  test("empty at first; set stores a policy under the lowercase asset", async () => {
    expect(await repo.list()).toEqual({});
    await repo.set(TOKEN, { target: 1_000n, reclaimThreshold: 5_000n });
    await repo.set(ETH, { target: 10n ** 18n, reclaimThreshold: 5n * 10n ** 18n });
    expect(await repo.list()).toEqual({
      [ETH]: { target: 10n ** 18n, reclaimThreshold: 5n * 10n ** 18n },
      [TOKEN.toLowerCase()]: { target: 1_000n, reclaimThreshold: 5_000n },
    });
  });

  test("set replaces, whatever the case of the asset; threshold follows target", async () => {
    await repo.set(TOKEN, { target: 1n, reclaimThreshold: 2n });
    const [before] = await database.db.select().from(collateralSettings);
    await Bun.sleep(5);
    await repo.set(TOKEN.toLowerCase(), { target: 7n, reclaimThreshold: 9n });
    expect(await repo.list()).toEqual({
      [TOKEN.toLowerCase()]: { target: 7n, reclaimThreshold: 9n },
    });
    const rows = await database.db
      .select()
      .from(collateralSettings)
      .where(eq(collateralSettings.assetId, TOKEN.toLowerCase()));
    expect(rows).toHaveLength(1);
    expect(rows[0]?.threshold).toBe("7");
    expect(rows[0]?.updatedAt.getTime()).toBeGreaterThan(before?.updatedAt.getTime() as number);
  });

  test("uint256 amounts round-trip exactly", async () => {
    await repo.set(ETH, { target: MAX_UINT256 - 1n, reclaimThreshold: MAX_UINT256 });
    expect((await repo.list())[ETH]).toEqual({
      target: MAX_UINT256 - 1n,
      reclaimThreshold: MAX_UINT256,
    });
  });

  test("remove deletes one asset and says whether there was one", async () => {
    await repo.set(ETH, { target: 1n, reclaimThreshold: 1n });
    await repo.set(TOKEN, { target: 2n, reclaimThreshold: 2n });
    expect(await repo.remove(TOKEN)).toBe(true);
    expect(await repo.remove(TOKEN)).toBe(false);
    expect(await repo.list()).toEqual({ [ETH]: { target: 1n, reclaimThreshold: 1n } });
  });
});
