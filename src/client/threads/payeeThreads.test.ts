import { describe, expect, test } from "bun:test";
import { Wallet } from "ethers";
import {
  type DefinitionDeployment,
  recoverVoucherSigner,
  threadVoucherDigest,
} from "../../protocol/definitions";
import { decodeReply } from "../../protocol/messaging";
import {
  encodeThreadMessage,
  type ThreadReply,
  threadReplySchema,
  type WireVoucher,
} from "../../protocol/threadMessages";
import { MemoryStore } from "../store/memory";
import { type PayeeThreadState, PayeeThreads } from "./payeeThreads";
import { ThreadRecords } from "./records";

/**
 * The payee's side against real signatures and a real (in-memory) store: every refusal has its
 * code and changes nothing; a voucher is acknowledged only once stored.
 */
const payer = Wallet.createRandom();
const stranger = Wallet.createRandom();
const deployment: DefinitionDeployment = {
  chainId: 1337,
  definition: "0x00000000000000000000000000000000000000Aa",
};
const THREAD = `0x${"ab".repeat(32)}`;
const OTHER_THREAD = `0x${"cd".repeat(32)}`;

function voucher(amount: bigint, signer = payer, threadId = THREAD, where = deployment) {
  const digest = threadVoucherDigest({ threadId, amount }, where);
  return { amount, signature: signer.signingKey.sign(digest).serialized.toLowerCase() };
}

type Answer = { ok: true; result: ThreadReply } | { ok: false; error: { code: string } };

async function setup(failWrites = false) {
  const store = new MemoryStore();
  if (failWrites) {
    store.set = async () => {
      throw new Error("disk full");
    };
  }
  const records = new ThreadRecords(store, "test");
  const received: bigint[] = [];
  const resolved: (WireVoucher | undefined)[] = [];
  const threads = new PayeeThreads({
    records,
    signedByPayer: (thread, v) => {
      try {
        const signer = recoverVoucherSigner(
          { threadId: thread.threadId, amount: v.amount },
          v.signature,
          deployment,
        );
        return signer.toLowerCase() === thread.payer.toLowerCase();
      } catch {
        return false;
      }
    },
    resolve: async (thread: PayeeThreadState) => {
      resolved.push(thread.latest);
    },
    received: (thread) => received.push(thread.latest?.amount ?? 0n),
    closed: () => {},
  });
  await threads.register({
    threadId: THREAD,
    transferId: `0x${"01".repeat(32)}`,
    payer: payer.address,
    assetId: "0x0000000000000000000000000000000000000000",
    lock: 100n,
    expiry: 2_000_000_000,
  });
  /** Sends one message as `from` and returns the payee's answer. */
  const send = (message: unknown, from = payer.address): Promise<Answer> =>
    new Promise((resolve) => {
      const data =
        typeof message === "string"
          ? new TextEncoder().encode(message)
          : new TextEncoder().encode(encodeThreadMessage(message as never));
      threads.receive({
        from: from.toLowerCase(),
        data,
        respond: (reply) => resolve(decodeReply<ThreadReply>(reply, threadReplySchema) as Answer),
      });
    });
  return { threads, records, received, resolved, send };
}

const code = (answer: Answer) => (answer.ok ? "ok" : answer.error.code);

describe("a payee's threads", () => {
  test("a voucher is stored, then acknowledged with what the payee holds", async () => {
    const { send, records, received } = await setup();
    const answer = await send({ type: "voucher", threadId: THREAD, voucher: voucher(10n) });
    expect(answer.ok && answer.result.latest?.amount).toBe(10n);
    expect((await records.load(THREAD))?.amount).toBe(10n);
    expect(received).toEqual([10n]);
  });

  test("every bad voucher is refused with its code and changes nothing", async () => {
    const { send, records, received } = await setup();
    await send({ type: "voucher", threadId: THREAD, voucher: voucher(10n) });
    const cases: [string, unknown, string?][] = [
      ["VOUCHER_FORGED", { type: "voucher", threadId: THREAD, voucher: voucher(20n, stranger) }],
      [
        "VOUCHER_FORGED",
        { type: "voucher", threadId: THREAD, voucher: voucher(20n, payer, OTHER_THREAD) },
      ],
      [
        "VOUCHER_FORGED",
        {
          type: "voucher",
          threadId: THREAD,
          voucher: voucher(20n, payer, THREAD, { ...deployment, chainId: 1 }),
        },
      ],
      ["VOUCHER_STALE", { type: "voucher", threadId: THREAD, voucher: voucher(5n) }],
      ["VOUCHER_REPLAYED", { type: "voucher", threadId: THREAD, voucher: voucher(10n) }],
      ["VOUCHER_ABOVE_LOCK", { type: "voucher", threadId: THREAD, voucher: voucher(101n) }],
      ["THREAD_UNKNOWN", { type: "voucher", threadId: OTHER_THREAD, voucher: voucher(20n) }],
      // Another user, publishing as itself, for this thread.
      [
        "THREAD_UNKNOWN",
        { type: "voucher", threadId: THREAD, voucher: voucher(20n) },
        stranger.address,
      ],
      ["MALFORMED_MESSAGE", "{not json"],
      ["MALFORMED_MESSAGE", { type: "voucher", threadId: THREAD }],
      ["MESSAGE_TOO_LARGE", JSON.stringify({ padding: "x".repeat(2_000) })],
    ];
    for (const [expected, message, from] of cases) {
      expect(code(await send(message, from))).toBe(expected);
    }
    expect((await records.load(THREAD))?.amount).toBe(10n);
    expect(received).toEqual([10n]);
  });

  test("vouchers arriving together: the highest valid one is written once and covers the rest", async () => {
    const { send, records, received } = await setup();
    const answers = await Promise.all([
      send({ type: "voucher", threadId: THREAD, voucher: voucher(1n) }),
      send({ type: "voucher", threadId: THREAD, voucher: voucher(3n) }),
      send({ type: "voucher", threadId: THREAD, voucher: voucher(2n) }),
      send({ type: "voucher", threadId: THREAD, voucher: voucher(6n) }),
    ]);
    expect(answers.map(code)).toEqual(["ok", "ok", "ok", "ok"]);
    expect(answers.map((a) => a.ok && a.result.latest?.amount)).toEqual([6n, 6n, 6n, 6n]);
    expect((await records.load(THREAD))?.amount).toBe(6n);
    expect(received).toEqual([6n]);
  });

  test("a forged voucher on top of a batch is refused; the highest valid one below it is kept", async () => {
    const { send, records, received } = await setup();
    const answers = await Promise.all([
      send({ type: "voucher", threadId: THREAD, voucher: voucher(4n) }),
      send({ type: "voucher", threadId: THREAD, voucher: voucher(9n, stranger) }),
      send({ type: "voucher", threadId: THREAD, voucher: voucher(5n) }),
    ]);
    expect(answers.map(code)).toEqual(["ok", "VOUCHER_FORGED", "ok"]);
    expect((await records.load(THREAD))?.amount).toBe(5n);
    expect(received).toEqual([5n]);
  });

  test("a store that fails: nothing acknowledged, nothing held", async () => {
    const { send, threads } = await setup(true);
    expect(code(await send({ type: "voucher", threadId: THREAD, voucher: voucher(1n) }))).toBe(
      "STORE_FAILED",
    );
    expect(threads.get(THREAD)?.latest).toBeUndefined();
  });

  test("a payer's close with an older voucher: the payee closes with its newer one", async () => {
    const { send, resolved } = await setup();
    await send({ type: "voucher", threadId: THREAD, voucher: voucher(30n) });
    const answer = await send({ type: "close", threadId: THREAD, voucher: voucher(20n) });
    expect(code(answer)).toBe("ok");
    expect(resolved.map((v) => v?.amount)).toEqual([30n]);
    // Closed: no more vouchers.
    expect(code(await send({ type: "voucher", threadId: THREAD, voucher: voucher(40n) }))).toBe(
      "THREAD_UNKNOWN",
    );
  });

  test("a payer's close with a higher voucher than the payee holds: the higher one wins", async () => {
    const { send, resolved } = await setup();
    await send({ type: "voucher", threadId: THREAD, voucher: voucher(30n) });
    await send({ type: "close", threadId: THREAD, voucher: voucher(35n) });
    expect(resolved.map((v) => v?.amount)).toEqual([35n]);
  });

  test("a close without any voucher cancels", async () => {
    const { send, resolved } = await setup();
    await send({ type: "close", threadId: THREAD });
    expect(resolved).toEqual([undefined]);
  });

  test("after a restart the latest voucher is read back from the store", async () => {
    const { send, records } = await setup();
    await send({ type: "voucher", threadId: THREAD, voucher: voucher(12n) });
    const again = new PayeeThreads({
      records,
      signedByPayer: () => true,
      resolve: async () => {},
      received: () => {},
      closed: () => {},
    });
    const state = await again.register({
      threadId: THREAD,
      transferId: `0x${"01".repeat(32)}`,
      payer: payer.address,
      assetId: "0x0000000000000000000000000000000000000000",
      lock: 100n,
      expiry: 2_000_000_000,
    });
    expect(state.latest?.amount).toBe(12n);
  });
});
