import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseEther } from "ethers";
import { lockHashOf, randomPreImage } from "../../client/crypto";
import { findTransferDefund, readChannelDispute } from "../../contracts-bindings";
import {
  DEFAULT_CLAIM_BUFFER_SECONDS,
  hashlock,
  latestOnchainClaimStart,
  mirrorExpiryFor,
} from "../../protocol";
import { chainNow, channelEvents, exitedTo, passTime, until } from "../disputes/clientHelpers";
import { paymentStatus, waitFor } from "../expectations";
import { ETH, paymentDraft, RawUser } from "../rawUser";
import { type Stack, startStack } from "../stack";

/**
 * SECURITY rule 23: a payer pays through the node, the payee claims its mirror (the node pays
 * it), and the payer never answers the node's resolve with the pre-image (it may be the payee
 * itself). Waiting for it to say hello again, the node would let the payer's transfer expire
 * and go back to the payer on-chain: the node would have paid the payee for nothing. Instead,
 * at the last moment a dispute from a standing start still claims the payer's transfer before
 * its expiry, the node disputes the payer's channel itself and defunds the transfer with the
 * pre-image.
 */
const TIMEOUT = 3600;
const BUFFER = DEFAULT_CLAIM_BUFFER_SECONDS;
const AMOUNT = parseEther("0.4");
let stack: Stack;

beforeAll(async () => {
  // A sweep every half second, so that the test sees the node's decision soon after the clock.
  stack = await startStack({ node: { sweepIntervalMs: 500 } });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

async function metric(name: string): Promise<string | undefined> {
  const text = await (await fetch(`${stack.node.httpUrl}/metrics`)).text();
  return text.split("\n").find((line) => line.startsWith(`${name} `));
}

describe("a payer that never settles a payment its payee was paid", () => {
  test("the node disputes the payer's channel in time and claims the transfer with the pre-image", async () => {
    await stack.syncClockToChain();
    const [payer, payee] = await Promise.all([
      RawUser.connect(stack, 7, TIMEOUT),
      RawUser.connect(stack, 8, TIMEOUT),
    ]);
    await payer.deposit(parseEther("1"));
    const preImage = randomPreImage();
    const paymentId = randomPreImage();
    await payer.propose(
      paymentDraft(stack, {
        recipient: payee.address,
        amount: AMOUNT,
        lockHash: lockHashOf(preImage),
        paymentId,
        channelTimeout: TIMEOUT,
      }),
    );
    const [locked] = [...payer.view.transfers.values()];
    if (!locked) throw new Error("no payer transfer");
    const expiry = hashlock.decodeState(locked.transferState).expiry;

    // From now on the payer hears the node's proposals and never answers one.
    payer.onProposal = () => new Promise<string>(() => {});
    await waitFor(() => payee.view.transfers.size === 1, 20_000);
    const [mirror] = [...payee.view.transfers.values()];
    if (!mirror) throw new Error("no mirror");
    await payee.propose({
      type: "resolve",
      transferId: mirror.transferId,
      transferResolver: hashlock.encodeResolver({ preImage }),
    });
    // The node paid the payee, and asked the payer for its side with the pre-image.
    expect(payee.state.balances[0]?.amount[1]).toBe(AMOUNT);
    await waitFor(() => payer.proposals.some((m) => m.update.type === "resolve"), 20_000);
    expect(await paymentStatus(stack, paymentId)).toBe("completed");

    const channelAddress = payer.state.channelAddress;
    const deadline = Number(latestOnchainClaimStart(expiry, TIMEOUT, BUFFER));
    // The node's last moment is the mirror's expiry (DESIGN §4.6): the payee's claim window.
    expect(BigInt(deadline)).toBe(mirrorExpiryFor(expiry, TIMEOUT, BUFFER));

    // The node disputes one claim buffer before it (2B for its transactions); two minutes
    // before that, the payer may still settle off-chain: no dispute yet.
    const startsAt = deadline - BUFFER;
    await passTime(stack, startsAt - 120 - (await chainNow(stack)));
    await Bun.sleep(2_000);
    expect((await readChannelDispute(stack.provider, channelAddress)).consensusExpiry).toBe(0);

    // Then the node puts its latest state (holding the payer's transfer) on record.
    await passTime(stack, 120);
    await until(
      async () => (await readChannelDispute(stack.provider, channelAddress)).consensusExpiry > 0,
      "the node disputes the payer's channel",
    );
    const disputes = await channelEvents(stack, channelAddress, "ChannelDisputed");
    expect(disputes).toHaveLength(1);
    const [disputed] = disputes;
    if (!disputed) throw new Error("no ChannelDisputed event");
    expect((disputed.args.disputer as string).toLowerCase()).toBe(
      stack.node.identifier.toLowerCase(),
    );
    expect(Number(disputed.args.nonce)).toBe(payer.state.nonce);
    // Counted once the node's dispute call returns, which is after its transaction is mined.
    await until(
      async () =>
        (await metric("connext_payer_disputes_total")) === "connext_payer_disputes_total 1",
      "the node counts its payer dispute",
    );

    // A restart forgets what the sweep did: the node finds the dispute on record and sends
    // nothing more; its responder carries the dispute on.
    await stack.restartNode();
    await Bun.sleep(2_000);
    expect(await channelEvents(stack, channelAddress, "ChannelDisputed")).toHaveLength(1);
    expect(await metric("connext_payer_disputes_total")).toBe("connext_payer_disputes_total 0");

    // After the consensus window (still before the payer's expiry), the node's responder
    // defunds the channel, disputes the payer's transfer and defunds it with the pre-image.
    await passTime(stack, TIMEOUT + 1);
    const channel = payer.channel;
    await until(
      async () => (await channel.getTransferDispute(locked.transferId)).isDefunded,
      "the node defunds the payer's transfer",
    );
    expect(await chainNow(stack)).toBeLessThan(Number(expiry));
    const defund = await findTransferDefund(stack.provider, channelAddress, locked.transferId, 0);
    expect(defund?.amounts).toEqual([0n, AMOUNT]);
    expect(hashlock.decodeResolver(defund?.resolver as string).preImage).toBe(preImage);

    // The node exits the payment to itself: it paid the payee 0.4 and got 0.4 from the payer.
    await until(
      async () => (await exitedTo(stack, channelAddress, stack.node.identifier)) === AMOUNT,
      "the node exits its share",
    );
    // The payer can take back only what it did not pay, however long it waits.
    expect(await channel.getExitableAmount(ETH, payer.address)).toBe(parseEther("0.6"));
    await passTime(stack, locked.transferTimeout + 1);
    await expect(
      channel.defundTransfer.staticCall(locked, locked.transferState, "0x", "0x"),
    ).rejects.toThrow();
    await (await channel.exit(ETH, payer.address, payer.address)).wait();
    expect(await stack.provider.getBalance(channelAddress)).toBe(0n);
    // One dispute all along, however many sweeps ran since.
    expect(await channelEvents(stack, channelAddress, "ChannelDisputed")).toHaveLength(1);
    expect(await metric("connext_payer_disputes_total")).toBe("connext_payer_disputes_total 0");
    await Promise.all([payer.close(), payee.close()]);
  }, 120_000);
});
