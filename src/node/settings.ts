import type { AddressBook } from "../contracts-bindings";

/** Just-in-time collateral for one asset (issue 5 §5), in the asset's base units. */
export interface CollateralPolicy {
  /** Top the node's side of a channel up to `target` when a payment needs more than it has. */
  target: bigint;
  /** Reclaim with a withdrawal when the node's side holds more than this. */
  reclaimThreshold: bigint;
}

/**
 * What a user's withdrawal of one asset must meet (issue 11, item 6), in the asset's base
 * units: each one costs the node a transaction (84,605 gas; 239,969 when it deploys the channel).
 */
export interface WithdrawalPolicy {
  /** The least a withdrawal may pay its recipient; below it: WITHDRAWAL_TOO_SMALL. */
  minimum: bigint;
  /**
   * What the node keeps in the channel from each withdrawal, on top of the amount (Withdraw's
   * `fee`, paid to it by the resolve), to cover its gas; less: WITHDRAWAL_FEE_REQUIRED.
   */
  fee: bigint;
}

/**
 * Everything the node needs to run, resolved and validated by the CLI's config loader
 * (flags and environment) before `startNode` sees it.
 */
export interface NodeSettings {
  /** HTTP API (and WebSocket messaging) listen address. */
  host: string;
  port: number;
  /**
   * The node's URL as clients reach it (normalised, no trailing slash): sign-in messages name
   * it. Absent: the URL the HTTP server listens on, known once it listens.
   */
  publicUrl?: string;
  /**
   * TRUST_PROXY: behind a reverse proxy, the URLs the node hands back (/config's WebSocket URL,
   * pages' links) take scheme and host from X-Forwarded-Proto/Host. Sign-in messages still name
   * `publicUrl` only: a header is not something the node can check.
   */
  trustProxy?: boolean;
  dataDir: string;
  /** Absent: PGlite in `dataDir`. */
  databaseUrl?: string;
  /** Absent: the embedded broker. */
  natsUrl?: string;
  /** Embedded broker's TCP port; 0 picks a free one. */
  natsPort: number;
  ethRpcUrl: string;
  /** The node's signing key (0x, 32 bytes): its identifier is this key's address. */
  privateKey: string;
  addressBook: AddressBook;
  /** Bearer token for admin routes; absent: admin routes are refused. */
  adminToken?: string;
  /** Bearer token for GET /metrics; absent: /metrics is public. */
  metricsToken?: string;
  logLevel: string;
  /**
   * Blocks to wait for before a transaction counts as mined, and before a deposit counts (the
   * head block is 1 confirmation: totals are read at head − (n − 1)).
   */
  confirmations: number;
  /** Per asset (lowercase address); assets absent here get no collateral. */
  collateral: Record<string, CollateralPolicy>;
  /** Seconds without an update after which a channel's surplus collateral is reclaimed; 0: never. Default 1 day. */
  collateralIdleSeconds?: number;
  /** Seconds between a user's collateral requests for one asset; 0: no limit. Default 60. */
  collateralRequestIntervalSeconds?: number;
  /**
   * Per asset (lowercase address): the least a user may withdraw and the fee it pays. Assets
   * absent here have neither (only the rate limit); absent altogether: none at all.
   */
  withdrawals?: Record<string, WithdrawalPolicy>;
  /** Withdrawals one user may make in any hour; 0: no limit. Default 10. */
  withdrawalsPerHour?: number;
  /** `dev` only: the dev account `POST /dev/fund` sends test funds from (never the node's key). */
  devFunding?: { privateKey: string };
}
