import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JsonRpcProvider, parseEther, type Signer, Wallet, ZeroAddress } from "ethers";
import pino from "pino";
import { type ConnectOptions, ConnextClient } from "../client";
import { MemoryStore } from "../client/store/memory";
import type { ClientStore } from "../client/store/types";
import {
  type AddressBook,
  deployContracts,
  devAccount,
  TestToken__factory,
} from "../contracts-bindings";
import { type Anvil, startAnvil } from "../node/chain/anvil";
import { mintDevTokens } from "../node/chain/devFunding";
import { startConfiguredNatsServer } from "../node/messaging/testing/configuredNatsServer";
import { NATS_SERVER_BIN, NATS_SERVER_MISSING } from "../node/messaging/testing/natsServer";
import { type RunningNode, type StartNodeOptions, startNode } from "../node/node";
import type { NodeSettings } from "../node/settings";
import {
  POSTGRES_MISSING,
  postgresAvailable,
  startPostgres,
} from "../node/store/testing/postgresServer";
import type { PluginEntry } from "../protocol/definitions";

/**
 * A whole system on loopback for end-to-end tests: anvil with the contracts, a node, and
 * clients for anvil's dev accounts. Nothing is mocked.
 */
export interface Stack {
  anvil: Anvil;
  provider: JsonRpcProvider;
  book: AddressBook;
  token: string;
  settings: NodeSettings;
  node: RunningNode;
  /** The clock of the node and of every client (the system clock, moved by `advance`). */
  clock: TestClock;
  /** Moves the clock up to the chain's latest block time (after `evm_increaseTime`). */
  syncClockToChain(): Promise<void>;
  /** Starts the node again with the same settings (a restart). */
  restartNode(): Promise<RunningNode>;
  /** A client for dev account `index` (1..9); the store is kept per index unless given. */
  client(index: number, options?: Partial<ConnectOptions>): Promise<ConnextClient>;
  wallet(index: number): Wallet;
  /** The dev-account index of an address. */
  indexOf(address: string): number;
  tokenBalance(address: string): Promise<bigint>;
  stop(): Promise<void>;
}

export interface StackOptions {
  /**
   * "production": a PostgreSQL and a nats-server of its own instead of PGlite and the broker;
   * nats-server runs with `connext-node nats-config`'s configuration (JWT auth, permissions).
   */
  backend?: "embedded" | "production";
  databaseUrl?: string;
  natsUrl?: string;
  node?: StartNodeOptions;
  /** ETH's reclaim threshold (default 50 ETH): lower it to see collateral reclaimed. */
  ethReclaimThreshold?: bigint;
  logLevel?: string;
  /** The node's CONFIRMATIONS (default 1); above 1, the test mines the blocks after a deposit. */
  confirmations?: number;
  /** The node's ETH_RPC_URL given anvil's (e.g. a counting proxy in front of it). */
  nodeRpcUrl?: (anvilUrl: string) => string;
  /** Node settings on top of the stack's (e.g. WITHDRAWALS, WITHDRAWALS_PER_HOUR). */
  settings?: Partial<NodeSettings>;
  /**
   * Extra transfer definitions: deployed and registered by the deployer (dev account 0, the
   * registry's owner) before the node starts, then carried by the node and every client.
   */
  definitions?: (deployer: Signer, book: AddressBook) => Promise<PluginEntry[]>;
}

/** Wall-clock time plus an offset the test moves forward. */
export interface TestClock {
  /** Unix seconds. */
  now(): number;
  advance(seconds: number): void;
}

export function testClock(): TestClock {
  let offset = 0;
  return {
    now: () => Math.floor(Date.now() / 1000) + offset,
    advance: (seconds) => {
      offset += seconds;
    },
  };
}

export const TOKENS = 10n ** 24n;
/** The node's ADMIN_TOKEN in every stack. */
export const ADMIN_TOKEN = "e2e-admin-token-0123456789";

/** Whether this machine can run the production backend, and what to install if not. */
export function productionBackendMissing(): string | undefined {
  if (!postgresAvailable()) return POSTGRES_MISSING;
  if (!NATS_SERVER_BIN) return NATS_SERVER_MISSING;
  return undefined;
}

export async function startStack(requested: StackOptions = {}): Promise<Stack> {
  const services: { stop(): Promise<void> }[] = [];
  const options = { ...requested };
  if (options.backend === "production") {
    const postgres = await startPostgres();
    services.push(postgres);
    const nats = await startConfiguredNatsServer(
      options.settings?.privateKey ?? devAccount(0).privateKey,
    );
    services.push(nats);
    options.databaseUrl = postgres.url;
    options.natsUrl = nats.url;
  }
  const anvil = await startAnvil();
  const provider = new JsonRpcProvider(anvil.rpcUrl, undefined, {
    cacheTimeout: -1,
    pollingInterval: 100,
  });
  const deployer = devAccount(0, provider);
  const book = await deployContracts(deployer, { testToken: true });
  const token = book.testToken as string;
  const definitions = (await options.definitions?.(deployer, book)) ?? [];
  await mintDevTokens({
    testToken: token,
    minter: deployer,
    recipients: Array.from({ length: 10 }, (_, i) => devAccount(i).address),
    amount: TOKENS,
  });
  const dataDir = await mkdtemp(join(tmpdir(), "connext-e2e-"));
  const settings: NodeSettings = {
    host: "127.0.0.1",
    port: 0,
    dataDir,
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
    ...(options.natsUrl ? { natsUrl: options.natsUrl } : {}),
    natsPort: 0,
    ethRpcUrl: options.nodeRpcUrl?.(anvil.rpcUrl) ?? anvil.rpcUrl,
    privateKey: devAccount(0).privateKey,
    addressBook: book,
    logLevel: options.logLevel ?? "warn",
    adminToken: ADMIN_TOKEN,
    confirmations: options.confirmations ?? 1,
    collateral: {
      [ZeroAddress]: {
        target: parseEther("1"),
        reclaimThreshold: options.ethReclaimThreshold ?? parseEther("50"),
      },
      [token.toLowerCase()]: { target: parseEther("100"), reclaimThreshold: parseEther("5000") },
    },
    ...options.settings,
  };
  const logger = pino({ level: process.env.E2E_LOG_LEVEL ?? settings.logLevel });
  const clock = testClock();
  const nodeOptions = {
    depositPollMs: 500,
    disputePollMs: 250,
    now: clock.now,
    ...(definitions.length > 0 ? { definitions } : {}),
    ...options.node,
  };
  let node = await startNode(settings, logger, nodeOptions);
  const stores = new Map<number, ClientStore>();
  const clients: ConnextClient[] = [];

  return {
    anvil,
    provider,
    book,
    token,
    settings,
    clock,
    async syncClockToChain() {
      const block = await provider.getBlock("latest");
      const behind = (block?.timestamp ?? 0) - clock.now();
      if (behind > 0) clock.advance(behind);
    },
    get node() {
      return node;
    },
    async restartNode() {
      await node.stop();
      node = await startNode(
        {
          ...settings,
          port: new URL(node.httpUrl).port ? Number(new URL(node.httpUrl).port) : 0,
          natsPort: node.messagingUrl ? Number(new URL(node.messagingUrl).port) : 0,
        },
        logger,
        nodeOptions,
      );
      return node;
    },
    async client(index, overrides = {}) {
      const store = overrides.store ?? stores.get(index) ?? new MemoryStore();
      stores.set(index, store);
      const client = await ConnextClient.connect({
        signer: devAccount(index).privateKey,
        nodeUrl: node.httpUrl,
        ethRpcUrl: anvil.rpcUrl,
        store,
        completionTimeoutMs: 5_000,
        now: clock.now,
        ...(definitions.length > 0 ? { definitions } : {}),
        ...overrides,
      });
      clients.push(client);
      return client;
    },
    wallet(index) {
      return new Wallet(devAccount(index).privateKey, provider);
    },
    indexOf(address) {
      for (let i = 0; i < 10; i++) {
        if (devAccount(i).address.toLowerCase() === address.toLowerCase()) return i;
      }
      throw new Error(`${address} is not a dev account`);
    },
    tokenBalance(address) {
      return TestToken__factory.connect(token, provider).balanceOf(address);
    },
    async stop() {
      await step("clients", () => Promise.allSettled(clients.map((c) => c.close())));
      await step("node", () => node.stop());
      provider.destroy();
      await step("anvil", () => anvil.stop());
      for (const service of services) await step("service", () => service.stop());
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Runs one step of tearing down, saying so when it is slow: a hang names itself. */
async function step(name: string, work: () => Promise<unknown>): Promise<void> {
  const timer = setTimeout(() => console.warn(`stack: stopping ${name} takes over 5 s`), 5_000);
  try {
    await work();
  } finally {
    clearTimeout(timer);
  }
}
