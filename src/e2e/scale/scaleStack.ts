import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEther, toBeHex, Wallet, ZeroAddress } from "ethers";
import { type ConnectOptions, ConnextClient } from "../../client";
import { devAccount } from "../../contracts-bindings";
import { natsKeysFromPrivateKey } from "../../node/auth/natsKeys";
import { natsServerConfig } from "../../node/auth/natsServerConfig";
import { type NatsCluster, startNatsCluster } from "../../node/messaging/testing/natsCluster";
import { freePort } from "../../node/net/freePort";
import { ADMIN_TOKEN, type Stack, startStack } from "../stack";
import { type NodeProcess, nodeProcess } from "./nodeProcesses";
import { type RestartablePostgres, startRestartablePostgres } from "./postgres";
import { type RpcProxy, startRpcProxy } from "./rpcProxy";

/**
 * A scale-out deployment on loopback (DESIGN §3): `processes` node processes with one key on
 * one PostgreSQL and a 3-server NATS cluster, the chain's RPC behind a proxy that can be cut.
 * Each part can fail on its own: a node process killed, a NATS server stopped, PostgreSQL
 * restarted, the RPC cut.
 */
export interface ScaleStack {
  /** anvil, the contracts, the provider; its in-process node is stopped (it ran migrations). */
  base: Stack;
  postgres: RestartablePostgres;
  nats: NatsCluster;
  /** Between every node process and anvil. */
  rpc: RpcProxy;
  nodes: NodeProcess[];
  /** `count` fresh funded wallets (10 ETH each), unknown to the node until they connect. */
  wallets(count: number): Promise<Wallet[]>;
  /** A client for `wallet` whose HTTP API is node process `nodeIndex`'s (default 0). */
  client(
    wallet: Wallet,
    nodeIndex?: number,
    options?: Partial<ConnectOptions>,
  ): Promise<ConnextClient>;
  stop(): Promise<void>;
}

export interface ScaleStackOptions {
  /** Node processes (default 3). */
  processes?: number;
  /** The node processes' LOG_LEVEL (default "warn"). */
  logLevel?: string;
}

/** The node's ETH collateral target: a payee's first payment brings it, on-chain. */
export const ETH_COLLATERAL = parseEther("1");

export async function startScaleStack(options: ScaleStackOptions = {}): Promise<ScaleStack> {
  const stops: (() => Promise<unknown> | unknown)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await Promise.resolve(stop()).catch(() => {});
  };
  try {
    const postgres = await startRestartablePostgres();
    stops.push(() => postgres.stop());
    // Every server runs the configuration `connext-node nats-config` writes for the node's key
    // (the cluster's listeners come from the harness's flags): only the node's JWTs get in,
    // each with its own permissions, as in production.
    const natsDir = await mkdtemp(join(tmpdir(), "scale-nats-"));
    stops.push(() => rm(natsDir, { recursive: true, force: true }));
    const configFile = join(natsDir, "nats.conf");
    const nodeKey = devAccount(0).privateKey;
    await writeFile(
      configFile,
      await natsServerConfig(natsKeysFromPrivateKey(nodeKey), {
        node: new Wallet(nodeKey).address,
      }),
    );
    const nats = await startNatsCluster({ configFile });
    stops.push(() => nats.stop());
    // The in-process node migrates the database once, before any process starts.
    const base = await startStack({ databaseUrl: postgres.url, natsUrl: nats.natsUrl });
    stops.push(() => base.stop());
    await base.node.stop();
    const rpc = startRpcProxy(base.anvil.rpcUrl);
    stops.push(() => rpc.stop());

    const bookPath = join(base.settings.dataDir, "address-book.json");
    await writeFile(bookPath, JSON.stringify(base.book));
    const env = {
      ETH_RPC_URL: rpc.url,
      NODE_PRIVATE_KEY: base.settings.privateKey,
      ADDRESS_BOOK: bookPath,
      DATABASE_URL: postgres.url,
      NATS_URL: nats.natsUrl,
      ADMIN_TOKEN,
      LOG_LEVEL: options.logLevel ?? "warn",
      CONFIRMATIONS: "1",
      COLLATERAL: JSON.stringify({
        [ZeroAddress]: {
          target: ETH_COLLATERAL.toString(),
          reclaimThreshold: parseEther("50").toString(),
        },
      }),
    };
    const nodes: NodeProcess[] = [];
    for (let i = 0; i < (options.processes ?? 3); i++) {
      // Process 0 takes the in-process node's port, so the base stack's helpers reach it.
      const port = i === 0 ? Number(new URL(base.node.httpUrl).port) : freePort();
      const dataDir = await mkdtemp(join(tmpdir(), `scale-node-${i}-`));
      stops.push(() => rm(dataDir, { recursive: true, force: true }));
      const node = nodeProcess(i, port, { ...env, DATA_DIR: dataDir });
      stops.push(() => node.kill());
      nodes.push(node);
    }
    await Promise.all(nodes.map((node) => node.start()));

    const clients: ConnextClient[] = [];
    stops.push(() => Promise.allSettled(clients.map((client) => client.close())));
    return {
      base,
      postgres,
      nats,
      rpc,
      nodes,
      async wallets(count) {
        const wallets = Array.from({ length: count }, () => Wallet.createRandom(base.provider));
        for (const wallet of wallets) {
          await base.provider.send("anvil_setBalance", [wallet.address, toBeHex(parseEther("10"))]);
        }
        return wallets as unknown as Wallet[];
      },
      async client(wallet, nodeIndex = 0, overrides = {}) {
        const client = await ConnextClient.connect({
          signer: wallet.privateKey,
          nodeUrl: (nodes[nodeIndex] as NodeProcess).httpUrl,
          ethRpcUrl: base.anvil.rpcUrl,
          completionTimeoutMs: 5_000,
          requestTimeoutMs: 5_000,
          now: base.clock.now,
          ...overrides,
        });
        clients.push(client);
        return client;
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
