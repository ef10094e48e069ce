import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { Wallet } from "ethers";
import { type Database, openDatabase } from "./database";
import { IdentityError, IdentityRepository } from "./identities";

let database: Database;
let repo: IdentityRepository;
beforeAll(async () => {
  database = await openDatabase();
  repo = new IdentityRepository(database.db);
});
afterAll(() => database.close());

async function code(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => "no error",
    (error: unknown) => (error instanceof IdentityError ? error.code : String(error)),
  );
}

describe("IdentityRepository on PGlite", () => {
  test("records a key and finds it by the address in any case", async () => {
    const wallet = Wallet.createRandom();
    expect(await repo.publicKey(wallet.address)).toBeUndefined();
    await repo.record(wallet.address.toLowerCase(), wallet.signingKey.publicKey);
    expect(await repo.publicKey(wallet.address)).toBe(wallet.signingKey.publicKey);
    expect(await repo.publicKey(wallet.address.toLowerCase())).toBe(wallet.signingKey.publicKey);
  });

  test("a compressed key is stored uncompressed; recording again replaces (one row)", async () => {
    const wallet = Wallet.createRandom();
    await repo.record(wallet.address, wallet.signingKey.compressedPublicKey);
    expect(await repo.publicKey(wallet.address)).toBe(wallet.signingKey.publicKey);
    await repo.record(
      wallet.address,
      wallet.signingKey.publicKey.toUpperCase().replace("0X", "0x"),
    );
    expect(await repo.publicKey(wallet.address)).toBe(wallet.signingKey.publicKey);
    const rows = await database.db.query.identities.findMany();
    expect(rows.filter((r) => r.address === wallet.address)).toHaveLength(1);
  });

  test("a key once known is served from memory: an address's key never changes", async () => {
    const wallet = Wallet.createRandom();
    const fresh = new IdentityRepository(database.db);
    await repo.record(wallet.address, wallet.signingKey.publicKey);
    expect(await fresh.publicKey(wallet.address)).toBe(wallet.signingKey.publicKey);
    await database.db.execute(sql`delete from identities where address = ${wallet.address}`);
    expect(await fresh.publicKey(wallet.address)).toBe(wallet.signingKey.publicKey);
    expect(await repo.publicKey(wallet.address)).toBe(wallet.signingKey.publicKey);
    expect(await new IdentityRepository(database.db).publicKey(wallet.address)).toBeUndefined();
  });

  test("refuses another address's key, malformed keys and malformed addresses", async () => {
    const wallet = Wallet.createRandom();
    const other = Wallet.createRandom();
    expect(await code(repo.record(wallet.address, other.signingKey.publicKey))).toBe(
      "KEY_ADDRESS_MISMATCH",
    );
    expect(await code(repo.record(wallet.address, "0x04"))).toBe("INVALID_PUBLIC_KEY");
    expect(await code(repo.record(wallet.address, `0x04${"00".repeat(64)}`))).toBe(
      "INVALID_PUBLIC_KEY",
    );
    expect(await code(repo.record("0x1234", wallet.signingKey.publicKey))).toBe("INVALID_ADDRESS");
    expect(await code(repo.publicKey("nobody"))).toBe("INVALID_ADDRESS");
    expect(await repo.publicKey(wallet.address)).toBeUndefined();
  });
});
