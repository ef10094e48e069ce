import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { type Database, openDatabase } from "./database";
import { PendingWithdrawalRepository } from "./pendingWithdrawals";

const CHANNEL = "0xaAaAaAaaAaAaAaaAaAAAAAAAAaaaAaAaAaaAaaAa";
const A = `0x${"0a".repeat(32)}`;
const B = `0x${"0b".repeat(32)}`;

describe("PendingWithdrawalRepository on PGlite", () => {
  let database: Database;
  let pending: PendingWithdrawalRepository;

  beforeEach(async () => {
    database = await openDatabase();
    pending = new PendingWithdrawalRepository(database.db);
  });
  afterEach(async () => {
    await database.close();
  });

  test("a row added inside a transaction is held for its first sender, then due", async () => {
    await database.db.transaction(async (tx) => {
      await pending.add(tx, { transferId: A, channelAddress: CHANNEL }, 60_000);
      await pending.add(tx, { transferId: A, channelAddress: CHANNEL }, 0); // once only
    });
    await pending.add(database.db, { transferId: B, channelAddress: CHANNEL }, 0);
    expect((await pending.list()).map((r) => r.transferId)).toEqual([A, B]);
    // A is held by the sender that added it; B is due.
    expect((await pending.claimDue(10, 60_000)).map((r) => r.transferId)).toEqual([B]);
    // Claimed rows are held: a second claimer (another process) gets nothing.
    expect(await pending.claimDue(10, 60_000)).toEqual([]);
    // A node that starts makes everything due again.
    await pending.dueNow();
    expect((await pending.claimDue(10, 60_000)).map((r) => r.transferId).sort()).toEqual([A, B]);
  });

  test("a send that runs on renews its hold; one no longer renewed comes due", async () => {
    await pending.add(database.db, { transferId: A, channelAddress: CHANNEL }, 0);
    expect(await pending.claimDue(10, 0)).toHaveLength(1); // claimed, and due again at once
    // Its sender renews while it waits to be mined: another process does not get it.
    await pending.extend(A, 60_000);
    expect(await pending.claimDue(10, 60_000)).toEqual([]);
    // Its sender died: the last renewal lapses (here at once) and another process takes it.
    await pending.extend(A, 0);
    expect((await pending.claimDue(10, 60_000)).map((r) => r.transferId)).toEqual([A]);
  });

  test("a failed send counts and waits its back-off; done forgets the row", async () => {
    await pending.add(database.db, { transferId: A, channelAddress: CHANNEL }, 0);
    const [claimed] = await pending.claimDue(10, 60_000);
    expect(claimed?.attempts).toBe(0);
    await pending.failed(A, "insufficient funds", 200);
    expect(await pending.claimDue(10, 60_000)).toEqual([]);
    await Bun.sleep(250);
    const [again] = await pending.claimDue(10, 60_000);
    expect(again).toMatchObject({ transferId: A, attempts: 1, lastError: "insufficient funds" });
    await pending.done(A);
    expect(await pending.list()).toEqual([]);
  });

  test("no cut-off: a commitment pending for a month is still due", async () => {
    await pending.add(database.db, { transferId: A, channelAddress: CHANNEL }, 0);
    await database.db.execute(
      sql`update pending_withdrawals set created_at = now() - interval '30 days',
                                         next_attempt_at = now() - interval '29 days'`,
    );
    const [row] = await pending.claimDue(10, 60_000);
    expect(row?.transferId).toBe(A);
    expect(Date.now() - (row?.createdAt.getTime() ?? 0)).toBeGreaterThan(29 * 86_400_000);
  });

  test("claims come in batches, oldest due first", async () => {
    for (let i = 0; i < 5; i++) {
      await pending.add(
        database.db,
        { transferId: `0x${i.toString(16).padStart(64, "0")}`, channelAddress: CHANNEL },
        i * 10,
      );
    }
    await Bun.sleep(60);
    const first = await pending.claimDue(3, 60_000);
    const second = await pending.claimDue(3, 60_000);
    expect(first.map((r) => r.transferId.slice(-1))).toEqual(["0", "1", "2"]);
    expect(second.map((r) => r.transferId.slice(-1))).toEqual(["3", "4"]);
  });

  test("the migration makes every withdrawal resolved before it pending (cancels too: dropped when read)", async () => {
    await database.db.execute(sql`
      insert into channels (address, alice, bob, chain_id, latest_nonce, latest_state)
      values (${CHANNEL}, '0x1', '0x2', 1, 3, '{}'::json)`);
    const transfer = (id: string, status: string, meta: string | null) => sql`
      insert into transfers (transfer_id, channel_address, transfer_definition, initiator,
                             responder, asset_id, initiator_amount, responder_amount, state,
                             status, created_nonce, meta)
      values (${id}, ${CHANNEL}, '0xd', '0x1', '0x2', '0x0', 1, 0, '{}'::json, ${status}, 1,
              ${meta}::json)`;
    await database.db.execute(transfer(A, "resolved", '{"withdraw":{"recipient":"0x2"}}'));
    await database.db.execute(transfer(B, "active", '{"withdraw":{"recipient":"0x2"}}'));
    await database.db.execute(transfer(`0x${"0c".repeat(32)}`, "resolved", '{"routing":{}}'));
    await database.db.execute(transfer(`0x${"0d".repeat(32)}`, "resolved", null));
    const migration = readFileSync(
      join(import.meta.dir, "../../../drizzle/0003_withdrawals.sql"),
      "utf8",
    );
    const backfill = migration.split("--> statement-breakpoint").at(-1) as string;
    expect(backfill).toContain("INSERT INTO");
    await database.db.execute(sql.raw(backfill));
    await database.db.execute(sql.raw(backfill)); // twice: once
    expect((await pending.list()).map((r) => r.transferId)).toEqual([A]);
  });
});
