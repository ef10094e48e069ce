import { Wallet } from "ethers";
import pino from "pino";
import { authSecretFromPrivateKey, createAuth, createSignIn } from "../auth";
import { createMetrics } from "../metrics";
import type { ApiDeps, NodePublicConfig } from "./types";

const ZERO = "0x0000000000000000000000000000000000000000";

/**
 * An API's dependencies with nothing behind them (no database, no chain), for tests that call
 * `createApi(stubApiDeps()).request(…)`; override what the test is about.
 *
 * @example
 * const app = createApi(stubApiDeps({ trustProxy: true }));
 * const response = await app.request("/config", { headers: { "X-Forwarded-Proto": "https" } });
 */
export function stubApiDeps(overrides: Partial<ApiDeps> = {}): ApiDeps {
  const node = Wallet.createRandom();
  const secret = authSecretFromPrivateKey(node.privateKey);
  const config: NodePublicConfig = {
    nodeIdentifier: node.address,
    chainId: 31337,
    contractAddresses: {
      channelFactory: ZERO,
      channelMastercopy: ZERO,
      transferRegistry: ZERO,
      hashlockTransfer: ZERO,
      withdraw: ZERO,
      threadTransfer: ZERO,
    },
    supportedAssets: [ZERO],
    messagingUrl: "nats://127.0.0.1:4222",
    messagingWsUrl: "ws://127.0.0.1:3000/messaging",
    protocolVersion: 1,
  };
  const keys = new Map<string, string>();
  return {
    config: () => config,
    auth: createAuth({ secret }),
    signIn: createSignIn({
      secret,
      site: () => ({ node: node.address, chainId: 31337, publicUrl: "http://127.0.0.1:3000" }),
    }),
    identities: {
      record: async (address, publicKey) => void keys.set(address, publicKey),
      publicKey: async (address) => keys.get(address),
    },
    reads: { channel: async () => undefined, transfers: async () => [], payments: async () => [] },
    health: async () => ({ ok: true, checks: {} }),
    metrics: createMetrics(),
    logger: pino({ level: "silent" }),
    ...overrides,
  };
}
