import type { Registry } from "prom-client";
import type { ReportRepository } from "../../store/reports";
import type { AdminCollateralPolicy, NodePublicConfig } from "../types";
import type { LatencyHistory } from "./latency";

/** What the operator's dashboard reads and changes (issue 14); the node wires it (node.ts). */
export interface DashboardDeps {
  /** The node's ADMIN_TOKEN: signing in takes it (compared in constant time). */
  adminToken: string;
  config(): NodePublicConfig;
  reports: ReportRepository;
  /** The node's Prometheus registry: update latency comes from its histogram. */
  registry: Registry;
  /**
   * Update latency over time, sampled by the node every minute whether a dashboard is open or
   * not; absent, the dashboard samples it itself while open.
   */
  latency?: LatencyHistory;
  /** The node's own on-chain balance of an asset (its signing key's address). */
  onchainBalance(assetId: string): Promise<bigint>;
  /** The chain's deposit totals of a channel, read as the node reconciles them. */
  chainDeposits?(channelAddress: string, assetId: string): Promise<{ alice: bigint; bob: bigint }>;
  /** The collateral policies, as the admin API changes them (`/admin/collateral`). */
  collateral: {
    list(): Readonly<Record<string, AdminCollateralPolicy>>;
    set(assetId: string, policy: AdminCollateralPolicy): Promise<void>;
  };
  /** Tops the node's side of the user's channel up to the asset's target (engine code). */
  topUp(user: string, assetId: string): Promise<void>;
  /** Withdraws the node's collateral above the asset's target back to it (engine code). */
  reclaim(user: string, assetId: string): Promise<boolean>;
  /** Milliseconds since the epoch (tests move it). */
  now?(): number;
}
