import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { NatsConnection } from "@nats-io/nats-core";
import { parseEther, ZeroAddress } from "ethers";
import type { ConnextClient } from "../../client";
import type { PayeeThread } from "../../client/threads/handles";
import { decodeUpdateMessage, ProtocolError } from "../../protocol";
import { DEFAULT_CLAIM_BUFFER_SECONDS } from "../../protocol/expiries";
import { expectChannelsAgree, waitFor } from "../expectations";
import { type Stack, startStack } from "../stack";
import {
  askRaw,
  codeOf,
  deploymentOf,
  nodeSide,
  openThread,
  rawConnection,
  voucher,
} from "./threadHelpers";

/**
 * Closing a thread when the two sides disagree or one is away (DESIGN §4.8): a payer offering
 * an older (or a forged higher) voucher does not lower (or raise) what the payee closes with;
 * a payee that is away resolves nothing until it is back, and then closes with its latest.
 */
const ETH = ZeroAddress;
const LOCK = parseEther("0.01");
const STEP = 3_000_000_000n;

let stack: Stack;
let payer: ConnextClient;
let payee: ConnextClient;
let rawPayer: NatsConnection;
/** A transfer whose resolve the node refuses (once), to make a payee's close fail. */
let refuseResolveOf: string | undefined;

beforeAll(async () => {
  stack = await startStack({
    node: {
      intercept: async (request, handle) => {
        if (request.method === "update" && refuseResolveOf) {
          const { update } = decodeUpdateMessage(request.data);
          const details = update.details as { transferId?: string };
          if (update.type === "resolve" && details.transferId === refuseResolveOf) {
            refuseResolveOf = undefined;
            throw new ProtocolError("TRANSFER_REJECTED", "refused once by the test");
          }
        }
        return handle();
      },
    },
  });
  [payer, payee] = await Promise.all([stack.client(1), stack.client(2)]);
  await payer.deposit({ assetId: ETH, amount: parseEther("1") });
  rawPayer = await rawConnection(stack, 1);
}, 240_000);

afterAll(async () => {
  await rawPayer?.close();
  await stack?.stop();
});

/** What the client's janitor does every 30 s: looks at the payments and threads paid to it. */
function janitorRound(client: ConnextClient): void {
  (client as unknown as { reactions: { settleReceived(): void } }).reactions.settleReceived();
}

/** Resolves with what the payer's `thread.closed` says the thread paid. */
function payerClosed(threadId: string): Promise<bigint> {
  return new Promise((resolve) => {
    const listener = ({ threadId: id, paid }: { threadId: string; paid: bigint }) => {
      if (id !== threadId) return;
      payer.off("thread.closed", listener);
      resolve(paid);
    };
    payer.on("thread.closed", listener);
  });
}

/** Both users' balances here and at the node, and neither channel holds a transfer. */
async function expectSettled(payerUser: bigint, payeeUser: bigint): Promise<void> {
  await waitFor(() => payer.getBalance(ETH).user === payerUser, 15_000);
  await waitFor(() => payee.getBalance(ETH).user === payeeUser, 15_000);
  expect(payer.getTransfers()).toHaveLength(0);
  expect(payee.getTransfers()).toHaveLength(0);
  const [ofPayer, ofPayee] = await Promise.all([nodeSide(stack, 1, ETH), nodeSide(stack, 2, ETH)]);
  expect(ofPayer.user).toBe(payerUser);
  expect(ofPayer.transferIds).toEqual([]);
  expect(ofPayee.user).toBe(payeeUser);
  expect(ofPayee.transferIds).toEqual([]);
  await expectChannelsAgree(stack, payer);
  await expectChannelsAgree(stack, payee);
}

describe("closing races", () => {
  test("the payer closes offering an older voucher: the payee closes with its newer one", async () => {
    const payerBefore = payer.getBalance(ETH).user;
    const payeeBefore = payee.getBalance(ETH).user;
    const { thread, received } = await openThread(payer, payee, ETH, LOCK);
    for (let i = 0; i < 5; i++) await thread.pay(STEP);
    const total = STEP * 5n;
    expect(received.received).toBe(total);

    const closed = payerClosed(thread.id);
    const older = voucher(stack.wallet(1), thread.id, STEP * 2n, deploymentOf(stack));
    const answer = await askRaw(rawPayer, payee.identifier, payer.identifier, {
      type: "close",
      threadId: thread.id,
      voucher: older,
    });
    if (!answer.ok) throw new Error(`close refused: ${answer.error.code}`);
    expect(answer.result.latest?.amount).toBe(total);
    expect(answer.result.closed).toBe(true);
    expect(await closed).toBe(total);
    await expectSettled(payerBefore - total, payeeBefore + total);
  }, 60_000);

  test("the payer closes offering a forged higher voucher: the payee closes with its own", async () => {
    const payerBefore = payer.getBalance(ETH).user;
    const payeeBefore = payee.getBalance(ETH).user;
    const { thread, received } = await openThread(payer, payee, ETH, LOCK);
    for (let i = 0; i < 3; i++) await thread.pay(STEP);
    const total = STEP * 3n;
    expect(received.received).toBe(total);

    const closed = payerClosed(thread.id);
    // Signed by the payee's own key: a payee cannot be tricked into holding a voucher that fails.
    const forged = voucher(stack.wallet(2), thread.id, LOCK, deploymentOf(stack));
    const answer = await askRaw(rawPayer, payee.identifier, payer.identifier, {
      type: "close",
      threadId: thread.id,
      voucher: forged,
    });
    if (!answer.ok) throw new Error(`close refused: ${answer.error.code}`);
    expect(answer.result.latest?.amount).toBe(total);
    expect(await closed).toBe(total);
    await expectSettled(payerBefore - total, payeeBefore + total);
  }, 60_000);

  test("pay() to a payee that is away: PAYEE_OFFLINE, nothing paid; once it is back, pay works", async () => {
    const payerBefore = payer.getBalance(ETH).user;
    const payeeBefore = payee.getBalance(ETH).user;
    const { thread, received } = await openThread(payer, payee, ETH, LOCK);
    await thread.pay(STEP);
    await thread.pay(STEP);
    expect(thread.paid).toBe(STEP * 2n);

    await payee.close();
    expect(await codeOf(thread.pay(STEP))).toBe("PAYEE_OFFLINE");
    expect(thread.paid).toBe(STEP * 2n);
    expect(await codeOf(thread.pay(STEP))).toBe("PAYEE_OFFLINE");
    expect(thread.paid).toBe(STEP * 2n);
    expect(received.received).toBe(STEP * 2n);

    payee = await stack.client(2);
    const back = payee.getThreads().find((t) => t.id === thread.id) as PayeeThread | undefined;
    expect(back?.role).toBe("payee");
    expect((back as PayeeThread).received).toBe(STEP * 2n);
    await thread.pay(STEP);
    expect(thread.paid).toBe(STEP * 3n);
    expect((back as PayeeThread).received).toBe(STEP * 3n);

    const total = STEP * 3n;
    const closed = payerClosed(thread.id);
    expect((await thread.close()).paid).toBe(total);
    expect(await closed).toBe(total);
    await expectSettled(payerBefore - total, payeeBefore + total);
  }, 60_000);

  test("the payer closes while the payee is away: PAYEE_OFFLINE, nothing resolved; the payee closes when back", async () => {
    const payerBefore = payer.getBalance(ETH).user;
    const payeeBefore = payee.getBalance(ETH).user;
    const { thread, received } = await openThread(payer, payee, ETH, LOCK);
    for (let i = 0; i < 4; i++) await thread.pay(STEP);
    const total = STEP * 4n;
    expect(received.received).toBe(total);
    const payerLock = payer.getTransfers().map((t) => t.transferId);
    const payeeLock = payee.getTransfers().map((t) => t.transferId);
    expect(payerLock).toHaveLength(1);
    expect(payeeLock).toHaveLength(1);
    const payeeNonce = (await nodeSide(stack, 2, ETH)).nonce;

    await payee.close();
    const closed = payerClosed(thread.id);
    expect(await codeOf(thread.close())).toBe("PAYEE_OFFLINE");
    // Nothing is resolved on either side: both locks stand, both balances as they were.
    const [ofPayer, ofPayee] = await Promise.all([
      nodeSide(stack, 1, ETH),
      nodeSide(stack, 2, ETH),
    ]);
    expect(ofPayer.transferIds).toEqual(payerLock);
    expect(ofPayer.user).toBe(payerBefore - LOCK);
    expect(payer.getTransfers().map((t) => t.transferId)).toEqual(payerLock);
    expect(payer.getBalance(ETH).user).toBe(payerBefore - LOCK);
    expect(ofPayee.transferIds).toEqual(payeeLock);
    expect(ofPayee.user).toBe(payeeBefore);
    expect(ofPayee.nonce).toBe(payeeNonce);

    payee = await stack.client(2);
    expect(payee.getTransfers().map((t) => t.transferId)).toEqual(payeeLock);
    const back = payee.getThreads().find((t) => t.id === thread.id) as PayeeThread | undefined;
    expect(back?.role).toBe("payee");
    expect((back as PayeeThread).received).toBe(total);
    expect((await (back as PayeeThread).close()).paid).toBe(total);
    expect(await closed).toBe(total);
    await expectSettled(payerBefore - total, payeeBefore + total);
  }, 60_000);

  test("a close the node refused leaves everything as it was; the payee's retry closes exact", async () => {
    const payerBefore = payer.getBalance(ETH).user;
    const payeeBefore = payee.getBalance(ETH).user;
    const { thread, received } = await openThread(payer, payee, ETH, LOCK);
    for (let i = 0; i < 3; i++) await thread.pay(STEP);
    const total = STEP * 3n;
    const [lock] = payee.getTransfers();
    const payerLock = payer.getTransfers().map((t) => t.transferId);

    // The node refuses the payee's resolve once: the close fails, nothing is resolved.
    refuseResolveOf = lock?.transferId;
    expect(await codeOf(received.close())).toBe("TRANSFER_REJECTED");
    expect(payee.getTransfers().map((t) => t.transferId)).toEqual([lock?.transferId as string]);
    expect(payer.getTransfers().map((t) => t.transferId)).toEqual(payerLock);
    expect(payee.getBalance(ETH).user).toBe(payeeBefore);
    expect(payer.getBalance(ETH).user).toBe(payerBefore - LOCK);
    const [ofPayer, ofPayee] = await Promise.all([
      nodeSide(stack, 1, ETH),
      nodeSide(stack, 2, ETH),
    ]);
    expect(ofPayer.transferIds).toEqual(payerLock);
    expect(ofPayee.transferIds).toEqual([lock?.transferId as string]);
    // The close failed, so the thread is open again: it takes the next voucher.
    await thread.pay(STEP);
    const paid = total + STEP;
    expect(thread.paid).toBe(paid);
    expect(received.received).toBe(paid);

    const closed = payerClosed(thread.id);
    expect((await received.close()).paid).toBe(paid);
    expect(await closed).toBe(paid);
    await expectSettled(payerBefore - paid, payeeBefore + paid);
  }, 60_000);

  test("both sides close at once: one resolve, the same amount on both sides", async () => {
    const payerBefore = payer.getBalance(ETH).user;
    const payeeBefore = payee.getBalance(ETH).user;
    const { thread, received } = await openThread(payer, payee, ETH, LOCK);
    for (let i = 0; i < 4; i++) await thread.pay(STEP);
    const total = STEP * 4n;
    const payeeNonce = (await nodeSide(stack, 2, ETH)).nonce;
    const [byPayer, byPayee] = await Promise.all([thread.close(), received.close()]);
    expect(byPayer.paid).toBe(total);
    expect(byPayee.paid).toBe(total);
    await expectSettled(payerBefore - total, payeeBefore + total);
    // One resolve in the payee's channel, not two.
    expect((await nodeSide(stack, 2, ETH)).nonce).toBe(payeeNonce + 1);
  }, 60_000);

  test("the payee closes while vouchers are in flight: the payer counts exactly what the thread paid", async () => {
    const payerBefore = payer.getBalance(ETH).user;
    const payeeBefore = payee.getBalance(ETH).user;
    const { thread, received } = await openThread(payer, payee, ETH, LOCK);
    await thread.pay(STEP);
    // The payee closes the moment it holds 10 steps, with more on their way.
    let closing: Promise<{ paid: bigint }> | undefined;
    const listener = ({ threadId, received: held }: { threadId: string; received: bigint }) => {
      if (threadId === thread.id && held >= STEP * 10n) closing ??= received.close();
    };
    payee.on("thread.voucher", listener);
    // Three lanes of ten payments each, one after the other: a few always in flight.
    const lanes = Array.from({ length: 3 }, async () => {
      const codes: (string | undefined)[] = [];
      for (let i = 0; i < 10; i++) codes.push(await codeOf(thread.pay(STEP)));
      return codes;
    });
    const codes = (await Promise.all(lanes)).flat();
    payee.off("thread.voucher", listener);
    const { paid } = await (closing as Promise<{ paid: bigint }>);
    // Each payment either went through or was refused: the thread is closing, or closed.
    for (const code of codes)
      expect([undefined, "THREAD_CLOSED", "THREAD_UNKNOWN"]).toContain(code);
    expect(codes.filter((code) => code !== undefined).length).toBeGreaterThan(0);
    const made = BigInt(codes.filter((code) => code === undefined).length);
    expect(paid).toBe(STEP * (made + 1n));
    expect(thread.paid).toBe(paid);
    expect(received.received).toBe(paid);
    await expectSettled(payerBefore - paid, payeeBefore + paid);
  }, 60_000);

  test("the payer closes a thread the payee closed already: told so, nothing moves", async () => {
    const payerBefore = payer.getBalance(ETH).user;
    const payeeBefore = payee.getBalance(ETH).user;
    const { thread, received } = await openThread(payer, payee, ETH, LOCK);
    for (let i = 0; i < 2; i++) await thread.pay(STEP);
    const total = STEP * 2n;
    const closed = payerClosed(thread.id);
    expect((await received.close()).paid).toBe(total);
    expect(await closed).toBe(total);
    await expectSettled(payerBefore - total, payeeBefore + total);
    const late = await thread.close().then(
      (outcome) => ({ paid: outcome.paid, code: undefined as string | undefined }),
      (error: { code?: string }) => ({ paid: undefined, code: error.code }),
    );
    // Either answer is fine, so long as it is the truth: the paid amount, or a refusal.
    if (late.code === undefined) expect(late.paid).toBe(total);
    else expect(["THREAD_UNKNOWN", "THREAD_CLOSED"]).toContain(late.code);
    expect(await codeOf(thread.pay(STEP))).toBeDefined();
    await expectSettled(payerBefore - total, payeeBefore + total);
  }, 60_000);

  test("two threads between the same two users, paid at once, closed one by each side", async () => {
    const payerBefore = payer.getBalance(ETH).user;
    const payeeBefore = payee.getBalance(ETH).user;
    const first = await openThread(payer, payee, ETH, LOCK);
    const second = await openThread(payer, payee, ETH, LOCK / 2n);
    await Promise.all([
      (async () => {
        for (let i = 0; i < 20; i++) await first.thread.pay(STEP);
      })(),
      (async () => {
        for (let i = 0; i < 20; i++) await second.thread.pay(STEP * 2n);
      })(),
    ]);
    expect(first.received.received).toBe(STEP * 20n);
    expect(second.received.received).toBe(STEP * 40n);
    const closedFirst = payerClosed(first.thread.id);
    const [byPayee, bySecondPayer] = await Promise.all([
      first.received.close(),
      second.thread.close(),
    ]);
    expect(byPayee.paid).toBe(STEP * 20n);
    expect(bySecondPayer.paid).toBe(STEP * 40n);
    expect(await closedFirst).toBe(STEP * 20n);
    const total = STEP * 60n;
    await expectSettled(payerBefore - total, payeeBefore + total);
  }, 60_000);

  // After the node restarts, the client's reconnect looks at what waits for it even when its
  // sync meets a node still starting (no responders yet): a thread that fell due while the
  // node was away is closed then, not at the janitor's next round.
  // Moves the clock on by about a day.
  test("a thread that fell due is closed when the payee reconnects after a node restart", async () => {
    const payerBefore = payer.getBalance(ETH).user;
    const payeeBefore = payee.getBalance(ETH).user;
    const { thread, received } = await openThread(payer, payee, ETH, LOCK);
    for (let i = 0; i < 2; i++) await thread.pay(STEP);
    const total = STEP * 2n;
    const timeout = payee.getChannel()?.timeout ?? 0;
    stack.clock.advance(
      received.expiry - timeout - 2 * DEFAULT_CLAIM_BUFFER_SECONDS + 60 - stack.clock.now(),
    );
    await stack.restartNode();
    await waitFor(() => payee.getThreads().every((t) => t.id !== thread.id), 15_000);
    await expectSettled(payerBefore - total, payeeBefore + total);
  }, 60_000);

  // A payee whose close failed (the node refused its resolve) has the thread open again, and
  // closes it on its own when it falls due, like any other thread.
  // Last: it moves the clock on by about a day.
  test("a payee whose close failed still closes the thread on its own when it falls due", async () => {
    const payerBefore = payer.getBalance(ETH).user;
    const payeeBefore = payee.getBalance(ETH).user;
    const failed = await openThread(payer, payee, ETH, LOCK);
    const control = await openThread(payer, payee, ETH, LOCK);
    for (let i = 0; i < 3; i++) await failed.thread.pay(STEP);
    for (let i = 0; i < 2; i++) await control.thread.pay(STEP);
    const failedLock = payee
      .getTransfers()
      .find((t) => t.transferState.toLowerCase().includes(failed.thread.id.slice(2)));
    expect(failedLock).toBeDefined();
    refuseResolveOf = failedLock?.transferId;
    expect(await codeOf(failed.received.close())).toBe("TRANSFER_REJECTED");
    expect(payee.getTransfers()).toHaveLength(2);

    // Both threads fall due (a claim buffer before the last on-chain claim would complete).
    const timeout = payee.getChannel()?.timeout ?? 0;
    const expiry = Math.min(failed.received.expiry, control.received.expiry);
    const due = expiry - timeout - 2 * DEFAULT_CLAIM_BUFFER_SECONDS + 60;
    stack.clock.advance(due - stack.clock.now());
    // The janitor's round (every 30 s), run now.
    janitorRound(payee);
    // The control thread, never closed before, is closed by the payee on its own…
    await waitFor(() => payee.getThreads().every((t) => t.id !== control.thread.id), 20_000);
    // …and so should the one whose close failed be: the payee holds 3 steps of vouchers for it.
    await waitFor(() => payee.getThreads().every((t) => t.id !== failed.thread.id), 10_000);
    const total = STEP * 5n;
    await expectSettled(payerBefore - total, payeeBefore + total);
  }, 90_000);
});
