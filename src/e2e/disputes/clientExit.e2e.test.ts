import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseEther } from "ethers";
import type { ConnextClient } from "../../client";
import type { RequestInterceptor } from "../../node/engine/engine";
import { hashlock } from "../../protocol";
import { waitFor } from "../expectations";
import { ETH } from "../rawUser";
import { type Stack, startStack } from "../stack";
import {
  chainNow,
  channelEvents,
  DisputeLog,
  exitedTo,
  freshRecipient,
  passTime,
  refuseResolvesFrom,
  until,
} from "./clientHelpers";

/**
 * Issue 10 §1 and §2, the client's side: a user leaves alone with `client.dispute()` and its
 * client carries the exit through by itself (defunds, its transfers with the pre-images it
 * knows, exits), on the chain's clock; the node carries its own side. What each receives
 * on-chain is exactly what the latest doubly-signed state gave it, plus every transfer paid to
 * whom it owes.
 */
const TIMEOUT = 3600;
let stack: Stack;
let intercept: RequestInterceptor | undefined;

beforeAll(async () => {
  stack = await startStack({
    node: { intercept: (request, handle) => (intercept ? intercept(request, handle) : handle()) },
  });
}, 120_000);

afterAll(async () => {
  intercept = undefined;
  await stack?.stop();
});

function connect(index: number, options: Parameters<Stack["client"]>[1] = {}) {
  return stack.client(index, { channelTimeout: TIMEOUT, disputePollMs: 200, ...options });
}

/** A payment from `payer` to `payee` whose pre-image the payee revealed and the node refused. */
async function stuckPayment(payer: ConnextClient, payee: ConnextClient, amount: bigint) {
  const refusing = refuseResolvesFrom(() => [payee.identifier]);
  intercept = refusing.intercept;
  const sent = await payer.transfer({ recipient: payee.identifier, assetId: ETH, amount });
  expect(sent.status).toBe("pending");
  await waitFor(() => refusing.refused.length > 0);
  const [mirror] = payee.getTransfers();
  if (!mirror) throw new Error("no mirror");
  return { paymentId: sent.paymentId, mirror };
}

describe("a client leaves alone: dispute() and the exit carried through", () => {
  test("disputing its latest state (deposit, completed payments, a hashlock in flight to it): both sides exit exactly", async () => {
    const [a, b] = await Promise.all([connect(1, { completionTimeoutMs: 1_000 }), connect(2)]);
    await a.deposit({ assetId: ETH, amount: parseEther("1") });
    await b.deposit({ assetId: ETH, amount: parseEther("0.5") });
    expect(
      (await a.transfer({ recipient: b.identifier, assetId: ETH, amount: parseEther("0.1") }))
        .status,
    ).toBe("completed");
    expect(
      (await b.transfer({ recipient: a.identifier, assetId: ETH, amount: parseEther("0.05") }))
        .status,
    ).toBe("completed");
    await waitFor(() => a.getTransfers().length === 0 && b.getTransfers().length === 0);
    const { mirror } = await stuckPayment(a, b, parseEther("0.2"));

    const latest = b.getChannel();
    if (!latest) throw new Error("no channel");
    const { user: userBalance, node: nodeBalance } = b.getBalance(ETH);
    const aBefore = a.getBalance(ETH).user;
    const log = new DisputeLog().listen(b);
    const recipient = freshRecipient();

    const started = await b.dispute({ recipient });
    intercept = undefined; // the channel is frozen now: no resolve is proposed any more
    const channel = latest.channelAddress;
    const [disputed] = await channelEvents(stack, channel, "ChannelDisputed");
    expect(disputed?.transactionHash).toBe(started.transactionHash);
    expect(Number(disputed?.args.nonce)).toBe(latest.nonce);
    expect(started.defundExpiry - started.consensusExpiry).toBe(TIMEOUT);
    expect(log.started).toEqual([
      expect.objectContaining({ startedByUs: true, nonce: latest.nonce }),
    ]);
    expect(b.getDispute().status).toBe("consensus");
    // Frozen from here: nothing but a resume is signed.
    await expect(
      b.transfer({ recipient: a.identifier, assetId: ETH, amount: 1n }),
    ).rejects.toMatchObject({ code: "CHANNEL_IN_DISPUTE" });

    // Nothing happens before the consensus window ends on the chain's clock.
    await Bun.sleep(600);
    expect(b.getDispute().transactions.map((t) => t.step)).toEqual(["disputeChannel"]);

    await passTime(stack, TIMEOUT + 1);
    await until(() => log.exitedTotal(ETH) === userBalance + parseEther("0.2"), "the client exits");
    expect(await stack.provider.getBalance(recipient)).toBe(userBalance + parseEther("0.2"));
    expect(log.exited.every((e) => e.recipient === recipient)).toBe(true);
    // The hashlock was claimed with the pre-image the client revealed, before its expiry.
    const claim = log.defunded.find((e) => e.transferId === mirror.transferId);
    expect(claim?.amount).toBe(parseEther("0.2"));
    const claimBlock = await stack.provider.getTransactionReceipt(claim?.transactionHash as string);
    const claimTime = (await stack.provider.getBlock(claimBlock?.blockNumber as number))?.timestamp;
    expect(BigInt(claimTime as number)).toBeLessThan(
      hashlock.decodeState(mirror.transferState).expiry,
    );
    expect(log.defunded.find((e) => !e.transferId)?.amount).toBe(userBalance);

    // The node takes exactly its balance, and the channel is empty.
    await until(
      async () => (await exitedTo(stack, channel, stack.node.identifier)) === nodeBalance,
      "the node exits its share",
    );
    await until(
      async () => (await stack.provider.getBalance(channel)) === 0n,
      "the channel is empty",
    );
    // The node learnt the pre-image on-chain and settled the payer's side with it.
    await waitFor(() => a.getTransfers().length === 0, 20_000);
    expect(a.getBalance(ETH).user).toBe(aBefore);

    // After the defund window the client's side is done.
    await passTime(stack, TIMEOUT + 1);
    await until(() => b.getDispute().status === "exited", "status exited");
    const mined = b.getDispute().transactions.filter((t) => t.status === "mined");
    expect(new Set(mined.map((t) => t.key)).size).toBe(mined.length);
    const failures = log.errors.map((e) => (e as { code?: string }).code);
    expect(failures).not.toContain("INSUFFICIENT_GAS");
    expect(failures).not.toContain("DISPUTE_STEP_FAILED");
    await Promise.all([a.close(), b.close()]);
  }, 120_000);

  test("a payee whose resolve the node refused claims its mirror on-chain just before the expiry", async () => {
    const [payer, payee] = await Promise.all([
      connect(3, { completionTimeoutMs: 1_000 }),
      connect(4),
    ]);
    await payer.deposit({ assetId: ETH, amount: parseEther("1") });
    const amount = parseEther("0.3");
    const { mirror } = await stuckPayment(payer, payee, amount);
    const expiry = Number(hashlock.decodeState(mirror.transferState).expiry);
    const log = new DisputeLog().listen(payee);
    // The payee comes late: its consensus window will end 5 minutes before the mirror expires.
    const late = expiry - 300 - TIMEOUT - (await chainNow(stack));
    expect(late).toBeGreaterThan(0);
    await passTime(stack, late);
    const before = await stack.provider.getBalance(payee.identifier);
    await payee.dispute();
    await passTime(stack, TIMEOUT + 1);
    await until(() => log.exitedTotal(ETH) === amount, "the payee exits the mirror's amount");
    const claim = log.defunded.find((e) => e.transferId === mirror.transferId);
    expect(claim?.amount).toBe(amount);
    const receipt = await stack.provider.getTransactionReceipt(claim?.transactionHash as string);
    const claimedAt = (await stack.provider.getBlock(receipt?.blockNumber as number))
      ?.timestamp as number;
    expect(claimedAt).toBeLessThan(expiry);
    console.info(`mirror claimed on-chain ${expiry - claimedAt} s before its expiry`);
    // Its own gas aside, the payee's account got the payment.
    const fees = await Promise.all(
      payee.getDispute().transactions.map(async (t) => {
        const r = await stack.provider.getTransactionReceipt(t.transactionHash);
        return (r?.gasUsed ?? 0n) * (r?.gasPrice ?? 0n);
      }),
    );
    const paid = fees.reduce((sum, fee) => sum + fee, 0n);
    expect((await stack.provider.getBalance(payee.identifier)) - before + paid).toBe(amount);
    intercept = undefined;
    await Promise.all([payer.close(), payee.close()]);
  }, 120_000);
});
