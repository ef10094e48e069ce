import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseEther } from "ethers";
import { lockHashOf, randomPreImage } from "../../client/crypto";
import { ChannelFactory__factory } from "../../contracts-bindings";
import { type ChannelUpdate, type FullChannelState, hashlock } from "../../protocol";
import { paymentStatus, waitFor } from "../expectations";
import { ETH, paymentDraft, RawUser, refuse } from "../rawUser";
import { type Stack, startStack } from "../stack";
import { until } from "./clientHelpers";

/**
 * Issue 10 §3 and §5: a hashlock in flight when a channel goes to dispute is claimed on-chain
 * by whoever holds its pre-image, and the node carries the claim across to the other channel.
 * - The payee was paid off-chain, the payer refuses the node's resolve and disputes with its
 *   payment still locked (the review's attack): the node defunds the payer's transfer with the
 *   pre-image, and the payer gets only what it is owed.
 * - The payee claims its mirror on-chain in a dispute of its own channel: the node reads the
 *   pre-image from that transaction and settles the payer with it.
 */
const TIMEOUT = 3600;
let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

async function passTime(seconds: number) {
  await stack.provider.send("evm_increaseTime", [seconds]);
  await stack.provider.send("evm_mine", []);
}

async function disputeLatest(user: RawUser, state: FullChannelState = user.state) {
  if ((await stack.provider.getCode(state.channelAddress)) === "0x") {
    const factory = ChannelFactory__factory.connect(
      stack.book.channelFactory,
      stack.wallet(user.index),
    );
    await (await factory.createChannel(stack.node.identifier, user.address)).wait();
  }
  await (
    await user.channel.disputeChannel(
      state,
      state.latestUpdate.aliceSignature as string,
      state.latestUpdate.bobSignature as string,
    )
  ).wait();
}

describe("a hashlock in flight when a channel goes to dispute", () => {
  test("the payer disputes with its paid payment still locked: the node claims it with the pre-image", async () => {
    const [payer, payee] = await Promise.all([
      RawUser.connect(stack, 1, TIMEOUT),
      RawUser.connect(stack, 2, TIMEOUT),
    ]);
    await payer.deposit(parseEther("1"));
    // The payer takes nothing from the node any more: it keeps its payment locked.
    payer.onProposal = async () => refuse("TRANSFER_REJECTED", "never resolving");
    const preImage = randomPreImage();
    await payer.propose(
      paymentDraft(stack, {
        recipient: payee.address,
        amount: parseEther("0.4"),
        lockHash: lockHashOf(preImage),
        paymentId: randomPreImage(),
      }),
    );
    await waitFor(() => payee.view.transfers.size === 1);
    const [mirror] = [...payee.view.transfers.values()];
    await payee.propose({
      type: "resolve",
      transferId: mirror?.transferId as string,
      transferResolver: hashlock.encodeResolver({ preImage }),
    });
    expect(payee.state.balances[0]?.amount[1]).toBe(parseEther("0.4"));
    const [locked] = [...payer.view.transfers.values()];
    expect(locked).toBeDefined();

    await disputeLatest(payer);
    await passTime(TIMEOUT + 1);
    const channel = payer.channel;
    await until(
      async () => (await channel.getTransferDispute(locked?.transferId as string)).isDefunded,
      "the node defunds the payer's transfer",
    );
    // Whatever the payer does now, its exit is its balance without the payment.
    expect(await channel.getExitableAmount(ETH, payer.address)).toBe(parseEther("0.6"));
    await passTime((locked?.transferTimeout as number) + 1);
    await expect(
      channel.defundTransfer.staticCall(
        locked as NonNullable<typeof locked>,
        locked?.transferState as string,
        "0x",
        "0x",
      ),
    ).rejects.toThrow();
    await until(
      async () => (await channel.getExitableAmount(ETH, stack.node.identifier)) === 0n,
      "the node exits its share",
    );
    await (await channel.exit(ETH, payer.address, payer.address)).wait();
    expect(await stack.provider.getBalance(payer.state.channelAddress)).toBe(0n);
    await Promise.all([payer.close(), payee.close()]);
  }, 120_000);

  test("the payee claims its mirror on-chain: the node settles the payer with that pre-image", async () => {
    await stack.syncClockToChain(); // the test before moved the chain's clock
    const [payer, payee] = await Promise.all([
      RawUser.connect(stack, 3, TIMEOUT),
      RawUser.connect(stack, 4, TIMEOUT),
    ]);
    await payer.deposit(parseEther("1"));
    const preImage = randomPreImage();
    const paymentId = randomPreImage();
    await payer.propose(
      paymentDraft(stack, {
        recipient: payee.address,
        amount: parseEther("0.3"),
        lockHash: lockHashOf(preImage),
        paymentId,
      }),
    );
    await waitFor(() => payee.view.transfers.size === 1);
    const [mirror] = [...payee.view.transfers.values()];
    if (!mirror) throw new Error("no mirror");

    // The payee goes on-chain instead of resolving off-chain.
    await disputeLatest(payee);
    await passTime(TIMEOUT + 1);
    const channel = payee.channel;
    // The node defunds the channel and disputes every active transfer on its own; the payee
    // then claims its mirror with the pre-image (as its responder it needs no signature).
    await until(
      async () =>
        (await channel.getTransferDispute(mirror.transferId)).transferStateHash !==
        `0x${"0".repeat(64)}`,
      "the mirror is disputed",
    );
    await (
      await channel.defundTransfer(
        mirror,
        mirror.transferState,
        hashlock.encodeResolver({ preImage }),
        "0x",
      )
    ).wait();
    expect(await channel.getExitableAmount(ETH, payee.address)).toBe(parseEther("0.3"));

    // The node read the pre-image from the payee's transaction and settled the payer with it.
    await waitFor(() => payer.view.transfers.size === 0, 20_000);
    expect(payer.state.latestUpdate.type).toBe("resolve");
    const resolve = payer.state.latestUpdate as ChannelUpdate<"resolve">;
    expect(hashlock.decodeResolver(resolve.details.transferResolver).preImage).toBe(preImage);
    expect(payer.state.balances[0]?.amount).toEqual([parseEther("0.3"), parseEther("0.7")]);
    expect(await paymentStatus(stack, paymentId)).toBe("completed");
    await Promise.all([payer.close(), payee.close()]);
  }, 120_000);
});
