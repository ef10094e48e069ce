import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import pino from "pino";
import { type FullTransferState, privateKeySigner, withdraw } from "../../protocol";
import { withdrawDigest } from "../../protocol/hashing";
import { type Database, openDatabase } from "../store/database";
import { PendingWithdrawalRepository } from "../store/pendingWithdrawals";
import type { ChannelService } from "./channelService";
import { type SignedWithdrawal, Withdrawals } from "./withdrawals";

const NODE = privateKeySigner(`0x${"11".repeat(32)}`);
const USER = privateKeySigner(`0x${"22".repeat(32)}`);
const CHANNEL = "0xaAaAaAaaAaAaAaaAaAAAAAAAAaaaAaAaAaaAaaAa";
const WITHDRAW = "0x000000000000000000000000000000000000dEaD";
const ETH = "0x0000000000000000000000000000000000000000";
const CHAIN_ID = 1337;

/** A user's withdrawal of `amount`, resolved by the node with its signature (or cancelled). */
async function resolvedWithdrawal(
  transferId: string,
  amount: bigint,
  cancelled = false,
): Promise<FullTransferState> {
  const nonce = 3n;
  const data = withdrawDigest(
    { channelAddress: CHANNEL, assetId: ETH, recipient: USER.address, amount, nonce },
    CHAIN_ID,
  );
  return {
    channelAddress: CHANNEL,
    transferId,
    transferDefinition: WITHDRAW,
    initiator: USER.address,
    responder: NODE.address,
    assetId: ETH,
    balance: { to: [USER.address, NODE.address], amount: [amount, 0n] },
    transferTimeout: 3600,
    initialStateHash: `0x${"00".repeat(32)}`,
    chainId: CHAIN_ID,
    transferState: withdraw.encodeState({
      initiatorSignature: await USER.signDigest(data),
      initiator: USER.address,
      responder: NODE.address,
      data,
      nonce,
      fee: 0n,
    }),
    transferResolver: withdraw.encodeResolver({
      responderSignature: cancelled ? "0x" : await NODE.signDigest(data),
    }),
    channelNonce: 3,
    meta: { withdraw: { recipient: USER.address } },
  };
}

const id = (n: number) => `0x${n.toString(16).padStart(64, "0")}`;

describe("Withdrawals: every countersigned commitment is sent until executed (issue 11)", () => {
  let database: Database;
  let pending: PendingWithdrawalRepository;
  let withdrawals: Withdrawals | undefined;
  const background: Promise<unknown>[] = [];

  beforeEach(async () => {
    database = await openDatabase();
    pending = new PendingWithdrawalRepository(database.db);
  });
  afterEach(async () => {
    withdrawals?.stop();
    await Promise.allSettled(background);
    await database.close();
  });

  function start(
    transfers: Map<string, FullTransferState>,
    submit: (args: SignedWithdrawal, transferId: string) => Promise<{ alreadyExecuted?: boolean }>,
    notified: { transferId: string; status: string }[] = [],
    cluster: { shared?: boolean; holdMs?: number } = {},
  ): Withdrawals {
    withdrawals = new Withdrawals({
      signer: NODE,
      chainId: CHAIN_ID,
      withdrawAddress: WITHDRAW,
      channels: {} as ChannelService,
      policies: {},
      submit: async (args, transferId) => ({
        transactionHash: `0x${"ee".repeat(32)}`,
        ...(await submit(args, transferId)),
      }),
      pending,
      transfer: async (transferId) => transfers.get(transferId),
      retry: {
        intervalMs: 20,
        baseDelayMs: 100,
        maxDelayMs: 400,
        holdMs: cluster.holdMs ?? 60_000,
      },
      ...(cluster.shared ? { shared: true } : {}),
      notify: (_user, event) => notified.push(event),
      track: (work) => background.push(work),
      logger: pino({ level: "silent" }),
    });
    background.push(withdrawals.start());
    return withdrawals;
  }

  test("several processes: a starting one leaves a row another holds, and takes it once that one stops renewing", async () => {
    const transfer = await resolvedWithdrawal(id(7), 5n);
    // Held by another process, in the middle of sending it.
    await pending.add(database.db, { transferId: id(7), channelAddress: CHANNEL }, 60_000);
    let sends = 0;
    start(
      new Map([[id(7), transfer]]),
      async () => {
        sends += 1;
        return {};
      },
      [],
      { shared: true },
    );
    await Bun.sleep(300); // 15 looks of the timer
    expect(sends).toBe(0);
    // That process died: its hold lapses (here at once) and this one sends the commitment.
    await pending.extend(id(7), 0);
    const deadline = Date.now() + 10_000;
    while ((await pending.list()).length > 0 && Date.now() < deadline) await Bun.sleep(20);
    expect(sends).toBe(1);
    expect(await pending.list()).toEqual([]);
  });

  test("a send that runs longer than the hold keeps it: no other process gets the row meanwhile", async () => {
    const transfer = await resolvedWithdrawal(id(8), 5n);
    await pending.add(database.db, { transferId: id(8), channelAddress: CHANNEL }, 0);
    let release: () => void = () => {};
    const mined = new Promise<void>((resolve) => {
      release = resolve;
    });
    let sends = 0;
    start(
      new Map([[id(8), transfer]]),
      async () => {
        sends += 1;
        await mined; // waiting to be mined, far longer than the hold
        return {};
      },
      [],
      { shared: true, holdMs: 1_500 },
    );
    const deadline = Date.now() + 10_000;
    while (sends === 0 && Date.now() < deadline) await Bun.sleep(20);
    expect(sends).toBe(1);
    // Past the first hold twice over, the row is still held (renewed every 500 ms).
    for (let look = 0; look < 4; look++) {
      await Bun.sleep(1_000);
      expect(await pending.claimDue(10, 60_000)).toEqual([]);
    }
    release();
    while ((await pending.list()).length > 0 && Date.now() < deadline + 10_000) await Bun.sleep(20);
    expect(await pending.list()).toEqual([]);
    expect(sends).toBe(1);
  });

  test("a send that fails (out of gas) is sent again on the timer, later each time, until it is executed", async () => {
    const transfer = await resolvedWithdrawal(id(1), 5n);
    await pending.add(database.db, { transferId: id(1), channelAddress: CHANNEL }, 0);
    // Resolved a month ago: there is no look-back window.
    await database.db.execute(
      sql`update pending_withdrawals set created_at = now() - interval '30 days'`,
    );
    const sends: { at: number; args: SignedWithdrawal }[] = [];
    const notified: { transferId: string; status: string }[] = [];
    start(
      new Map([[id(1), transfer]]),
      async (args) => {
        sends.push({ at: Date.now(), args });
        if (sends.length <= 3) throw new Error("insufficient funds for gas * price + value");
        return {};
      },
      notified,
    );
    const deadline = Date.now() + 10_000;
    while ((await pending.list()).length > 0 && Date.now() < deadline) await Bun.sleep(20);
    expect(await pending.list()).toEqual([]);
    expect(sends).toHaveLength(4);
    // The back-off doubles: 100, 200, 400 ms (the timer looks every 20 ms).
    const gaps = sends.slice(1).map((s, i) => s.at - (sends[i] as { at: number }).at);
    expect(gaps[0]).toBeGreaterThanOrEqual(90);
    expect(gaps[1]).toBeGreaterThanOrEqual(190);
    expect(gaps[2]).toBeGreaterThanOrEqual(390);
    // The commitment sent is the user's withdrawal with both signatures.
    const { args } = sends[3] as { args: SignedWithdrawal };
    expect(args.commitment).toMatchObject({ recipient: USER.address, amount: 5n, nonce: 3n });
    expect(args.bob).toBe(USER.address);
    // The user is told of the first failure and of the execution, not of every retry.
    expect(notified.map((n) => n.status)).toEqual(["failed", "confirmed"]);
  });

  test("an executed commitment (the user sent it) and a cancelled withdrawal are forgotten, not sent", async () => {
    const executed = await resolvedWithdrawal(id(2), 7n);
    const cancelled = await resolvedWithdrawal(id(3), 9n, true);
    for (const transferId of [id(2), id(3), id(4)]) {
      await pending.add(database.db, { transferId, channelAddress: CHANNEL }, 0);
    }
    const sent: string[] = [];
    const notified: { transferId: string; status: string }[] = [];
    start(
      new Map([
        [id(2), executed],
        [id(3), cancelled],
      ]),
      async (_args, transferId) => {
        sent.push(transferId);
        return { alreadyExecuted: true };
      },
      notified,
    );
    const deadline = Date.now() + 5_000;
    while ((await pending.list()).length > 0 && Date.now() < deadline) await Bun.sleep(20);
    expect(await pending.list()).toEqual([]);
    expect(sent).toEqual([id(2)]);
    expect(notified).toEqual([]);
  });
});
