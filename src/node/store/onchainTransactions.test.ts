import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { type Database, openDatabase } from "./database";
import { OnchainTransactionRepository } from "./onchainTransactions";

const NODE = "0x1111111111111111111111111111111111111111";
const CHANNEL_A = "0xaAaAaAaaAaAaAaaAaAAAAAAAAaaaAaAaAaaAaaAa";
const CHANNEL_B = "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB";
const HASH = `0x${"ab".repeat(32)}`;

describe("OnchainTransactionRepository on PGlite", () => {
  let database: Database;
  let repo: OnchainTransactionRepository;

  beforeEach(async () => {
    database = await openDatabase();
    repo = new OnchainTransactionRepository(database.db);
  });
  afterEach(async () => {
    await database.close();
  });

  test("a transaction goes pending → submitted → mined", async () => {
    const id = await repo.create({
      channelAddress: CHANNEL_A,
      purpose: "deploy",
      fromAddress: NODE,
    });
    const pending = await repo.get(id);
    expect(pending).toMatchObject({
      channelAddress: CHANNEL_A,
      purpose: "deploy",
      fromAddress: NODE,
      status: "pending",
      attempts: 0,
      nonce: null,
      transactionHash: null,
    });

    await repo.markSubmitted(id, { hash: HASH, nonce: 7, attempts: 2 });
    expect(await repo.get(id)).toMatchObject({
      status: "submitted",
      transactionHash: HASH,
      nonce: 7,
      attempts: 2,
    });

    await repo.markMined(id, 52_417n);
    const mined = await repo.get(id);
    expect(mined?.status).toBe("mined");
    expect(mined?.gasUsed).toBe("52417");
    expect(mined?.error).toBeNull();
    expect(mined?.updatedAt.getTime()).toBeGreaterThanOrEqual(
      pending?.updatedAt.getTime() as number,
    );
  });

  test("a failure keeps its error message", async () => {
    const id = await repo.create({ purpose: "withdraw", fromAddress: NODE });
    await repo.markFailed(id, "reverted: WithdrawalAlreadyExecuted");
    expect(await repo.get(id)).toMatchObject({
      channelAddress: null,
      status: "failed",
      error: "reverted: WithdrawalAlreadyExecuted",
    });
  });

  test("lists newest first, by channel, within a limit", async () => {
    const a1 = await repo.create({
      channelAddress: CHANNEL_A,
      purpose: "deploy",
      fromAddress: NODE,
    });
    const b1 = await repo.create({
      channelAddress: CHANNEL_B,
      purpose: "deposit",
      fromAddress: NODE,
    });
    const a2 = await repo.create({
      channelAddress: CHANNEL_A,
      purpose: "deposit",
      fromAddress: NODE,
    });

    expect((await repo.list()).map((row) => row.id)).toEqual([a2, b1, a1]);
    expect((await repo.list({ channelAddress: CHANNEL_A })).map((row) => row.id)).toEqual([a2, a1]);
    expect((await repo.list({ limit: 1 })).map((row) => row.id)).toEqual([a2]);
    expect(await repo.list({ channelAddress: NODE })).toEqual([]);
  });

  test("counts every status, zeros included", async () => {
    expect(await repo.countByStatus()).toEqual({ pending: 0, submitted: 0, mined: 0, failed: 0 });
    const ids = await Promise.all(
      [1, 2, 3, 4].map(() => repo.create({ purpose: "deposit", fromAddress: NODE })),
    );
    await repo.markSubmitted(ids[0] as number, { hash: HASH, nonce: 0, attempts: 1 });
    await repo.markMined(ids[1] as number);
    await repo.markFailed(ids[2] as number, "boom");
    expect(await repo.countByStatus()).toEqual({ pending: 1, submitted: 1, mined: 1, failed: 1 });
  });
});
