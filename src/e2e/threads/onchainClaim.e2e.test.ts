import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseEther } from "ethers";
import type { PayeeThread } from "../../client/threads/handles";
import {
  ChannelMastercopy__factory,
  findTransferDefund,
  readChannelDispute,
} from "../../contracts-bindings";
import type { RequestInterceptor } from "../../node/engine/engine";
import { DEFAULT_CLAIM_BUFFER_SECONDS, latestOnchainClaimStart } from "../../protocol";
import { thread } from "../../protocol/definitions";
import {
  chainNow,
  channelEvents,
  DisputeLog,
  exitedTo,
  freshRecipient,
  passTime,
  refuseResolvesFrom,
  until,
} from "../disputes/clientHelpers";
import { expectChannelsAgree, waitFor } from "../expectations";
import { ETH } from "../rawUser";
import { type Stack, startStack } from "../stack";

/**
 * A thread's payee claims on-chain when the node will not countersign its resolve: its client
 * disputes the channel and defunds the node's thread lock with the latest voucher it holds;
 * the node learns the voucher on-chain and claims the payer's lock with it. Nobody pays or is
 * paid more than the voucher.
 */
const TIMEOUT = 3600;
const LOCK = parseEther("0.05");
const STEP = parseEther("0.001");
const VOUCHERS = 7;
const PAID = STEP * BigInt(VOUCHERS);
const BUFFER = DEFAULT_CLAIM_BUFFER_SECONDS;

let stack: Stack;
let intercept: RequestInterceptor | undefined;

beforeAll(async () => {
  stack = await startStack({
    node: {
      intercept: (request, handle) => (intercept ? intercept(request, handle) : handle()),
      // A sweep every half second: the node's payer disputes follow the clock closely.
      sweepIntervalMs: 500,
    },
  });
}, 120_000);

afterAll(async () => {
  intercept = undefined;
  await stack?.stop();
});

function connect(index: number, options: Parameters<Stack["client"]>[1] = {}) {
  return stack.client(index, { channelTimeout: TIMEOUT, disputePollMs: 200, ...options });
}

describe("a thread's payee claims on-chain", () => {
  test("the node refuses the payee's resolve: the payee disputes and defunds the lock with its latest voucher, the node claims the payer's side with it", async () => {
    await stack.syncClockToChain();
    const [payer, payee] = await Promise.all([connect(1), connect(2)]);
    await payer.deposit({ assetId: ETH, amount: parseEther("1") });
    const payerBefore = payer.getBalance(ETH);

    const opened: PayeeThread[] = [];
    payee.on("thread.opened", ({ thread: t }) => opened.push(t));
    const paying = await payer.openThread({
      counterparty: payee.identifier,
      assetId: ETH,
      amount: LOCK,
    });
    await waitFor(() => opened.some((t) => t.id === paying.id), 20_000);
    const received = opened.find((t) => t.id === paying.id) as PayeeThread;
    for (let i = 0; i < VOUCHERS; i++) await paying.pay(STEP);
    expect(received.received).toBe(PAID);

    const lockToPayee = payee
      .getTransfers()
      .find((t) => t.transferDefinition.toLowerCase() === stack.book.threadTransfer.toLowerCase());
    if (!lockToPayee) throw new Error("the payee holds no thread lock");
    const payerLock = payer
      .getTransfers()
      .find((t) => t.transferDefinition.toLowerCase() === stack.book.threadTransfer.toLowerCase());
    if (!payerLock) throw new Error("the payer holds no thread lock");
    expect(thread.decodeState(lockToPayee.transferState).threadId).toBe(paying.id);

    // The node will not countersign the payee's resolve.
    const refusing = refuseResolvesFrom(() => [payee.identifier]);
    intercept = refusing.intercept;
    const closing = received.close().then(
      () => "closed",
      (error: Error) => error,
    );
    await waitFor(() => refusing.refused.length > 0, 20_000);
    const [refused] = refusing.refused;
    expect(
      refused?.type === "resolve" && (refused.details as { transferId: string }).transferId,
    ).toBe(lockToPayee.transferId);

    const latest = payee.getChannel();
    if (!latest) throw new Error("no channel");
    const channel = latest.channelAddress;
    // Off-chain, without the thread, the payee has this; the node this, the lock aside.
    const { user: payeeBalance, node: nodeBalance } = payee.getBalance(ETH);
    const log = new DisputeLog().listen(payee);
    const recipient = freshRecipient();

    await payee.dispute({ recipient });
    intercept = undefined;
    console.info(`the payee's close, refused by the node: ${String(await closing)}`);
    await passTime(stack, TIMEOUT + 1);

    // The payee defunds the node's lock with its latest voucher: [lock - paid, paid].
    await until(
      async () =>
        (await findTransferDefund(stack.provider, channel, lockToPayee.transferId, 0)) !==
        undefined,
      "the payee defunds the node's thread lock",
      60_000,
    );
    const defund = await findTransferDefund(stack.provider, channel, lockToPayee.transferId, 0);
    expect(defund?.amounts).toEqual([LOCK - PAID, PAID]);
    const resolver = thread.decodeResolver(defund?.resolver as string);
    expect(resolver.amount).toBe(PAID);
    const defunded = await channelEvents(stack, channel, "TransferDefunded");
    expect(
      defunded.filter(
        (e) => (e.args.transferId as string).toLowerCase() === lockToPayee.transferId,
      ),
    ).toHaveLength(1);

    // The payee exits `paid` more than its off-chain balance without the thread.
    await until(
      () => log.exitedTotal(ETH) === payeeBalance + PAID,
      `the payee exits ${payeeBalance + PAID}`,
      60_000,
    );
    expect(await stack.provider.getBalance(recipient)).toBe(payeeBalance + PAID);

    // The node learnt the voucher on-chain and resolved the payer's lock with it, off-chain.
    await waitFor(
      () => !payer.getTransfers().some((t) => t.transferId === payerLock.transferId),
      30_000,
    );
    expect(payer.getBalance(ETH)).toEqual({
      user: payerBefore.user - PAID,
      node: payerBefore.node + PAID,
    });
    await expectChannelsAgree(stack, payer);

    // The node ends whole: it paid the payee `paid` and took `paid` from the payer.
    await until(
      async () =>
        (await exitedTo(stack, channel, stack.node.identifier)) === nodeBalance + LOCK - PAID,
      "the node exits its share and the lock's remainder",
      60_000,
    );
    await until(
      async () => (await stack.provider.getBalance(channel)) === 0n,
      "the payee's channel is empty",
    );
    await Promise.all([payer.close(), payee.close()]);
  }, 120_000);

  test("the payer is silent too: the node disputes the payer's channel in time and defunds its lock with the voucher learnt on-chain", async () => {
    await stack.syncClockToChain();
    const [payer, payee] = await Promise.all([connect(3), connect(4)]);
    await payer.deposit({ assetId: ETH, amount: parseEther("1") });
    const payerBefore = payer.getBalance(ETH);

    const opened: PayeeThread[] = [];
    payee.on("thread.opened", ({ thread: t }) => opened.push(t));
    const paying = await payer.openThread({
      counterparty: payee.identifier,
      assetId: ETH,
      amount: LOCK,
    });
    await waitFor(() => opened.some((t) => t.id === paying.id), 20_000);
    const received = opened.find((t) => t.id === paying.id) as PayeeThread;
    for (let i = 0; i < VOUCHERS; i++) await paying.pay(STEP);
    expect(received.received).toBe(PAID);
    const isThread = (t: { transferDefinition: string }) =>
      t.transferDefinition.toLowerCase() === stack.book.threadTransfer.toLowerCase();
    const lockToPayee = payee.getTransfers().find(isThread);
    const payerLock = payer.getTransfers().find(isThread);
    if (!lockToPayee || !payerLock) throw new Error("no thread locks");
    const expiry = thread.decodeState(payerLock.transferState).expiry;
    const payerChannel = payerLock.channelAddress;

    // The payer is gone for good, and the node will not countersign the payee's resolve.
    await payer.close();
    const refusing = refuseResolvesFrom(() => [payee.identifier]);
    intercept = refusing.intercept;
    const closing = received.close().then(
      () => "closed",
      (error: Error) => error,
    );
    await waitFor(() => refusing.refused.length > 0, 20_000);
    const channel = payee.getChannel()?.channelAddress as string;
    const { user: payeeBalance } = payee.getBalance(ETH);
    const log = new DisputeLog().listen(payee);
    await payee.dispute();
    intercept = undefined;
    await closing;
    await passTime(stack, TIMEOUT + 1);
    await until(
      async () =>
        (await findTransferDefund(stack.provider, channel, lockToPayee.transferId, 0)) !==
        undefined,
      "the payee defunds the node's thread lock",
      60_000,
    );
    expect(
      (await findTransferDefund(stack.provider, channel, lockToPayee.transferId, 0))?.amounts,
    ).toEqual([LOCK - PAID, PAID]);
    await until(
      () => log.exitedTotal(ETH) === payeeBalance + PAID,
      `the payee exits ${payeeBalance + PAID}`,
      60_000,
    );

    // The node cannot resolve the payer's lock off-chain: at its last moment it disputes.
    const deadline = Number(latestOnchainClaimStart(expiry, TIMEOUT, BUFFER));
    const startsAt = deadline - BUFFER;
    const wait = startsAt - 120 - (await chainNow(stack));
    expect(wait).toBeGreaterThan(0);
    await passTime(stack, wait);
    await Bun.sleep(2_000);
    expect((await readChannelDispute(stack.provider, payerChannel)).consensusExpiry).toBe(0);
    await passTime(stack, 120);
    await until(
      async () => (await readChannelDispute(stack.provider, payerChannel)).consensusExpiry > 0,
      "the node disputes the payer's channel",
      60_000,
    );
    const disputes = await channelEvents(stack, payerChannel, "ChannelDisputed");
    expect(disputes).toHaveLength(1);
    expect(String(disputes[0]?.args.disputer).toLowerCase()).toBe(
      stack.node.identifier.toLowerCase(),
    );

    await passTime(stack, TIMEOUT + 1);
    await until(
      async () =>
        (await findTransferDefund(stack.provider, payerChannel, payerLock.transferId, 0)) !==
        undefined,
      "the node defunds the payer's thread lock",
      60_000,
    );
    expect(await chainNow(stack)).toBeLessThan(Number(expiry));
    const defund = await findTransferDefund(stack.provider, payerChannel, payerLock.transferId, 0);
    expect(defund?.amounts).toEqual([LOCK - PAID, PAID]);
    expect(thread.decodeResolver(defund?.resolver as string).amount).toBe(PAID);

    // The node ends whole: `paid` from the payer, `paid` to the payee.
    await until(
      async () =>
        (await exitedTo(stack, payerChannel, stack.node.identifier)) === payerBefore.node + PAID,
      "the node exits its share of the payer's channel",
      60_000,
    );
    const onchain = ChannelMastercopy__factory.connect(payerChannel, stack.provider);
    expect(await onchain.getExitableAmount(ETH, payer.identifier)).toBe(payerBefore.user - PAID);
    await payee.close();
  }, 120_000);

  test("the node is down while the payee claims: back up, it finds the lock claimed on-chain and resolves the payer's side with the voucher", async () => {
    await stack.syncClockToChain();
    const [payer, payee] = await Promise.all([connect(5), connect(6)]);
    await payer.deposit({ assetId: ETH, amount: parseEther("1") });
    const payerBefore = payer.getBalance(ETH);

    const opened: PayeeThread[] = [];
    payee.on("thread.opened", ({ thread: t }) => opened.push(t));
    const paying = await payer.openThread({
      counterparty: payee.identifier,
      assetId: ETH,
      amount: LOCK,
    });
    await waitFor(() => opened.some((t) => t.id === paying.id), 20_000);
    const received = opened.find((t) => t.id === paying.id) as PayeeThread;
    for (let i = 0; i < VOUCHERS; i++) await paying.pay(STEP);
    expect(received.received).toBe(PAID);
    const isThread = (t: { transferDefinition: string }) =>
      t.transferDefinition.toLowerCase() === stack.book.threadTransfer.toLowerCase();
    const lockToPayee = payee.getTransfers().find(isThread);
    const payerLock = payer.getTransfers().find(isThread);
    if (!lockToPayee || !payerLock) throw new Error("no thread locks");

    const channel = payee.getChannel()?.channelAddress as string;
    const { user: payeeBalance, node: nodeBalance } = payee.getBalance(ETH);
    const log = new DisputeLog().listen(payee);
    // The node is gone: the payee leaves alone.
    await stack.node.stop();
    await payee.dispute();
    await passTime(stack, TIMEOUT + 1);
    await until(
      async () =>
        (await findTransferDefund(stack.provider, channel, lockToPayee.transferId, 0)) !==
        undefined,
      "the payee defunds the node's thread lock",
      60_000,
    );
    const defund = await findTransferDefund(stack.provider, channel, lockToPayee.transferId, 0);
    expect(defund?.amounts).toEqual([LOCK - PAID, PAID]);
    expect(thread.decodeResolver(defund?.resolver as string).amount).toBe(PAID);
    await until(
      () => log.exitedTotal(ETH) === payeeBalance + PAID,
      `the payee exits ${payeeBalance + PAID}`,
      60_000,
    );

    // Back up, the node claims the payer's side with the voucher it reads on-chain.
    await stack.restartNode();
    await waitFor(
      () => !payer.getTransfers().some((t) => t.transferId === payerLock.transferId),
      60_000,
    );
    expect(payer.getBalance(ETH)).toEqual({
      user: payerBefore.user - PAID,
      node: payerBefore.node + PAID,
    });
    await expectChannelsAgree(stack, payer);
    await until(
      async () =>
        (await exitedTo(stack, channel, stack.node.identifier)) === nodeBalance + LOCK - PAID,
      "the node exits its share and the lock's remainder",
      60_000,
    );
    await Promise.all([payer.close(), payee.close()]);
  }, 120_000);
});
