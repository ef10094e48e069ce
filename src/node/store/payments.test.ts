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
    expect(await repository.reserveMirror(signed, 7, 1_900_000_000)).toBe(true);
    expect(await repository.reserveMirror(other, 8, 1_900_000_000)).toBe(true);
    expect(await repository.reserveMirror(relayed, 9, 1_900_000_000)).toBe(true);
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
});
