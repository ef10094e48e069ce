import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { hashlockLockHash } from "../../protocol";
import { rowsOf } from "./channelStore";
import { type Database, openDatabase } from "./database";
import { PaymentRepository, UNSETTLED_PAYERS } from "./payments";

const PAYER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const PAYEE = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const PRE_IMAGE = `0x${"5a".repeat(32)}`;

describe("PaymentRepository on PGlite: a mirror claimed on-chain that the node does not hold", () => {
  let database: Database;
  let repository: PaymentRepository;

  beforeEach(async () => {
    database = await openDatabase();
    repository = new PaymentRepository(database.db);
  });
  afterEach(async () => {
    await database.close();
  });

  async function open(id: string, lockHash: string): Promise<string> {
    const paymentId = `0x${id.repeat(32)}`;
    await database.db.transaction((tx) =>
      repository.open(tx, {
        paymentId,
        senderTransferId: `0x${id.repeat(31)}ff`,
        sender: PAYER,
        recipient: PAYEE,
        assetId: "0x0000000000000000000000000000000000000000",
        amount: 1000n,
        lockHash,
        expiry: 2_000_000_000,
      }),
    );
    return paymentId;
  }

  test("completes the payments whose lock the pre-image opens and that have a signed mirror", async () => {
    const lock = hashlockLockHash(PRE_IMAGE);
    const signed = await open("01", lock);
    const unsigned = await open("02", lock);
    const other = await open("03", hashlockLockHash(`0x${"6b".repeat(32)}`));
    const relayed = await open("04", lock);
    expect(await repository.reserveMirror(signed, 7, 1_900_000_000)).toEqual({ previous: null });
    expect(await repository.reserveMirror(other, 8, 1_900_000_000)).toEqual({ previous: null });
    expect(await repository.reserveMirror(relayed, 9, 1_900_000_000)).toEqual({ previous: null });
    // A later mirror of this one was stored: the one claimed on-chain may be the first.
    await database.db.transaction((tx) =>
      repository.forwarded(tx, relayed, `0x${"77".repeat(32)}`),
    );

    const claimed = await repository.claimedOnchainByLock(
      lock.toUpperCase().replace("0X", "0x"),
      PRE_IMAGE,
    );
    expect(claimed.map((payment) => payment.paymentId).sort()).toEqual([signed, relayed].sort());
    expect(claimed.every((payment) => payment.status === "completed")).toBe(true);
    expect(claimed.every((payment) => payment.preImage === PRE_IMAGE)).toBe(true);
    // A later mirror of the payment stored meanwhile changes nothing: the claimed one was
    // another. No mirror signed: nothing the payee could have claimed; another lock: untouched.
    expect((await repository.get(unsigned))?.status).toBe("pending");
    expect((await repository.get(other))?.status).toBe("pending");
    // Completed, it is never refunded, and a second report changes nothing more.
    expect((await repository.claimedOnchainByLock(lock, PRE_IMAGE)).length).toBe(2);
  });

  test("a mirror reservation gives the nonce it replaced; none once forwarded", async () => {
    const paymentId = await open("11", hashlockLockHash(PRE_IMAGE));
    expect(await repository.reserveMirror(paymentId, 4, 1_900_000_000)).toEqual({ previous: null });
    expect(await repository.reserveMirror(paymentId, 6, 1_900_000_000)).toEqual({ previous: 4 });
    // A lower nonce never moves it back.
    expect(await repository.reserveMirror(paymentId, 5, 1_900_000_000)).toEqual({ previous: 6 });
    expect((await repository.get(paymentId))?.mirrorNonce).toBe(6);
    const mirror = `0x${"88".repeat(32)}`;
    await database.db.transaction((tx) => repository.forwarded(tx, paymentId, mirror));
    expect(await repository.reserveMirror(paymentId, 9, 1_900_000_000)).toBeUndefined();
    expect((await repository.get(paymentId))?.mirrorNonce).toBe(6);
  });

  test("completing by the mirror says what the payment was, and completes only a pending one", async () => {
    const paymentId = await open("12", hashlockLockHash(PRE_IMAGE));
    const mirror = `0x${"99".repeat(32)}`;
    const complete = () =>
      database.db.transaction((tx) => repository.completeByRecipientTransfer(tx, mirror));
    expect(await complete()).toBeUndefined();
    await database.db.transaction((tx) => repository.forwarded(tx, paymentId, mirror));
    expect(await complete()).toBe("pending");
    expect((await repository.get(paymentId))?.status).toBe("completed");
    expect(await complete()).toBe("completed");
    const cancelled = await open("13", hashlockLockHash(PRE_IMAGE));
    const other = `0x${"aa".repeat(32)}`;
    await database.db.transaction((tx) => repository.forwarded(tx, cancelled, other));
    await repository.settle(database.db, cancelled, "cancelled");
    expect(
      await database.db.transaction((tx) => repository.completeByRecipientTransfer(tx, other)),
    ).toBe("cancelled");
    expect((await repository.get(cancelled))?.status).toBe("cancelled");
  });
});

describe("unsettled payers, with a long history", () => {
  test("are found from the active transfers, never by scanning completed payments", async () => {
    const database = await openDatabase();
    try {
      const { db } = database;
      const HISTORY = 3_000;
      await db.execute(
        sql.raw(`insert into channels (address, alice, bob, chain_id, latest_nonce, latest_state)
        values ('0xc1', 'a', 'b', 1, 1, '{"timeout":"86400"}')`),
      );
      // A history of settled payments, and two whose payer has not taken the resolve.
      await db.execute(
        sql.raw(`insert into transfers (transfer_id, channel_address, transfer_definition,
          initiator, responder, asset_id, initiator_amount, responder_amount, state, status,
          position, created_nonce)
        select 's' || i, '0xc1', 'hashlock', 'a', 'b', '0x0', 1, 0, '{}',
               case when i > ${HISTORY} then 'active' else 'resolved' end,
               case when i > ${HISTORY} then i - ${HISTORY} - 1 end, i
        from generate_series(1, ${HISTORY + 2}) i`),
      );
      await db.execute(
        sql.raw(`insert into payments (payment_id, sender_transfer_id, sender, recipient,
          asset_id, amount, lock_hash, expiry, status)
        select 'p' || i, 's' || i, '0xA', '0xB', '0x0', 1, 'h', 7, 'completed'
        from generate_series(1, ${HISTORY + 2}) i`),
      );
      const repository = new PaymentRepository(db);
      const plan = async () => {
        const result = await db.execute(sql`explain (format json) ${UNSETTLED_PAYERS}`);
        return JSON.stringify(rowsOf(result));
      };
      for (const moment of ["before statistics", "after maintenance"]) {
        if (moment === "after maintenance") await database.maintain?.();
        const unsettled = await repository.unsettledPayers();
        expect(unsettled.map((row) => row.paymentId).sort()).toEqual([
          `p${HISTORY + 1}`,
          `p${HISTORY + 2}`,
        ]);
        expect(unsettled[0]).toMatchObject({ expiry: 7, channelTimeout: 86_400, payer: "0xA" });
        const explained = await plan();
        expect(explained).toContain("payments_sender_transfer_idx");
        expect(explained).not.toContain("payments_status_idx");
        expect(explained).not.toMatch(/"Seq Scan"[^}]*"Relation Name": "payments"/);
      }
    } finally {
      await database.close();
    }
  });
});

describe("a payee's inbound demand", () => {
  test("sums what waits to be forwarded and what completed within the window, nothing else", async () => {
    const database = await openDatabase();
    try {
      const { db } = database;
      // [id, recipient, asset, amount, status, forwarded, updated hours ago]
      const rows: [string, string, string, number, string, boolean, number][] = [
        ["w1", "0xB", "0xE", 1, "pending", false, 0],
        ["w2", "0xB", "0xE", 2, "pending", false, 30],
        ["f1", "0xB", "0xE", 4, "pending", true, 0],
        ["c1", "0xB", "0xE", 8, "completed", true, 1],
        ["c2", "0xB", "0xE", 16, "completed", true, 23],
        ["old", "0xB", "0xE", 32, "completed", true, 25],
        ["x1", "0xB", "0xE", 64, "cancelled", true, 0],
        ["a1", "0xB", "0xF", 128, "completed", true, 0],
        ["r1", "0xC", "0xE", 256, "completed", true, 0],
        ["r2", "0xC", "0xE", 512, "pending", false, 0],
      ];
      for (const [id, recipient, asset, amount, status, forwarded, hoursAgo] of rows) {
        await db.execute(sql`insert into payments (payment_id, sender_transfer_id,
            recipient_transfer_id, sender, recipient, asset_id, amount, lock_hash, expiry, status,
            updated_at)
          values (${id}, ${`s${id}`}, ${forwarded ? `r${id}` : null}, '0xA', ${recipient},
                  ${asset}, ${amount}, 'h', 0, ${status},
                  now() - ${hoursAgo} * interval '1 hour')`);
      }
      const repository = new PaymentRepository(db);
      const since = new Date(Date.now() - 24 * 3_600_000);
      const expected = { waiting: 3n, completed: 24n };
      expect(await repository.inboundDemand("0xB", "0xE", since)).toEqual(expected);
      await database.maintain?.();
      expect(await repository.inboundDemand("0xB", "0xE", since)).toEqual(expected);
      expect(await repository.inboundDemand("0xD", "0xE", since)).toEqual({
        waiting: 0n,
        completed: 0n,
      });
    } finally {
      await database.close();
    }
  });
});
