import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseEther } from "ethers";
import type { PayeeThread } from "../../client/threads/handles";
import {
  ChannelMastercopy__factory,
  findTransferDefund,
  readChannelDispute,
} from "../../contracts-bindings";
import { DEFAULT_CLAIM_BUFFER_SECONDS, latestOnchainClaimStart } from "../../protocol";
import { thread } from "../../protocol/definitions";
import { chainNow, channelEvents, exitedTo, passTime, until } from "../disputes/clientHelpers";
import { waitFor } from "../expectations";
import { ETH } from "../rawUser";
import { type Stack, startStack } from "../stack";

/**
 * SECURITY rule 23 for threads: the payee closes its thread off-chain (the node pays it the
 * latest voucher), and the payer never answers the node's resolve of its lock with that
 * voucher. Rather than let the payer's lock expire and go back to the payer on-chain, the node
 * disputes the payer's channel in time and defunds the payer's thread lock with the voucher.
 */
const TIMEOUT = 3600;
const BUFFER = DEFAULT_CLAIM_BUFFER_SECONDS;
const LOCK = parseEther("0.05");
const STEP = parseEther("0.002");
const VOUCHERS = 5;
const PAID = STEP * BigInt(VOUCHERS);
let stack: Stack;

beforeAll(async () => {
  // A sweep every half second, so that the test sees the node's decision soon after the clock.
  stack = await startStack({ node: { sweepIntervalMs: 500 } });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe("a thread's payer that never settles after its payee closed", () => {
  test("the node disputes the payer's channel in time and defunds the payer's lock with the voucher", async () => {
    await stack.syncClockToChain();
    const options = { channelTimeout: TIMEOUT, disputePollMs: 200 };
    const [payer, payee] = await Promise.all([stack.client(7, options), stack.client(8, options)]);
    await payer.deposit({ assetId: ETH, amount: parseEther("1") });
    const payerBefore = payer.getBalance(ETH);
    const payeeBefore = payee.getBalance(ETH);

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

    const locked = payer
      .getTransfers()
      .find((t) => t.transferDefinition.toLowerCase() === stack.book.threadTransfer.toLowerCase());
    if (!locked) throw new Error("the payer holds no thread lock");
    const expiry = thread.decodeState(locked.transferState).expiry;
    const channelAddress = locked.channelAddress;

    // From now on the payer is gone: nobody answers the node's resolve of its lock.
    await payer.close();
    const { paid } = await received.close();
    expect(paid).toBe(PAID);
    expect(payee.getBalance(ETH).user).toBe(payeeBefore.user + PAID);

    const deadline = Number(latestOnchainClaimStart(expiry, TIMEOUT, BUFFER));
    // The node disputes one claim buffer before its last moment; two minutes before that,
    // the payer may still settle off-chain: no dispute yet.
    const startsAt = deadline - BUFFER;
    await passTime(stack, startsAt - 120 - (await chainNow(stack)));
    await Bun.sleep(2_000);
    expect((await readChannelDispute(stack.provider, channelAddress)).consensusExpiry).toBe(0);

    await passTime(stack, 120);
    await until(
      async () => (await readChannelDispute(stack.provider, channelAddress)).consensusExpiry > 0,
      "the node disputes the payer's channel",
      60_000,
    );
    const disputes = await channelEvents(stack, channelAddress, "ChannelDisputed");
    expect(disputes).toHaveLength(1);
    expect(String(disputes[0]?.args.disputer).toLowerCase()).toBe(
      stack.node.identifier.toLowerCase(),
    );

    // After the consensus window (still before the lock's expiry), the node defunds the
    // payer's thread lock with the payee's voucher.
    await passTime(stack, TIMEOUT + 1);
    await until(
      async () =>
        (await findTransferDefund(stack.provider, channelAddress, locked.transferId, 0)) !==
        undefined,
      "the node defunds the payer's thread lock",
      60_000,
    );
    expect(await chainNow(stack)).toBeLessThan(Number(expiry));
    const defund = await findTransferDefund(stack.provider, channelAddress, locked.transferId, 0);
    expect(defund?.amounts).toEqual([LOCK - PAID, PAID]);
    expect(thread.decodeResolver(defund?.resolver as string).amount).toBe(PAID);

    // The node takes exactly what it paid the payee; the payer keeps the rest of its lock.
    await until(
      async () =>
        (await exitedTo(stack, channelAddress, stack.node.identifier)) === payerBefore.node + PAID,
      "the node exits its share",
      60_000,
    );
    const channel = ChannelMastercopy__factory.connect(channelAddress, stack.provider);
    expect(await channel.getExitableAmount(ETH, payer.identifier)).toBe(payerBefore.user - PAID);
    expect(await channelEvents(stack, channelAddress, "ChannelDisputed")).toHaveLength(1);
    await payee.close();
  }, 120_000);
});
