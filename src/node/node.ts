import { join } from "node:path";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { sql } from "drizzle-orm";
import { getAddress, JsonRpcProvider, Wallet } from "ethers";
import type { Logger } from "pino";
import { useFastestSecp256k1 } from "../crypto/nativeSecp256k1";
import { PROTOCOL_VERSION, privateKeySigner, transfersInTreeOrder } from "../protocol";
import { definitionPlugins, type PluginEntry } from "../protocol/definitions";
import { encodeWire } from "../protocol/messaging";
import {
  authSecretFromPrivateKey,
  brokerAuthenticator,
  createAuth,
  createSignIn,
  issueUserMessagingJwt,
  natsIssuers,
  natsKeysFromPrivateKey,
  nodeMessagingCredentials,
} from "./auth";
import { ChainService } from "./chain/chainService";
import { DepositWatcher } from "./chain/depositWatcher";
import { createDisputeWatching, DisputeStartError } from "./disputeWatching";
import { DEFAULT_REQUEST_INTERVAL_SECONDS } from "./engine/collateral";
import { CollateralPolicies } from "./engine/collateralPolicies";
import { crossProcessExclusive } from "./engine/crossProcessExclusive";
import { Engine, type EngineOptions, type RequestInterceptor } from "./engine/engine";
import {
  DEFAULT_IDLE_INTERVAL_MS,
  DEFAULT_IDLE_SECONDS,
  IdleReclaim,
  reclaimAbove,
} from "./engine/idleReclaim";
import type { RoutingRules } from "./engine/routingRules";
import { createApi, type NodePublicConfig } from "./http";
import { LatencyHistory } from "./http/dashboard/latency";
import { startHttpServer } from "./http/server";
import { walletDeps } from "./http/wallet";
import { type Broker, startBroker } from "./messaging/broker";
import { natsUrls } from "./messaging/natsUrls";
import { createMetrics } from "./metrics";
import type { CollateralPolicy, NodeSettings } from "./settings";
import { startPart } from "./startError";
import { ChannelStore } from "./store/channelStore";
import { CollateralSettingsRepository } from "./store/collateralSettings";
import { openDatabase } from "./store/database";
import { DisputeRepository } from "./store/disputes";
import { IdentityRepository } from "./store/identities";
import { PaymentRepository, type PaymentStatus } from "./store/payments";
import { PendingWithdrawalRepository } from "./store/pendingWithdrawals";
import { scheduleMaintenance } from "./store/pgliteMaintenance";
import { ReportRepository } from "./store/reports";
import { PAYMENT_STATUSES } from "./store/schema";

/** A node that is up: where to reach it, and how to stop it. */
export interface RunningNode {
  /** The node's identifier: its signing key's checksummed address. */
  identifier: string;
  /** `http://host:port` */
  httpUrl: string;
  /** `nats://host:port` — the embedded broker's, or NATS_URL's first server. */
  messagingUrl: string;
  /** Every server: the embedded broker's, or all of NATS_URL's (a cluster). */
  messagingUrls: string[];
  /** `ws://host:port/messaging` for browsers (embedded broker); NATS_URL's own otherwise. */
  messagingWsUrl: string | undefined;
  /** Stops taking work, finishes what is in flight, closes every resource. */
  stop(): Promise<void>;
}

export interface StartNodeOptions {
  /**
   * Transfer definitions the node carries beyond the built-in ones (HashlockTransfer,
   * Withdraw): each deployed and registered in the TransferRegistry at `address`, with the
   * plug-in that says its rules and what the node does with one. The node refuses every
   * definition it has no plug-in for.
   */
  definitions?: readonly PluginEntry[];
  /** Expiry bounds of routed payments (defaults: DEFAULT_ROUTING_RULES). */
  routing?: Partial<RoutingRules>;
  /** How often the deposit watcher polls (default 2 s). */
  depositPollMs?: number;
  /** How often the dispute watcher polls the chain (default 2 s). */
  disputePollMs?: number;
  sweepIntervalMs?: number;
  /** The node's clock, unix seconds (tests move it; default the system clock). */
  now?: () => number;
  /** How often idle collateral is looked for (default 10 min). */
  idleReclaimIntervalMs?: number;
  /** Tests only: plays a misbehaving node (see `EngineOptions.intercept`). */
  intercept?: RequestInterceptor;
  /** Tests only: a node that forwards other mirrors (see `EngineOptions.replaceMirror`). */
  replaceMirror?: EngineOptions["replaceMirror"];
  /** Tests only: a node that lies in its payment events (see `EngineOptions.replacePaymentEvent`). */
  replacePaymentEvent?: EngineOptions["replacePaymentEvent"];
  /** Tests only: a slow store (see `EngineOptions.insideStore`). */
  insideStore?: EngineOptions["insideStore"];
  /** Tests only: a node that withholds withdrawals (see `EngineOptions.interceptWithdrawal`). */
  interceptWithdrawal?: EngineOptions["interceptWithdrawal"];
  /** How unexecuted withdrawal commitments are sent again (see `EngineOptions.withdrawalRetry`). */
  withdrawalRetry?: EngineOptions["withdrawalRetry"];
}

const WEBSOCKET_PATH = "/messaging";
/** How often a node process looks for transactions a stopped process left signed. */
const LEFTOVER_INTERVAL_MS = 5_000;
/** The change-notice topic of collateral policies (store/changeNotices.ts). */
const COLLATERAL_TOPIC = "collateral";

/** A part of the node and how to stop it; parts stop in the reverse order of starting. */
type Cleanup = [part: string, stop: () => Promise<unknown>];

/** Starts the node (DESIGN §3): database, chain service, messaging, engine and HTTP API. */
export async function startNode(
  settings: NodeSettings,
  logger: Logger,
  options: StartNodeOptions = {},
): Promise<RunningNode> {
  // Native libsecp256k1 when it is installed (sign and recover 7–10× faster), else noble.
  const secp = await useFastestSecp256k1();
  logger.info(
    { secp256k1: secp.backend.name, library: secp.library, reason: secp.reason },
    "secp256k1",
  );
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
  const database = await startPart("DATABASE_FAILED", "opening the database", () =>
    openDatabase(
      settings.databaseUrl
        ? { databaseUrl: settings.databaseUrl }
        : { dataDir: join(settings.dataDir, "pglite") },
    ),
  );
  cleanups.push(["database", () => database.close()]);
  logger.info({ database: database.kind }, "database ready");
  if (database.maintain) {
    const stop = scheduleMaintenance(database.maintain, (report, error) => {
      if (error) logger.warn({ err: error }, "database maintenance failed");
      else logger.debug(report, "database maintained");
    });
    cleanups.push(["database maintenance", async () => stop()]);
  }

  const provider = new JsonRpcProvider(settings.ethRpcUrl, undefined, {
    cacheTimeout: -1,
    pollingInterval: 500,
  });
  cleanups.push(["chain provider", async () => provider.destroy()]);
  const wallet = new Wallet(settings.privateKey, provider);
  const node = wallet.address;
  const disputeRecords = new DisputeRepository(database.db);
  const chain = new ChainService({
    provider,
    wallet,
    addressBook: book,
    db: database.db,
    logger,
    confirmations: settings.confirmations,
    ...(database.senderTurns ? { sender: { turns: database.senderTurns } } : {}),
    disputeBlock: (channelAddress) => disputeRecords.lastDisputeBlock(channelAddress),
  });

  const secret = authSecretFromPrivateKey(settings.privateKey);
  const auth = createAuth({ secret });
  // Messaging credentials (DESIGN §5): the same account keys wherever the node runs, so the
  // embedded broker and a nats-server configured by `connext-node nats-config` agree.
  const natsKeys = natsKeysFromPrivateKey(settings.privateKey);
  let broker: Broker | undefined;
  if (!settings.natsUrl) {
    broker = await startPart("BROKER_LISTEN_FAILED", "starting the broker", () =>
      startBroker({
        host: settings.host,
        port: settings.natsPort,
        authenticate: brokerAuthenticator({ issuers: natsIssuers(natsKeys) }),
        serverName: `connext-node ${node}`,
      }),
    );
    cleanups.push(["broker", () => (broker as Broker).stop()]);
  }
  const messagingUrls = settings.natsUrl ? natsUrls(settings.natsUrl) : [(broker as Broker).url];
  const messagingUrl = messagingUrls[0] as string;
  const credentials = await nodeMessagingCredentials(natsKeys, node);
  const connection: NatsConnection = await startPart(
    "MESSAGING_FAILED",
    "connecting to messaging",
    () =>
      connect({
        servers: messagingUrls,
        // The process's own JWT and nkey (the nkey signs each server's nonce).
        authenticator: credentials.authenticator,
        name: `connext-node ${node}`,
        maxReconnectAttempts: -1,
      }),
  );
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
  // Rate limits and idle collateral go by the node's clock, in milliseconds.
  const collateralClock = options.now ? () => (options.now as () => number)() * 1000 : Date.now;
  // Update latency over time for the dashboard: a point a minute (a day kept), dashboard open or not.
  const latencyHistory = new LatencyHistory(metrics.registry);
  if (settings.adminToken) {
    const sampler = setInterval(() => {
      latencyHistory.sample(collateralClock()).catch(() => {});
    }, 60_000);
    sampler.unref?.();
    cleanups.push(["latency sampler", async () => clearInterval(sampler)]);
  }
  const signer = privateKeySigner(settings.privateKey);
  // Disputes on the node's channels, from the chain's logs: the engine signs nothing on those.
  const disputes = createDisputeWatching({
    provider,
    db: database.db,
    chain,
    store,
    payments,
    signer,
    book,
    plugins: definitionPlugins(book, options.definitions),
    assets: () => collateral.assets(),
    isOurs: (channelAddress) => usersByChannel.has(channelAddress.toLowerCase()),
    resume: (user) => engine.resumeChannel(user),
    onTransferDefunded: (defund) => engine.router.mirrorDefunded(defund),
    withChannelLock: (channelAddress, work) => {
      const user = usersByChannel.get(channelAddress.toLowerCase());
      if (!user) throw new DisputeStartError("UNKNOWN_CHANNEL", `no channel ${channelAddress}`);
      return engine.channels.withChannel(user, work);
    },
    pollMs: options.disputePollMs ?? 2_000,
    ...(database.crossProcessLock
      ? { exclusive: crossProcessExclusive(database.crossProcessLock) }
      : {}),
    logger,
  });
  const engine = new Engine({
    signer,
    disputes: {
      inDispute: (channelAddress) => disputes.watcher.inDispute(channelAddress),
      checkOnchain: (channelAddress) => disputes.watcher.checkOnchain(channelAddress),
      markResumed: (channelAddress, round) => disputes.watcher.markResumed(channelAddress, round),
      // A payer that did not settle in time (SECURITY rule 23): the operator's dispute path.
      disputePayer: async (channelAddress, transferIds) => {
        try {
          await disputes.dispute(channelAddress, { forTransfers: transferIds });
        } catch (error) {
          if (error instanceof DisputeStartError && error.code === "ALREADY_DISPUTED") {
            return "on-record";
          }
          if (error instanceof DisputeStartError && error.code === "NOTHING_TO_CLAIM") {
            return "settled";
          }
          throw error;
        }
        metrics.payerDisputes.inc();
        return "started";
      },
    },
    network: {
      chainId: book.chainId,
      channelFactoryAddress: book.channelFactory,
      channelMastercopyAddress: book.channelMastercopy,
      transferRegistryAddress: book.transferRegistry,
    },
    hashlockAddress: book.hashlockTransfer,
    withdrawAddress: book.withdraw,
    threadAddress: book.threadTransfer,
    ...(options.definitions ? { definitions: options.definitions } : {}),
    store,
    payments,
    pendingWithdrawals: new PendingWithdrawalRepository(database.db),
    chain,
    connection,
    collateral: collateral.asRecord(),
    ...(database.crossProcessLock ? { crossProcessLock: database.crossProcessLock } : {}),
    logger,
    observeLatency: (type, role, seconds) => metrics.updateLatency.observe({ type, role }, seconds),
    ...(options.routing ? { routing: options.routing } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(options.intercept ? { intercept: options.intercept } : {}),
    ...(options.replaceMirror ? { replaceMirror: options.replaceMirror } : {}),
    ...(options.replacePaymentEvent ? { replacePaymentEvent: options.replacePaymentEvent } : {}),
    ...(options.insideStore ? { insideStore: options.insideStore } : {}),
    ...(options.interceptWithdrawal ? { interceptWithdrawal: options.interceptWithdrawal } : {}),
    ...(options.withdrawalRetry ? { withdrawalRetry: options.withdrawalRetry } : {}),
    ...(options.sweepIntervalMs !== undefined ? { sweepIntervalMs: options.sweepIntervalMs } : {}),
    collateralRules: {
      requestIntervalSeconds:
        settings.collateralRequestIntervalSeconds ?? DEFAULT_REQUEST_INTERVAL_SECONDS,
      clock: collateralClock,
    },
    withdrawalRules: {
      policies: settings.withdrawals ?? {},
      ...(settings.withdrawalsPerHour !== undefined
        ? { perHour: settings.withdrawalsPerHour }
        : {}),
      clock: collateralClock,
    },
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
      threadTransfer: book.threadTransfer,
      ...(book.testToken ? { testToken: book.testToken } : {}),
    },
    supportedAssets: collateral.assets().map((asset) => getAddress(asset)),
    messagingUrl,
    messagingUrls,
    ...(wsUrl ? { messagingWsUrl: wsUrl } : {}),
    protocolVersion: PROTOCOL_VERSION,
    // Clients read deposit totals this deep too, or they would claim totals the node refuses.
    depositConfirmations: settings.confirmations,
    routing: {
      claimBufferSeconds: engine.routing.claimBufferSeconds,
      maxExpirySeconds: engine.routing.maxExpirySeconds,
    },
    // Clients check a withdrawal against these before proposing it, and add the fee.
    withdrawals: engine.withdrawalLimits.advertised(),
  });
  let wsUrl: string | undefined;
  // PUBLIC_URL, or the URL the server listens on: known only once it listens (PORT may be 0).
  let publicUrl = settings.publicUrl;
  if (publicUrl === undefined && ["0.0.0.0", "::", "[::]"].includes(settings.host)) {
    logger.warn(
      { host: settings.host },
      "no PUBLIC_URL: sign-in messages will name the wildcard address, which clients refuse",
    );
  }
  if (settings.trustProxy && settings.publicUrl === undefined) {
    logger.warn(
      "TRUST_PROXY without PUBLIC_URL: sign-in messages name the address the node listens on, which clients that reach it through the proxy refuse",
    );
  }
  // Channels set up before an asset was added: watch its deposits too.
  const watchEveryAsset = () => {
    for (const channelAddress of usersByChannel.keys()) {
      watcher.watch(channelAddress, collateral.assets());
    }
  };
  // A policy changed through any node process on the database applies here at once.
  const stopCollateralNotices = await database.notices.subscribe(COLLATERAL_TOPIC, () => {
    collateral
      .reload()
      .then(watchEveryAsset)
      .catch((error) => logger.warn({ err: error }, "reading collateral policies again failed"));
  });
  cleanups.push(["collateral notices", () => stopCollateralNotices()]);
  const collateralChanged = () =>
    database.notices.publish(COLLATERAL_TOPIC).catch((error) => {
      logger.warn({ err: error }, "other node processes not told of a collateral change");
    });
  // The admin API's and the dashboard's collateral policies: one store, one behaviour.
  const operatorCollateral = {
    list: () => collateral.asRecord(),
    set: async (assetId: string, policy: CollateralPolicy) => {
      await collateral.set(assetId, policy);
      watchEveryAsset();
      await collateralChanged();
    },
    remove: async (assetId: string) => {
      const fallback = await collateral.remove(assetId);
      await collateralChanged();
      return fallback;
    },
  };
  const app = createApi({
    config: () => publicConfig(wsUrl),
    ...(settings.trustProxy ? { trustProxy: true } : {}),
    auth,
    messagingJwt: (user, nkey, expiresAt) =>
      issueUserMessagingJwt(natsKeys, node, user, nkey, expiresAt),
    signIn: createSignIn({
      secret,
      site: () => ({ node, chainId: book.chainId, publicUrl: publicUrl ?? "" }),
    }),
    identities: {
      record: (address, publicKey) => identities.record(address, publicKey),
      publicKey: (address) => identities.publicKey(address),
      channelTimeout: async (address) =>
        (await engine.channels.currentView(address))?.state?.timeout,
    },
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
    wallet: walletDeps(settings, provider),
    ...(settings.metricsToken ? { metricsToken: settings.metricsToken } : {}),
    logger,
    ...(settings.adminToken
      ? {
          admin: {
            token: settings.adminToken,
            channels: () => store.listChannels(),
            dispute: (channelAddress) => disputes.dispute(channelAddress),
            disputeStatus: (channelAddress) => disputes.status(channelAddress),
            payments: (status) =>
              payments.withStatus(status ? [status as PaymentStatus] : [...PAYMENT_STATUSES]),
            collateral: operatorCollateral,
          },
          dashboard: {
            adminToken: settings.adminToken,
            config: () => publicConfig(wsUrl),
            reports: new ReportRepository(database.db),
            registry: metrics.registry,
            latency: latencyHistory,
            onchainBalance: (assetId) => chain.balanceOf(assetId, node),
            chainDeposits: async (channelAddress, assetId) => {
              const deposits = await chain.readDeposits(channelAddress, assetId);
              return { alice: deposits.totalDepositsAlice, bob: deposits.totalDepositsBob };
            },
            collateral: operatorCollateral,
            topUp: (user, assetId) => engine.collateral.topUpToTarget(user, assetId),
            reclaim: (user, assetId) =>
              reclaimAbove({ channels: engine.channels, signer, withdrawAddress: book.withdraw })(
                user,
                assetId,
                collateral.asRecord()[assetId.toLowerCase()]?.target ?? 0n,
              ),
          },
        }
      : {}),
  });
  const http = await startPart("HTTP_LISTEN_FAILED", "starting the HTTP API", () =>
    startHttpServer({
      app,
      host: settings.host,
      port: settings.port,
      ...(broker ? { websocket: { path: WEBSOCKET_PATH, ...broker.websocket } } : {}),
    }),
  );
  cleanups.push(["http", () => http.stop()]);
  publicUrl ??= http.url;
  wsUrl = broker ? `${http.url.replace(/^http/, "ws")}${WEBSOCKET_PATH}` : undefined;

  // The first scan is done before the engine signs anything: a channel disputed while the node
  // was down is known to be before its user's first message.
  await disputes.start();
  cleanups.push(["dispute watching", () => disputes.stop()]);
  engine.start();
  cleanups.push(["engine", () => engine.stop()]);
  watcher.start();
  cleanups.push(["deposit watcher", () => watcher.stop()]);
  if (database.senderTurns) {
    // A process that died between signing and broadcasting: its transaction goes out within
    // seconds even when no other send comes first to find it.
    const leftovers = setInterval(() => {
      chain
        .finishLeftoverTransactions()
        .catch((error) => logger.warn({ err: error }, "finishing a stopped sender's transactions"));
    }, LEFTOVER_INTERVAL_MS);
    leftovers.unref?.();
    cleanups.push(["leftover transactions", async () => clearInterval(leftovers)]);
  }
  const idleReclaim = new IdleReclaim({
    idleChannels: (before) => store.idleChannels(before),
    keep: (user, asset, target) => engine.collateral.demand.idleKeep(user, asset, target),
    reclaim: reclaimAbove({
      channels: engine.channels,
      signer: privateKeySigner(settings.privateKey),
      withdrawAddress: book.withdraw,
    }),
    policies: collateral.asRecord(),
    idleSeconds: settings.collateralIdleSeconds ?? DEFAULT_IDLE_SECONDS,
    intervalMs: options.idleReclaimIntervalMs ?? DEFAULT_IDLE_INTERVAL_MS,
    clock: collateralClock,
    logger,
  });
  idleReclaim.start();
  cleanups.push(["idle reclaim", () => idleReclaim.stop()]);
  logger.info({ node, http: http.url, publicUrl, messaging: messagingUrls }, "node started");

  return {
    identifier: node,
    httpUrl: http.url,
    messagingUrl,
    messagingUrls,
    messagingWsUrl: wsUrl,
    stop: stopAll,
  };
}

/** JSON-ready: bigints as decimal strings, as on the wire. */
function wire(value: unknown): unknown {
  return JSON.parse(encodeWire(value));
}
