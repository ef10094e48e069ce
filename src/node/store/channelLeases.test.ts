import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import postgres, { type Sql } from "postgres";
import { type ChannelLeases, postgresChannelLeases } from "./channelLeases";
import { openDatabase } from "./database";
import { isStoreError } from "./errors";
import {
  POSTGRES_MISSING,
  type PostgresServer,
  postgresAvailable,
  startPostgres,
} from "./testing/postgresServer";

/**
 * Channel leases (issue 11, item 4): the cross-process channel lock holds no connection while
 * it is held, excludes other processes until it is given back, and a lease its holder stopped
 * renewing expires and is taken over, after which the old holder can sign nothing under it.
 */
const available = postgresAvailable();
if (!available) console.warn(`\n!!! ${POSTGRES_MISSING}\n`);

/** Short enough to watch expire in a test. */
const FAST = { ttlMs: 600, renewEveryMs: 50, confirmWithinMs: 200, retryMinMs: 2, retryMaxMs: 20 };

describe.skipIf(!available)("channel leases on PostgreSQL", () => {
  let server: PostgresServer;
  const clients: Sql[] = [];
  const leases: ChannelLeases[] = [];

  /** One node process: its own small pool and its own leases. */
  function process(max = 2, rules: Partial<typeof FAST> = FAST) {
    const client = postgres(server.url, { max, onnotice: () => {} });
    clients.push(client);
    const lease = postgresChannelLeases(client, rules);
    leases.push(lease);
    return { client, lease };
  }

  beforeAll(async () => {
    server = await startPostgres();
    const database = await openDatabase({ databaseUrl: server.url }); // migrates
    await database.close();
  }, 60_000);

  afterAll(async () => {
    for (const lease of leases) lease.stop();
    await Promise.all(clients.map((client) => client.end({ timeout: 1 })));
    await server?.stop();
  });

  test("the table is unlogged: a lease costs no WAL flush", async () => {
    const { client } = process();
    const [row] =
      await client`select relpersistence from pg_class where relname = 'channel_leases'`;
    expect(row?.relpersistence).toBe("u");
  });

  test("a lease excludes another process until it is given back", async () => {
    const a = process();
    const b = process();
    const held = await a.lease("0xchannel-1");
    let taken = false;
    const waiting = b.lease("0xchannel-1").then((hold) => {
      taken = true;
      return hold;
    });
    await Bun.sleep(300);
    expect(taken).toBe(false);
    await held.release();
    const second = await waiting;
    expect(taken).toBe(true);
    await second.confirm();
    await second.release();
  });

  test("held leases hold no connection: a pool of 2 holds 30 and still answers queries", async () => {
    const a = process(2);
    const b = process(2);
    const holds = await Promise.all(Array.from({ length: 30 }, (_, i) => a.lease(`0xheld-${i}`)));
    // Both pools are free for other work while all 30 are held…
    const [row] =
      await a.client`select count(*)::int as n from channel_leases where channel_key like '0xheld-%'`;
    expect(row?.n).toBe(30);
    // …and another process takes other channels at once.
    const other = await b.lease("0xother");
    await other.release();
    for (const hold of holds) await hold.confirm();
    await Promise.all(holds.map((hold) => hold.release()));
    const [after] =
      await b.client`select count(*)::int as n from channel_leases where channel_key like '0xheld-%'`;
    expect(after?.n).toBe(0);
  });

  test("renewed while held: a lease outlives its ttl as long as its process lives", async () => {
    const a = process();
    const b = process();
    const held = await a.lease("0xlong-work");
    let taken = false;
    const waiting = b.lease("0xlong-work").then((hold) => {
      taken = true;
      return hold;
    });
    await Bun.sleep(3 * FAST.ttlMs);
    expect(taken).toBe(false);
    await held.confirm();
    await held.release();
    await (await waiting).release();
  });

  test("a lease its holder stopped renewing expires; the old holder can sign nothing under it", async () => {
    const a = process();
    const b = process();
    const held = await a.lease("0xcrashed");
    a.lease.stop(); // as if the process froze or lost the database: no more renewals
    const started = performance.now();
    const taken = await b.lease("0xcrashed");
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThan(FAST.ttlMs - 100);
    // The old holder finds out before it signs anything.
    let lost: unknown;
    await held.confirm().catch((error) => {
      lost = error;
    });
    expect(isStoreError(lost, "LEASE_LOST")).toBe(true);
    // Its late release leaves the new holder's lease alone.
    await held.release();
    const [row] = await b.client`select owner from channel_leases where channel_key = '0xcrashed'`;
    expect(row).toBeDefined();
    await taken.confirm();
    await taken.release();
  });
});
