import { asc, eq, sql } from "drizzle-orm";
import type { CollateralPolicy } from "../settings";
import type { StoreDb } from "./database";
import { collateralSettings } from "./schema";

/**
 * Collateral policies the operator set at runtime (the admin API), one row per asset, keyed by
 * the lowercase asset address. They override the configured defaults (`CollateralPolicies`
 * overlays them). Callers validate policies; this only stores them. The table's `threshold`
 * column is not used by the engine (it tops up whenever a payment needs more than the node
 * holds) and is stored equal to `target`.
 *
 * @example
 * await settings.set("0x0000000000000000000000000000000000000000", { target: 10n, reclaimThreshold: 50n });
 * await settings.list(); // { "0x000…": { target: 10n, reclaimThreshold: 50n } }
 */
export class CollateralSettingsRepository {
  constructor(private readonly db: StoreDb) {}

  /** Every stored policy, keyed by lowercase asset address. */
  async list(): Promise<Record<string, CollateralPolicy>> {
    const rows = await this.db
      .select({
        assetId: collateralSettings.assetId,
        target: collateralSettings.target,
        reclaimThreshold: collateralSettings.reclaimThreshold,
      })
      .from(collateralSettings)
      .orderBy(asc(collateralSettings.assetId));
    const policies: Record<string, CollateralPolicy> = {};
    for (const row of rows) {
      policies[row.assetId] = {
        target: BigInt(row.target),
        reclaimThreshold: BigInt(row.reclaimThreshold),
      };
    }
    return policies;
  }

  /** Stores (or replaces) the policy of an asset. */
  async set(assetId: string, policy: CollateralPolicy): Promise<void> {
    const target = policy.target.toString(10);
    const reclaimThreshold = policy.reclaimThreshold.toString(10);
    await this.db
      .insert(collateralSettings)
      .values({ assetId: assetId.toLowerCase(), target, threshold: target, reclaimThreshold })
      .onConflictDoUpdate({
        target: collateralSettings.assetId,
        set: {
          target: sql`excluded.target`,
          threshold: sql`excluded.threshold`,
          reclaimThreshold: sql`excluded.reclaim_threshold`,
          updatedAt: sql`now()`,
        },
      });
  }

  /** Deletes the stored policy of an asset; false when there was none. */
  async remove(assetId: string): Promise<boolean> {
    const rows = await this.db
      .delete(collateralSettings)
      .where(eq(collateralSettings.assetId, assetId.toLowerCase()))
      .returning({ assetId: collateralSettings.assetId });
    return rows.length > 0;
  }
}
