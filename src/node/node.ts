import { join } from "node:path";
import { type NatsConnection, tokenAuthenticator } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { sql } from "drizzle-orm";
import { getAddress, JsonRpcProvider, Wallet } from "ethers";
import type { Logger } from "pino";
import { PROTOCOL_VERSION, privateKeySigner, transfersInTreeOrder } from "../protocol";
import { encodeWire } from "../protocol/messaging";
import { authSecretFromPrivateKey, brokerAuthenticator, createAuth } from "./auth";
import { ChainService } from "./chain/chainService";
import { DepositWatcher } from "./chain/depositWatcher";
import { CollateralPolicies } from "./engine/collateralPolicies";
import { Engine } from "./engine/engine";
import { createApi, type NodePublicConfig } from "./http";
import { startHttpServer } from "./http/server";
import { type Broker, startBroker } from "./messaging/broker";
import { createMetrics } from "./metrics";
import type { NodeSettings } from "./settings";
import { ChannelStore } from "./store/channelStore";
import { CollateralSettingsRepository } from "./store/collateralSettings";
import { openDatabase } from "./store/database";
import { IdentityRepository } from "./store/identities";
import { PaymentRepository, type PaymentStatus } from "./store/payments";
import { PAYMENT_STATUSES } from "./store/schema";

/** A node that is up: where to reach it, and how to stop it. */
export interface RunningNode {
  /** The node's identifier: its signing key's checksummed address. */
  identifier: string;
  /** `http://host:port` */
  httpUrl: string;
  /** `nats://host:port` — the embedded broker's, or NATS_URL. */
  messagingUrl: string;
  /** `ws://host:port/messaging` for browsers (embedded broker); NATS_URL's own otherwise. */
  messagingWsUrl: string | undefined;
  /** Stops taking work, finishes what is in flight, closes every resource. */
  stop(): Promise<void>;
}

export interface StartNodeOptions {
  /** Seconds between a payer's expiry and the mirror's (default 60). */
  expiryMarginSeconds?: number;
  /** How often the deposit watcher polls (default 2 s). */
  depositPollMs?: number;
  sweepIntervalMs?: number;
}

const WEBSOCKET_PATH = "/messaging";

/** A part of the node and how to stop it; parts stop in the reverse order of starting. */
type Cleanup = [part: string, stop: () => Promise<unknown>];

/** Starts the node (DESIGN §3): database, chain service, messaging, engine and HTTP API. */
export async function startNode(
  settings: NodeSettings,
  logger: Logger,
  options: StartNodeOptions = {},
): Promise<RunningNode> {
  const cleanups: Cleanup[] = [];
  const stopAll = async () => {
    for (const [part, cleanup] of cleanups.reverse()) {
      const started = performance.now();
      await cleanup().catch((error) => logger.warn({ part, err: error }, "stopping a part failed"));
      logger.debug({ part, ms: Math.round(performance.now() - started) }, "stopped");
    }
    cleanups.length = 0;
  };
  try {
    return await assemble(settings, logger, options, cleanups, stopAll);
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function assemble(
  settings: NodeSettings,
  logger: Logger,
  options: StartNodeOptions,
  cleanups: Cleanup[],
  stopAll: () => Promise<void>,
): Promise<RunningNode> {
  const book = settings.addressBook;
  const database = await openDatabase(
    settings.databaseUrl
      ? { databaseUrl: settings.databaseUrl }
      : { dataDir: join(settings.dataDir, "pglite") },
  );
  cleanups.push(["database", () => database.close()]);
  logger.info({ database: database.kind }, "database ready");

  const provider = new JsonRpcProvider(settings.ethRpcUrl, undefined, {
    cacheTimeout: -1,
    pollingInterval: 500,
  });
  cleanups.push(["chain provider", async () => provider.destroy()]);
  const wallet = new Wallet(settings.privateKey, provider);
  const node = wallet.address;
  const chain = new ChainService({
    provider,
    wallet,
    addressBook: book,
    db: database.db,
    logger,
    confirmations: settings.confirmations,
  });

  const auth = createAuth({ secret: authSecretFromPrivateKey(settings.privateKey) });
  let broker: Broker | undefined;
  if (!settings.natsUrl) {
    broker = await startBroker({
      host: settings.host,
      port: settings.natsPort,
      authenticate: brokerAuthenticator({ auth, node }),
      serverName: `connext-node ${node}`,
    });
    cleanups.push(["broker", () => (broker as Broker).stop()]);
  }
  const messagingUrl = settings.natsUrl ?? (broker as Broker).url;
  const connection: NatsConnection = await connect({
    servers: messagingUrl,
    // A fresh token at every (re)connect: one issued at start-up would expire under us.
    authenticator: tokenAuthenticator(() => auth.issueToken(node).token),
    name: `connext-node ${node}`,
    maxReconnectAttempts: -1,
  });
  cleanups.push(["messaging", () => connection.drain().catch(() => connection.close())]);

  const store = new ChannelStore(database.db);
  const payments = new PaymentRepository(database.db);
  const identities = new IdentityRepository(database.db);
  // Configured policies, overlaid by what the operator set through the admin API.
  const collateral = await CollateralPolicies.load(
    new CollateralSettingsRepository(database.db),
    settings.collateral,
  );
  const metrics = createMetrics();
  const engine = new Engine({
    signer: privateKeySigner(settings.privateKey),
    network: {
      chainId: book.chainId,
      channelFactoryAddress: book.channelFactory,
      channelMastercopyAddress: book.channelMastercopy,
      transferRegistryAddress: book.transferRegistry,
    },
    hashlockAddress: book.hashlockTransfer,
    withdrawAddress: book.withdraw,
    store,
    payments,
    chain,
    connection,
    collateral: collateral.asRecord(),
    ...(database.advisoryLock ? { crossProcessLock: database.advisoryLock } : {}),
    logger,
    observeLatency: (type, role, seconds) => metrics.updateLatency.observe({ type, role }, seconds),
    ...(options.expiryMarginSeconds !== undefined
      ? { expiryMarginSeconds: options.expiryMarginSeconds }
      : {}),
    ...(options.sweepIntervalMs !== undefined ? { sweepIntervalMs: options.sweepIntervalMs } : {}),
  });

  const watcher = new DepositWatcher({
    chain,
    intervalMs: options.depositPollMs ?? 2_000,
    logger,
    onDeposit: (event) => {
      const bob = usersByChannel.get(event.channelAddress.toLowerCase());
      if (bob) engine.onChainDeposit(bob, event.assetId);
    },
  });
  const usersByChannel = new Map<string, string>();
  const watchChannel = (channelAddress: string, bob: string) => {
    if (usersByChannel.has(channelAddress.toLowerCase())) return;
    usersByChannel.set(channelAddress.toLowerCase(), bob);
    watcher.watch(channelAddress, collateral.assets());
  };
  for (const channel of await store.listChannels())
    watchChannel(channel.channelAddress, channel.bob);
  engine.onSetup((channelAddress, bob) => watchChannel(channelAddress, bob));

  metrics.setSources({
    paymentsByStatus: () => payments.countByStatus(),
    channelCount: async () => (await store.listChannels()).length,
    collateral: () => store.nodeBalances(),
  });

  const publicConfig = (wsUrl: string | undefined): NodePublicConfig => ({
    nodeIdentifier: node,
    chainId: book.chainId,
    contractAddresses: {
      channelFactory: book.channelFactory,
      channelMastercopy: book.channelMastercopy,
      transferRegistry: book.transferRegistry,
      hashlockTransfer: book.hashlockTransfer,
      withdraw: book.withdraw,
      ...(book.testToken ? { testToken: book.testToken } : {}),
    },
    supportedAssets: collateral.assets().map((asset) => getAddress(asset)),
    messagingUrl,
    ...(wsUrl ? { messagingWsUrl: wsUrl } : {}),
    protocolVersion: PROTOCOL_VERSION,
  });
  let wsUrl: string | undefined;
  const app = createApi({
    config: () => publicConfig(wsUrl),
    auth,
    identities,
    reads: {
      channel: async (user) => {
        const view = await engine.channels.currentView(user);
        return view?.state ? wire(view.state) : undefined;
      },
      transfers: async (user) => {
        const view = await engine.channels.currentView(user);
        return view ? (wire(transfersInTreeOrder(view)) as unknown[]) : [];
      },
      payments: async (user) => wire(await payments.forUser(user)) as unknown[],
    },
    health: async () => {
      const checks: Record<string, string> = {};
      let ok = true;
      try {
        await database.db.execute(sql`select 1`);
        checks.database = "ok";
      } catch (error) {
        ok = false;
        checks.database = String(error);
      }
      try {
        checks.chain = `block ${await provider.getBlockNumber()}`;
      } catch {
        ok = false;
        checks.chain = "unreachable";
      }
      checks.messaging = connection.isClosed() ? "closed" : "ok";
      if (connection.isClosed()) ok = false;
      return { ok, checks };
    },
    metrics,
    logger,
    ...(settings.adminToken
      ? {
          admin: {
            token: settings.adminToken,
            channels: () => store.listChannels(),
            payments: (status) =>
              payments.withStatus(status ? [status as PaymentStatus] : [...PAYMENT_STATUSES]),
            collateral: {
              list: () => collateral.asRecord(),
              set: async (assetId, policy) => {
                await collateral.set(assetId, policy);
                // Channels set up before the asset was added: watch its deposits too.
                for (const channelAddress of usersByChannel.keys()) {
                  watcher.watch(channelAddress, [assetId]);
                }
              },
              remove: (assetId) => collateral.remove(assetId),
            },
          },
        }
      : {}),
  });
  const http = startHttpServer({
    app,
    host: settings.host,
    port: settings.port,
    ...(broker ? { websocket: { path: WEBSOCKET_PATH, ...broker.websocket } } : {}),
  });
  cleanups.push(["http", () => http.stop()]);
  wsUrl = broker ? `${http.url.replace(/^http/, "ws")}${WEBSOCKET_PATH}` : undefined;

  engine.start();
  cleanups.push(["engine", () => engine.stop()]);
  watcher.start();
  cleanups.push(["deposit watcher", () => watcher.stop()]);
  logger.info({ node, http: http.url, messaging: messagingUrl }, "node started");

  return {
    identifier: node,
    httpUrl: http.url,
    messagingUrl,
    messagingWsUrl: wsUrl,
    stop: stopAll,
  };
}

/** JSON-ready: bigints as decimal strings, as on the wire. */
function wire(value: unknown): unknown {
  return JSON.parse(encodeWire(value));
}
