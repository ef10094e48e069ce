import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { AuthService, SignInService } from "../auth";
import type { DashboardDeps } from "./dashboard/types";
import type { WalletDeps } from "./wallet";

/** What anyone may learn about the node before signing in (GET /config). */
export interface NodePublicConfig {
  /** The node's checksummed address. */
  nodeIdentifier: string;
  chainId: number;
  contractAddresses: {
    channelFactory: string;
    channelMastercopy: string;
    transferRegistry: string;
    hashlockTransfer: string;
    withdraw: string;
    threadTransfer: string;
    testToken?: string;
  };
  /** Asset ids the node collateralises (0x0…0 is the chain's native coin). */
  supportedAssets: string[];
  /** `nats://…` for server-side clients: the first of `messagingUrls` (older clients read it). */
  messagingUrl: string;
  /** Every NATS server (one, or a cluster's), so a client fails over between them. */
  messagingUrls?: string[];
  /** `ws://…` for browsers. */
  messagingWsUrl?: string;
  protocolVersion: number | string;
  /**
   * Confirmations before the node counts a deposit (CONFIRMATIONS): it reads deposit totals at
   * head − (n − 1), and clients must read at that depth too.
   */
  depositConfirmations?: number;
  /**
   * How the node bounds routed payments' expiries (DESIGN §4.6): a payer's expiry must leave
   * both channels' dispute windows plus `claimBufferSeconds` each, and be at most
   * `maxExpirySeconds` away.
   */
  routing?: { claimBufferSeconds: number; maxExpirySeconds: number };
  /**
   * What a user's withdrawal must meet (issue 11, item 6): per asset (lowercase address), the
   * least it pays its recipient and the fee the node keeps on top, wei as decimal strings (an
   * asset absent has neither); and how many one user may make in any hour (0: no limit).
   */
  withdrawals?: {
    perHour: number;
    assets: Record<string, { minimum: string; fee: string }>;
  };
}

export interface HealthReport {
  ok: boolean;
  /** One entry per dependency, e.g. `{ database: "ok", chain: "behind by 12 blocks" }`. */
  checks: Record<string, string>;
}

export interface ApiDeps {
  config(): NodePublicConfig;
  /** Bearer tokens for the signed-in user's routes. */
  auth: AuthService;
  /** The EIP-4361 sign-in that gives those tokens. */
  signIn: SignInService;
  /**
   * The messaging JWT for a signed-in user's nkey (DESIGN §5), expiring with its token. Absent:
   * sign-in gives no JWT (tests of the API alone).
   */
  messagingJwt?(user: string, nkey: string, expiresAt: number): Promise<string>;
  identities: {
    record(address: string, publicKey: string): Promise<void>;
    publicKey(address: string): Promise<string | undefined>;
    /** The dispute timeout of the user's channel with the node: a payer derives expiries from it. */
    channelTimeout?(address: string): Promise<number | undefined>;
  };
  /** Reads for the signed-in user (a checksummed address); results are sent as JSON as is. */
  reads: {
    channel(user: string): Promise<unknown | undefined>;
    transfers(user: string): Promise<unknown[]>;
    payments(user: string): Promise<unknown[]>;
  };
  health(): Promise<HealthReport>;
  metrics: { registry: Registry };
  /** Bearer token GET /metrics must carry (`METRICS_TOKEN`); absent: /metrics is public. */
  metricsToken?: string;
  logger: Logger;
  /** The operator's admin API (`ADMIN_TOKEN`); absent: every /admin route is 404 ADMIN_DISABLED. */
  admin?: AdminDeps;
  /**
   * TRUST_PROXY: a reverse proxy in front sets X-Forwarded-Proto/Host, and the URLs the node
   * hands back (`c.get("origin")`, /config's messagingWsUrl) follow them. Absent: ignored.
   */
  trustProxy?: boolean;
  /** The operator's dashboard (/dashboard, ADMIN_TOKEN); absent: its pages say it is off. */
  dashboard?: DashboardDeps;
  /** The card wallet's chain access and, in `dev`, its test funds (wallet/index.ts). */
  wallet?: WalletDeps;
}

/** A collateral policy in the asset's base units (see `CollateralPolicy` in settings.ts). */
export interface AdminCollateralPolicy {
  target: bigint;
  reclaimThreshold: bigint;
}

/** What the admin routes read and change; results are sent as JSON, bigints as decimal strings. */
export interface AdminDeps {
  /** The bearer token admin requests must carry (compared in constant time). */
  token: string;
  /** Every channel the node has. */
  channels(): Promise<unknown[]>;
  /** Every payment, or those in one status (pending, completed, cancelled, failed). */
  payments(status?: string): Promise<unknown[]>;
  /** Starts a unilateral exit of the channel (UNKNOWN_CHANNEL, ALREADY_DISPUTED refusals). */
  dispute(channelAddress: string): Promise<unknown>;
  /** Where the channel's dispute stands. */
  disputeStatus(channelAddress: string): Promise<unknown>;
  collateral: {
    /** The policies in force, keyed by lowercase asset address. */
    list(): Readonly<Record<string, AdminCollateralPolicy>>;
    /** Adds or replaces an asset's policy (and stores it). */
    set(assetId: string, policy: AdminCollateralPolicy): Promise<void>;
    /** Drops an asset's stored policy (it falls back to its configured default, if any). */
    remove(assetId: string): Promise<unknown>;
  };
}

/**
 * The Hono environment of the API: the signed-in user, once `requireUser` has run; the origin
 * the client reached the node at (`scheme://host[:port]`, publicOrigin.ts), on every request.
 */
export interface ApiEnv {
  Variables: { user: string; origin: string };
}
