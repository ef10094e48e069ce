import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import postgres, { type Sql } from "postgres";
import { type ChannelLeases, postgresChannelLeases } from "../store/channelLeases";
import { openDatabase } from "../store/database";
import {
  POSTGRES_MISSING,
  type PostgresServer,
  postgresAvailable,
  startPostgres,
} from "../store/testing/postgresServer";
import { crossProcessExclusive } from "./crossProcessExclusive";

/**
 * Work owned through the database (DESIGN §3: collateral top-ups, dispute advances): runs in
 * one node process at a time, and a process that dies holding it lets another take it over
 * once its lease lapses.
 */
const available = postgresAvailable();
if (!available) console.warn(`\n!!! ${POSTGRES_MISSING}\n`);

const FAST = { ttlMs: 1_000, renewEveryMs: 100, confirmWithinMs: 400 };

describe.skipIf(!available)("cross-process exclusive work on PostgreSQL", () => {
  let server: PostgresServer;
  const clients: Sql[] = [];
  const leases: ChannelLeases[] = [];

  function nodeProcess() {
    const client = postgres(server.url, { max: 2, onnotice: () => {} });
    clients.push(client);
    const lease = postgresChannelLeases(client, FAST);
    leases.push(lease);
    return { client, lease, exclusive: crossProcessExclusive(lease) };
  }

  beforeAll(async () => {
    server = await startPostgres();
    await (await openDatabase({ databaseUrl: server.url })).close(); // migrates
  }, 60_000);

  afterAll(async () => {
    for (const lease of leases) lease.stop();
    await Promise.allSettled(clients.map((client) => client.end({ timeout: 1 })));
    await server?.stop();
  });

  test("two processes never run one key's work at once; other keys run alongside", async () => {
    const [a, b] = [nodeProcess(), nodeProcess()];
    let running = 0;
    let most = 0;
    const work = async () => {
      running += 1;
      most = Math.max(most, running);
      await Bun.sleep(30);
      running -= 1;
    };
    await Promise.all(
      Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).exclusive("collateral:x", work)),
    );
    expect(most).toBe(1);
    let other = false;
    await a.exclusive("collateral:x", async () => {
      await b.exclusive("collateral:y", async () => {
        other = true;
      });
    });
    expect(other).toBe(true);
  });

  test("a process that dies holding the work: another takes it over after the lease", async () => {
    const dying = nodeProcess();
    const survivor = nodeProcess();
    let started!: () => void;
    const holding = new Promise<void>((resolve) => {
      started = resolve;
    });
    void dying.exclusive("dispute:0xabc", async () => {
      started();
      await new Promise(() => {}); // never done: the process dies inside
    });
    await holding;
    // Dies: stops renewing and its connections go.
    dying.lease.stop();
    await dying.client.end({ timeout: 0 });
    const took = Date.now();
    const ran = await survivor.exclusive("dispute:0xabc", async () => "taken over");
    expect(ran).toBe("taken over");
    // Not before the lease ran out (a generous bound the other way: a loaded machine).
    expect(Date.now() - took).toBeGreaterThanOrEqual(FAST.ttlMs / 2);
    expect(Date.now() - took).toBeLessThan(20_000);
  }, 30_000);
});
