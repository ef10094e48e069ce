import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseEther } from "ethers";
import { lockHashOf, randomPreImage } from "../../client/crypto";
import {
  type AppliedUpdate,
  type ChannelUpdate,
  hashlock,
  MerkleTree,
  transferStateHash,
} from "../../protocol";
import { deployChannel } from "../disputes/clientHelpers";
import { paymentStatus, waitFor } from "../expectations";
import { ETH, paymentDraft, RawUser } from "../rawUser";
import { type Stack, startStack } from "../stack";

/**
 * SECURITY rule 22, found by the conversation step's interleaving property (issue 13): a payee
 * withholds its reply to the node's mirror (so the node never stores it) but countersigns it
 * for itself; the node, seeing no answer, forwards the payment again at the same nonce, and
 * the payee takes that one honestly. It now holds two doubly-signed states at one nonce, puts
 * the first on-chain and claims its mirror with the pre-image. The node, which watched only
 * the transfers it holds, refunded the payer at the mirror's expiry on top of the payee's
 * claim. Now it reads the pre-image from that claim and settles the payer with it.
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

describe("a payee holding two states at one nonce", () => {
  test("claims on-chain the mirror the node never stored: the node settles the payer with its pre-image", async () => {
    const [payer, payee] = await Promise.all([
      RawUser.connect(stack, 3, TIMEOUT),
      RawUser.connect(stack, 4, TIMEOUT),
    ]);
    await payer.deposit(parseEther("1"));

    // The payee holds a little of its own, to propose with.
    await payee.deposit(parseEther("0.1"));

    // The mirror: countersigned for the payee's own use, never answered; nor is anything after
    // it. (The node's collateral for it comes first, and is taken.)
    let withheld: AppliedUpdate | undefined;
    payee.onProposal = async (message, user) => {
      if (withheld) return new Promise<string>(() => {});
      if (message.update.type !== "create") return user.countersignAndAdopt(message);
      withheld = await user.countersign(message);
      return new Promise<string>(() => {});
    };
    const preImage = randomPreImage();
    const paymentId = randomPreImage();
    await payer.propose(
      paymentDraft(stack, {
        recipient: payee.address,
        amount: parseEther("0.3"),
        lockHash: lockHashOf(preImage),
        paymentId,
        channelTimeout: TIMEOUT,
      }),
    );
    await waitFor(() => withheld !== undefined, 20_000);
    const first = withheld as AppliedUpdate;

    // Meanwhile the payee proposes a payment of its own at the same nonce. Once its request for
    // the mirror times out, the node countersigns it: two doubly-signed states at one nonce.
    payee
      .propose(
        paymentDraft(stack, {
          recipient: payer.address,
          amount: parseEther("0.01"),
          lockHash: lockHashOf(randomPreImage()),
          paymentId: randomPreImage(),
          channelTimeout: TIMEOUT,
        }),
      )
      .catch(() => undefined); // its answer may come after the payee's own request timed out
    const deadline = Date.now() + 60_000;
    let nodes: ChannelUpdate | undefined;
    while (Date.now() < deadline) {
      nodes = await payee.sync().catch(() => undefined);
      if (nodes?.nonce === first.state.nonce && nodes.type === "create") {
        const theirs = (nodes as ChannelUpdate<"create">).details.transferId;
        if (theirs !== first.transfer?.transferId) break;
      }
      await Bun.sleep(250);
    }
    expect(nodes?.nonce).toBe(first.state.nonce);
    expect((nodes as ChannelUpdate<"create">).details.transferId).not.toBe(
      first.transfer?.transferId,
    );

    // The payee puts the first state on-chain and claims its mirror there.
    const transfer = first.transfer;
    if (!transfer) throw new Error("no mirror in the withheld state");
    const channel = payee.channel;
    const { state } = first;
    await deployChannel(stack, state);
    await (
      await channel.disputeChannel(
        state,
        state.latestUpdate.aliceSignature as string,
        state.latestUpdate.bobSignature as string,
      )
    ).wait();
    await passTime(TIMEOUT + 1);
    const index = state.assetIds.findIndex((asset) => asset.toLowerCase() === ETH);
    if ((await channel.getExitableAmount(ETH, payee.address)) === 0n) {
      await (await channel.defundChannel(state, [ETH], [index])).wait().catch(() => undefined);
    }
    // The payee's channel held no other transfer: the mirror is the whole tree.
    const tree = new MerkleTree([transferStateHash(transfer)]);
    expect(tree.root()).toBe(state.merkleRoot);
    await (await channel.disputeTransfer(transfer, tree.proof(transferStateHash(transfer)))).wait();
    await (
      await channel.defundTransfer(
        transfer,
        transfer.transferState,
        hashlock.encodeResolver({ preImage }),
        "0x",
      )
    ).wait();
    // Its own 0.1 and the mirror's 0.3.
    expect(await channel.getExitableAmount(ETH, payee.address)).toBe(parseEther("0.4"));

    // The node read the pre-image from that claim and settled the payer with it: the payer
    // paid once, and is never refunded.
    const settledWith = (preImageOf: string) =>
      payer.history.some(
        (state) =>
          state.latestUpdate.type === "resolve" &&
          hashlock.decodeResolver(
            (state.latestUpdate as ChannelUpdate<"resolve">).details.transferResolver,
          ).preImage === preImageOf,
      );
    await waitFor(() => settledWith(preImage), 30_000);
    // The payer's 0.3 went to the node (the payee's own payment to it is still locked apart).
    expect(payer.state.balances[0]?.amount[1]).toBe(parseEther("0.7"));
    expect(await paymentStatus(stack, paymentId)).toBe("completed");
    await Promise.all([payer.close(), payee.close()]);
  }, 180_000);
});
