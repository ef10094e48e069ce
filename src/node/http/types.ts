import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { AuthService } from "../auth";

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
    testToken?: string;
  };
  /** Asset ids the node collateralises (0x0…0 is the chain's native coin). */
  supportedAssets: string[];
  /** `nats://…` for server-side clients. */
  messagingUrl: string;
  /** `ws://…` for browsers. */
  messagingWsUrl?: string;
  protocolVersion: number | string;
}

export interface HealthReport {
  ok: boolean;
  /** One entry per dependency, e.g. `{ database: "ok", chain: "behind by 12 blocks" }`. */
  checks: Record<string, string>;
}

export interface ApiDeps {
  config(): NodePublicConfig;
  auth: AuthService;
  identities: {
    record(address: string, publicKey: string): Promise<void>;
    publicKey(address: string): Promise<string | undefined>;
  };
  /** Reads for the signed-in user (a checksummed address); results are sent as JSON as is. */
  reads: {
    channel(user: string): Promise<unknown | undefined>;
    transfers(user: string): Promise<unknown[]>;
    payments(user: string): Promise<unknown[]>;
  };
  health(): Promise<HealthReport>;
  metrics: { registry: Registry };
  logger: Logger;
}

/** The Hono environment of the API: the signed-in user, once `requireUser` has run. */
export interface ApiEnv {
  Variables: { user: string };
}
