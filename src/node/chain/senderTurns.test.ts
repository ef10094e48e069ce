import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { JsonRpcProvider, Wallet } from "ethers";
import { devAccount } from "../../contracts-bindings";
import { type Database, openDatabase } from "../store/database";
import { OnchainTransactionRepository } from "../store/onchainTransactions";
import {
  POSTGRES_MISSING,
  type PostgresServer,
  postgresAvailable,
  startPostgres,
} from "../store/testing/postgresServer";
import { type Anvil, startAnvil } from "./anvil";
import { memoryLogger, testProvider } from "./testing/chainFixture";
import { TransactionSender } from "./transactionSender";

/**
 * DESIGN §3, several node processes on one key: their transactions take turns through a row
 * lock in PostgreSQL (src/node/store/senderTurns.ts). Racing senders make one nonce sequence
 * with no conflict; a sender that dies between signing and saying its transaction is out
 * leaves it to the next turn, which broadcasts it once.
 */
const available = postgresAvailable();
if (!available) console.warn(`\n!!! ${POSTGRES_MISSING}\n`);

/** Polls `read` until it gives a value (generous: the machine may be loaded). */
async function until<T>(
  read: () => Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await Bun.sleep(50);
  }
}

/** A provider whose broadcasts never arrive: a process frozen mid-broadcast. */
class FrozenBroadcasts extends JsonRpcProvider {
  override broadcastTransaction(): never {
    return new Promise(() => {}) as never;
  }
}

describe.skipIf(!available)("sender turns across node processes on PostgreSQL", () => {
  let server: PostgresServer;
  let anvil: Anvil;
  const databases: Database[] = [];
  const providers: JsonRpcProvider[] = [];
  const { logger } = memoryLogger();

  beforeAll(async () => {
    [server, anvil] = await Promise.all([startPostgres(), startAnvil()]);
  }, 60_000);

  afterAll(async () => {
    for (const provider of providers) provider.destroy();
    await Promise.allSettled(databases.map((database) => database.close()));
    await anvil?.stop();
    await server?.stop();
  });

  /** One node process sending from dev account `index`: its own pool, provider and sender. */
  async function nodeProcess(index: number, provider?: JsonRpcProvider) {
    const database = await openDatabase({ databaseUrl: server.url });
    databases.push(database);
    const rpc = provider ?? testProvider(anvil.rpcUrl, anvil.chainId);
    providers.push(rpc);
    const repository = new OnchainTransactionRepository(database.db);
    const sender = new TransactionSender({
      wallet: devAccount(index, rpc),
      provider: rpc,
      repository,
      logger,
      pollIntervalMs: 20,
      ...(database.senderTurns ? { turns: database.senderTurns } : {}),
    });
    return { database, repository, sender };
  }

  test("two processes racing: one nonce sequence, no conflict, nothing doubled", async () => {
    const [a, b] = await Promise.all([nodeProcess(3), nodeProcess(3)]);
    const start = await providers[0]?.getTransactionCount(a.sender.address);
    const recipient = Wallet.createRandom().address;
    const each = 8;
    const sends = [a, b].flatMap((side) =>
      Array.from({ length: each }, () =>
        side.sender.send({ to: recipient, value: 1n }, { purpose: "race" }),
      ),
    );
    const sent = await Promise.all(sends);
    const nonces = sent.map((one) => one.nonce).sort((x, y) => x - y);
    expect(nonces).toEqual(Array.from({ length: 2 * each }, (_, i) => (start as number) + i));
    // Each went out at its first broadcast: no process ever used a nonce the other had.
    expect(sent.every((one) => one.attempts === 1)).toBe(true);
    expect(await providers[0]?.getBalance(recipient)).toBe(BigInt(2 * each));
    const rows = await a.repository.list({ limit: 100 });
    expect(rows.filter((row) => row.purpose === "race" && row.status === "mined")).toHaveLength(
      2 * each,
    );
  }, 60_000);

  test("a process that dies mid-broadcast: the next turn broadcasts its transaction once", async () => {
    const frozen = new FrozenBroadcasts(anvil.rpcUrl, anvil.chainId, {
      staticNetwork: true,
      cacheTimeout: -1,
      pollingInterval: 50,
    });
    const dying = await nodeProcess(4, frozen);
    const survivor = await nodeProcess(4);
    const provider = providers.at(-1) as JsonRpcProvider;
    const start = await provider.getTransactionCount(survivor.sender.address);
    const orphanRecipient = Wallet.createRandom().address;
    void dying.sender
      .send({ to: orphanRecipient, value: 7n }, { purpose: "orphan" })
      .catch(() => {});
    // Signed and recorded, never out: the dying process is inside its turn.
    const orphanRow = await until(async () => {
      const [row] = await survivor.repository.unconfirmedSigned(survivor.sender.address);
      return row?.purpose === "orphan" ? row : undefined;
    });
    // The other waits for its turn meanwhile…
    const recipient = Wallet.createRandom().address;
    const next = survivor.sender.send({ to: recipient, value: 1n }, { purpose: "after" });
    // …which comes when the dying process's connections close.
    await dying.database.close();
    const sent = await next;

    expect(sent.receipt.status).toBe(1);
    expect(sent.nonce).toBe(start + 1);
    await until(async () => (await survivor.repository.get(orphanRow.id))?.status === "mined");
    expect(await survivor.repository.get(orphanRow.id)).toMatchObject({
      nonce: start,
      transactionHash: orphanRow.transactionHash,
    });
    expect(await provider.getBalance(orphanRecipient)).toBe(7n);
    expect(await provider.getTransactionCount(survivor.sender.address)).toBe(start + 2);
    // Nothing left for a later turn to send again.
    expect(await survivor.repository.unconfirmedSigned(survivor.sender.address)).toEqual([]);
  }, 60_000);

  test("with no send to come, the leftover sweep broadcasts a dead sender's transaction", async () => {
    const frozen = new FrozenBroadcasts(anvil.rpcUrl, anvil.chainId, {
      staticNetwork: true,
      cacheTimeout: -1,
      pollingInterval: 50,
    });
    const dying = await nodeProcess(5, frozen);
    const survivor = await nodeProcess(5);
    const provider = providers.at(-1) as JsonRpcProvider;
    const start = await provider.getTransactionCount(survivor.sender.address);
    const recipient = Wallet.createRandom().address;
    void dying.sender.send({ to: recipient, value: 9n }, { purpose: "orphan" }).catch(() => {});
    const orphanRow = await until(async () => {
      const [row] = await survivor.repository.unconfirmedSigned(survivor.sender.address);
      return row;
    });
    const sweep = survivor.sender.finishLeftovers();
    await dying.database.close();
    await sweep;
    await until(async () => (await survivor.repository.get(orphanRow.id))?.status === "mined");
    expect(await provider.getBalance(recipient)).toBe(9n);
    expect(await provider.getTransactionCount(survivor.sender.address)).toBe(start + 1);
    // A second sweep finds nothing and sends nothing.
    await survivor.sender.finishLeftovers();
    expect(await provider.getTransactionCount(survivor.sender.address)).toBe(start + 1);
  }, 60_000);
});
