import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { rowsOf } from "./channelStore";
import { type Database, openDatabase } from "./database";
import { MAINTAINED_TABLES, scheduleMaintenance } from "./pgliteMaintenance";

describe("PGlite maintenance (autovacuum's job)", () => {
  let database: Database;
  beforeAll(async () => {
    database = await openDatabase();
  });
  afterAll(() => database.close());

  test("gives the planner statistics and clears dead rows of every busy table", async () => {
    const { db, maintain } = database;
    if (!maintain) throw new Error("PGlite offers maintenance");
    await db.execute(sql`insert into channels (address, alice, bob, chain_id, latest_nonce, latest_state)
      values ('0xc', 'a', 'b', 1, 1, '{}'::jsonb)`);
    // One row updated 500 times: 500 dead versions behind it.
    for (let nonce = 2; nonce <= 500; nonce++) {
      await db.execute(sql`update channels set latest_nonce = ${nonce} where address = '0xc'`);
    }
    const report = await maintain();
    expect(Object.keys(report.tables)).toEqual([...MAINTAINED_TABLES]);
    const [stats] = rowsOf<{ reltuples: unknown; relallvisible: unknown }>(
      await db.execute(
        sql`select reltuples, relallvisible from pg_class where relname = 'channels'`,
      ),
    );
    // Analysed: the planner knows the table holds one row.
    expect(Number(stats?.reltuples)).toBe(1);
    // Vacuumed: the dead versions are gone and the page is marked all-visible (ANALYZE alone
    // leaves relallvisible at 0).
    expect(Number(stats?.relallvisible)).toBe(1);
  });

  test("a schedule never runs two maintenances at once and reports failures", async () => {
    let running = 0;
    let most = 0;
    const reports: unknown[] = [];
    let calls = 0;
    const stop = scheduleMaintenance(
      async () => {
        calls++;
        running++;
        most = Math.max(most, running);
        await Bun.sleep(30);
        running--;
        if (calls === 2) throw new Error("disk full");
        return { tables: {}, totalMs: 30 };
      },
      (report, error) => reports.push(error ? String(error) : report),
      5,
    );
    const deadline = Date.now() + 10_000;
    while (reports.length < 3 && Date.now() < deadline) await Bun.sleep(10);
    stop();
    expect(most).toBe(1);
    expect(reports).toContain("Error: disk full");
  });
});
