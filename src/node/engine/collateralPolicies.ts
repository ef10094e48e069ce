import { getAddress } from "ethers";
import type { CollateralPolicy } from "../settings";

export const COLLATERAL_POLICY_ERROR_CODES = [
  /** Not a 20-byte 0x address (or a mixed-case one with a bad checksum). */
  "INVALID_ASSET",
  /** An amount that is not a bigint from 0 to 2^256 - 1. */
  "INVALID_AMOUNT",
  /** Reclaiming below the target would withdraw collateral the next top-up deposits again. */
  "RECLAIM_BELOW_TARGET",
] as const;

export type CollateralPolicyErrorCode = (typeof COLLATERAL_POLICY_ERROR_CODES)[number];

/** A policy or asset refused by `CollateralPolicies`; nothing was stored or changed. */
export class CollateralPolicyError extends Error {
  override readonly name = "CollateralPolicyError";

  constructor(
    readonly code: CollateralPolicyErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Where runtime policies persist (`CollateralSettingsRepository`); keys are lowercase. */
export interface CollateralPolicyStore {
  list(): Promise<Record<string, CollateralPolicy>>;
  set(assetId: string, policy: CollateralPolicy): Promise<void>;
  remove(assetId: string): Promise<unknown>;
}

const MAX_UINT256 = 2n ** 256n - 1n;

/**
 * The node's collateral policies, changeable while it runs: the configured defaults overlaid
 * by what the operator stored (the admin API). `asRecord()` is one live object, keyed by
 * lowercase asset, that every change updates in place, so the engine can hold it as its plain
 * `Record<asset, CollateralPolicy>` and see changes without being told. Each policy object is
 * frozen and replaced whole, never edited, so a reader that took one sees a consistent pair.
 *
 * Changes are written to the store first and applied in memory after, one at a time, in order:
 * memory never holds a policy the store refused. Removing a stored policy falls back to the
 * configured default of that asset, if any (the configuration stays the source of defaults).
 *
 * @example
 * const policies = await CollateralPolicies.load(new CollateralSettingsRepository(db), settings.collateral);
 * const engine = new Engine({ ...options, collateral: policies.asRecord() });
 * await policies.set(token, { target: 1_000n, reclaimThreshold: 5_000n }); // the engine sees it now
 */
export class CollateralPolicies {
  private readonly live: Record<string, CollateralPolicy> = {};
  private readonly defaults: Readonly<Record<string, CollateralPolicy>>;
  /** The tail of the queue of changes; it never rejects. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly store: CollateralPolicyStore,
    defaults: Record<string, CollateralPolicy>,
  ) {
    this.defaults = Object.freeze(normalizeAll(defaults, "configured"));
  }

  /** The defaults overlaid by the stored policies; throws if either holds an invalid policy. */
  static async load(
    store: CollateralPolicyStore,
    defaults: Record<string, CollateralPolicy> = {},
  ): Promise<CollateralPolicies> {
    const policies = new CollateralPolicies(store, defaults);
    await policies.reload();
    return policies;
  }

  /**
   * Reads the stored policies again (another process changed them) and applies them over the
   * defaults, in place.
   */
  reload(): Promise<void> {
    return this.serially(async () => {
      const next = { ...this.defaults, ...normalizeAll(await this.store.list(), "stored") };
      for (const asset of Object.keys(this.live)) {
        if (!(asset in next)) delete this.live[asset];
      }
      Object.assign(this.live, next);
    });
  }

  /** The policy of an asset (any case), or undefined when the node does not carry it. */
  get(assetId: string): CollateralPolicy | undefined {
    return Object.hasOwn(this.live, assetId.toLowerCase())
      ? this.live[assetId.toLowerCase()]
      : undefined;
  }

  /** The assets the node carries, lowercase, sorted. */
  assets(): string[] {
    return Object.keys(this.live).sort();
  }

  /** `[asset, policy]` pairs, assets lowercase and sorted. */
  entries(): [string, CollateralPolicy][] {
    return this.assets().map((asset) => [asset, this.live[asset] as CollateralPolicy]);
  }

  /** The live object itself, for consumers that take a plain record; do not write to it. */
  asRecord(): Readonly<Record<string, CollateralPolicy>> {
    return this.live;
  }

  /** Validates, stores, then applies the policy of an asset (added or replaced). */
  async set(assetId: string, policy: CollateralPolicy): Promise<void> {
    const asset = normalizeAsset(assetId);
    const checked = normalizePolicy(policy, asset);
    return this.serially(async () => {
      await this.store.set(asset, checked);
      this.live[asset] = checked;
    });
  }

  /**
   * Deletes the stored policy of an asset; the asset then has its configured default again, or
   * no policy (the node stops carrying it). Returns the policy it has afterwards.
   */
  async remove(assetId: string): Promise<CollateralPolicy | undefined> {
    const asset = normalizeAsset(assetId);
    return this.serially(async () => {
      await this.store.remove(asset);
      const fallback = this.defaults[asset];
      if (fallback) this.live[asset] = fallback;
      else delete this.live[asset];
      return fallback;
    });
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => {});
    return run;
  }
}

function normalizeAll(
  policies: Record<string, CollateralPolicy>,
  origin: string,
): Record<string, CollateralPolicy> {
  const normalized: Record<string, CollateralPolicy> = {};
  for (const [assetId, policy] of Object.entries(policies)) {
    try {
      const asset = normalizeAsset(assetId);
      normalized[asset] = normalizePolicy(policy, asset);
    } catch (error) {
      if (error instanceof CollateralPolicyError) {
        throw new CollateralPolicyError(error.code, `${origin} policy: ${error.message}`);
      }
      throw error;
    }
  }
  return normalized;
}

function normalizeAsset(assetId: string): string {
  if (typeof assetId !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(assetId)) {
    throw new CollateralPolicyError("INVALID_ASSET", "an asset is 0x followed by 40 hex digits");
  }
  try {
    return getAddress(assetId).toLowerCase();
  } catch {
    throw new CollateralPolicyError("INVALID_ASSET", `bad checksum in asset ${assetId}`);
  }
}

function normalizePolicy(policy: CollateralPolicy, asset: string): CollateralPolicy {
  const target = amount(policy?.target, "target", asset);
  const reclaimThreshold = amount(policy?.reclaimThreshold, "reclaimThreshold", asset);
  if (reclaimThreshold < target) {
    throw new CollateralPolicyError(
      "RECLAIM_BELOW_TARGET",
      `${asset}: reclaimThreshold (${reclaimThreshold}) must be at least target (${target})`,
    );
  }
  return Object.freeze({ target, reclaimThreshold });
}

function amount(value: unknown, name: string, asset: string): bigint {
  if (typeof value !== "bigint" || value < 0n || value > MAX_UINT256) {
    throw new CollateralPolicyError(
      "INVALID_AMOUNT",
      `${asset}: ${name} must be an amount from 0 to 2^256 - 1`,
    );
  }
  return value;
}
