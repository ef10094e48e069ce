import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { hashlockLockHash } from "../../protocol";
import { type Database, openDatabase } from "./database";
import { PaymentRepository } from "./payments";

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
