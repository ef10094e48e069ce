import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseEther } from "ethers";
import { lockHashOf, randomPreImage } from "../../client/crypto";
import { ChannelFactory__factory } from "../../contracts-bindings";
import { type FullChannelState, hashlock } from "../../protocol";
import { waitFor } from "../expectations";
import { ETH, paymentDraft, RawUser } from "../rawUser";
import { type Stack, startStack } from "../stack";
import { until } from "./clientHelpers";

/**
 * Issue 10 §5: a user submits an old state against the node, chosen at random among more than
 * twenty earlier doubly-signed states. The node's watcher answers with its latest inside the
 * consensus window, promptly, and the user's exit pays exactly its balance in the latest state.
 */
const TIMEOUT = 3600;
const TRIALS = 3;
let stack: Stack;
let payee: RawUser;

beforeAll(async () => {
  stack = await startStack();
  payee = await RawUser.connect(stack, 9, TIMEOUT);
}, 120_000);

afterAll(async () => {
  await payee?.close();
  await stack?.stop();
});

async function passTime(seconds: number) {
  await stack.provider.send("evm_increaseTime", [seconds]);
  await stack.provider.send("evm_mine", []);
}

/** A user with more than twenty doubly-signed states: deposits and payments to the payee. */
async function userWithHistory(index: number): Promise<RawUser> {
  const user = await RawUser.connect(stack, index, TIMEOUT);
  await user.deposit(parseEther("1"));
  for (let i = 0; i < 10; i++) {
    const preImage = randomPreImage();
    await user.propose(
      paymentDraft(stack, {
        recipient: payee.address,
        amount: parseEther("0.01"),
        lockHash: lockHashOf(preImage),
        paymentId: randomPreImage(),
      }),
    );
    await waitFor(() => payee.view.transfers.size === 1);
    await payee.propose({
      type: "resolve",
      transferId: [...payee.view.transfers.keys()][0] as string,
      transferResolver: hashlock.encodeResolver({ preImage }),
    });
    await waitFor(() => user.view.transfers.size === 0);
  }
  return user;
}

describe("a stale state submitted by a user", () => {
  test(`the node answers it in the consensus window (${TRIALS} trials, random earlier states)`, async () => {
    const answeredIn: number[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      await stack.syncClockToChain();
      const user = await userWithHistory(1 + trial);
      const latest = user.state;
      const earlier = user.history.filter((s) => s.nonce < latest.nonce);
      expect(earlier.length).toBeGreaterThanOrEqual(20);
      const stale = earlier[Math.floor(Math.random() * earlier.length)] as FullChannelState;

      const factory = ChannelFactory__factory.connect(
        stack.book.channelFactory,
        stack.wallet(user.index),
      );
      await (await factory.createChannel(stack.node.identifier, user.address)).wait();
      const channel = user.channel;
      const sent = await (
        await channel.disputeChannel(
          stale,
          stale.latestUpdate.aliceSignature as string,
          stale.latestUpdate.bobSignature as string,
        )
      ).wait();
      await until(
        async () => Number((await channel.getChannelDispute()).nonce) === latest.nonce,
        `trial ${trial}: the node answers nonce ${stale.nonce} with ${latest.nonce}`,
      );
      answeredIn.push((await stack.provider.getBlockNumber()) - (sent?.blockNumber ?? 0));

      await passTime(TIMEOUT + 1);
      await until(
        async () => (await channel.getExitableAmount(ETH, user.address)) > 0n,
        "the node defunds",
      );
      // The user is paid exactly its balance in the latest state.
      expect(await channel.getExitableAmount(ETH, user.address)).toBe(
        latest.balances[0]?.amount[1] as bigint,
      );
      await user.close();
    }
    console.log(`stale disputes answered within ${answeredIn.join(", ")} blocks`);
    expect(Math.max(...answeredIn)).toBeLessThanOrEqual(5);
  }, 240_000);
});
