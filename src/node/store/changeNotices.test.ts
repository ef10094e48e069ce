import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { CollateralPolicies } from "../engine/collateralPolicies";
import { localChangeNotices } from "./changeNotices";
import { CollateralSettingsRepository } from "./collateralSettings";
import { type Database, openDatabase } from "./database";
import {
  POSTGRES_MISSING,
  type PostgresServer,
  postgresAvailable,
  startPostgres,
} from "./testing/postgresServer";

/**
 * DESIGN §3: a collateral policy changed through one node process applies in every process on
 * the database at once, by LISTEN/NOTIFY on PostgreSQL (in-process on PGlite).
 */
const available = postgresAvailable();
if (!available) console.warn(`\n!!! ${POSTGRES_MISSING}\n`);

const TOKEN = "0x00000000000000000000000000000000000000aa";

async function until(check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await Bun.sleep(20);
  }
}

test("local notices reach the subscribers of their topic only, until they stop", async () => {
  const notices = localChangeNotices();
  const heard: string[] = [];
  const stop = await notices.subscribe("collateral", () => heard.push("collateral"));
  await notices.subscribe("other", () => heard.push("other"));
  await notices.publish("collateral");
  await stop();
  await notices.publish("collateral");
  expect(heard).toEqual(["collateral"]);
});

describe.skipIf(!available)("change notices between node processes on PostgreSQL", () => {
  let server: PostgresServer;
  const databases: Database[] = [];

  /** One node process: its own pool, its policies reloaded at every notice. */
  async function nodeProcess() {
    const database = await openDatabase({ databaseUrl: server.url });
    databases.push(database);
    const policies = await CollateralPolicies.load(new CollateralSettingsRepository(database.db));
    await database.notices.subscribe("collateral", () => void policies.reload());
    return { database, policies };
  }

  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled(databases.map((database) => database.close()));
    await server?.stop();
  });

  test("a policy set in one process applies in the other without a restart", async () => {
    const a = await nodeProcess();
    const b = await nodeProcess();
    expect(b.policies.get(TOKEN)).toBeUndefined();

    await a.policies.set(TOKEN, { target: 100n, reclaimThreshold: 500n });
    await a.database.notices.publish("collateral");
    await until(() => b.policies.get(TOKEN)?.target === 100n);
    expect(b.policies.asRecord()[TOKEN]).toEqual({ target: 100n, reclaimThreshold: 500n });

    await b.policies.set(TOKEN, { target: 200n, reclaimThreshold: 900n });
    await b.database.notices.publish("collateral");
    await until(() => a.policies.get(TOKEN)?.target === 200n);

    await a.policies.remove(TOKEN);
    await a.database.notices.publish("collateral");
    await until(() => b.policies.get(TOKEN) === undefined);
  }, 60_000);

  test("a process whose listening connection dropped reads the policies again once back", async () => {
    const a = await nodeProcess();
    let heard = 0;
    const b = await openDatabase({ databaseUrl: server.url });
    databases.push(b);
    const policies = await CollateralPolicies.load(new CollateralSettingsRepository(b.db));
    await b.notices.subscribe("collateral", () => {
      heard += 1;
      void policies.reload();
    });
    // Stored meanwhile, its notice sent to nobody: B's listening connection is gone.
    await a.database.db.execute(
      sql`select pg_terminate_backend(pid) from pg_stat_activity where query ilike 'listen%'`,
    );
    await a.policies.set(TOKEN, { target: 300n, reclaimThreshold: 300n });
    // postgres.js listens again by itself; coming back counts as a change.
    await until(() => policies.get(TOKEN)?.target === 300n);
    expect(heard).toBeGreaterThan(0);
  }, 60_000);
});
