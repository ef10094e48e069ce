import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseEther } from "ethers";
import { lockHashOf, randomPreImage } from "../../client/crypto";
import { ChannelFactory__factory } from "../../contracts-bindings";
import {
  type ChannelUpdate,
  type FullChannelState,
  privateKeySigner,
  withdraw,
} from "../../protocol";
import { withdrawalDraft } from "../../protocol/withdrawals";
import { waitFor } from "../expectations";
import { ETH, paymentDraft, RawUser, RefusedError, refuse } from "../rawUser";
import { type Stack, startStack } from "../stack";

/**
 * Issue 9, attack 2: a user withdraws, takes the node's signature on the commitment from the
 * node's resolve proposal without countersigning it, executes the commitment on-chain itself,
 * then disputes a state in which the withdrawal transfer is still locked (or an older one,
 * before the withdrawal), to get the locked amount back after the transfer's timeout too.
 * The node answers a stale state with its latest, and resolves the withdrawal transfer on-chain
 * with its own signature before the timeout: the user gets its deposit once.
 */
let stack: Stack;
const CHANNEL_TIMEOUT = 3600;

beforeAll(async () => {
  stack = await startStack();
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

/**
 * A user with 1 ETH in its channel withdraws all of it, refuses the node's resolve, and
 * executes the commitment with the node's signature taken from that resolve. Returns the
 * states before and after the withdrawal's create, and the withdrawal transfer id.
 */
async function withdrawAndExecuteAlone(user: RawUser) {
  await user.deposit(parseEther("1"));
  const beforeWithdrawal = user.state;
  let nodeSignature: string | undefined;
  user.onProposal = async (message) => {
    if (message.update.type === "resolve") {
      const resolve = message.update as ChannelUpdate<"resolve">;
      nodeSignature = withdraw.decodeResolver(resolve.details.transferResolver).responderSignature;
      return refuse("TRANSFER_REJECTED", "keeping the signature, not the resolve");
    }
    return refuse();
  };
  const draft = await withdrawalDraft(
    user.view as typeof user.view & { state: FullChannelState },
    {
      assetId: ETH,
      amount: parseEther("1"),
      recipient: user.address,
      responder: stack.node.identifier,
      definition: stack.book.withdraw,
    },
    privateKeySigner(stack.wallet(user.index).privateKey),
  );
  await user.propose(draft);
  const withdrawal = [...user.view.transfers.values()][0];
  if (!withdrawal) throw new Error("no withdrawal transfer");
  await waitFor(() => nodeSignature !== undefined);

  // The commitment, executed by the user alone with the node's signature.
  const wallet = stack.wallet(user.index);
  const factory = ChannelFactory__factory.connect(stack.book.channelFactory, wallet);
  await gasOf(factory.createChannel(stack.node.identifier, user.address));
  const { initiatorSignature, nonce } = withdraw.decodeState(withdrawal.transferState);
  const commitment = {
    channelAddress: user.state.channelAddress,
    assetId: ETH,
    recipient: user.address,
    amount: parseEther("1"),
    nonce,
  };
  const before = await stack.provider.getBalance(user.address);
  const fee = await gasOf(
    user.channel.withdraw(commitment, nodeSignature as string, initiatorSignature),
  );
  const received = (await stack.provider.getBalance(user.address)) - before + fee;
  return { beforeWithdrawal, withdrawal, received };
}

/** Waits for a transaction and returns what its gas cost the sender. */
async function gasOf(sent: Promise<{ wait(): Promise<unknown> }>): Promise<bigint> {
  const receipt = (await (await sent).wait()) as { gasUsed: bigint; gasPrice: bigint };
  return receipt.gasUsed * receipt.gasPrice;
}

async function dispute(user: RawUser, state: FullChannelState) {
  if ((await stack.provider.getCode(state.channelAddress)) === "0x") {
    const wallet = stack.wallet(user.index);
    const factory = ChannelFactory__factory.connect(stack.book.channelFactory, wallet);
    await gasOf(factory.createChannel(stack.node.identifier, user.address));
  }
  await gasOf(
    user.channel.disputeChannel(
      state,
      state.latestUpdate.aliceSignature as string,
      state.latestUpdate.bobSignature as string,
    ),
  );
}

async function passTime(seconds: number) {
  await stack.provider.send("evm_increaseTime", [seconds]);
  await stack.provider.send("evm_mine", []);
}

/** Waits for a chain condition the node's dispute responder brings about. */
async function waitForChain(condition: () => Promise<boolean>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`chain condition not met within ${timeoutMs} ms`);
    await Bun.sleep(100);
  }
}

/** After the consensus window: the user defunds and disputes; the node defunds the withdrawal. */
async function carryDisputeThrough(user: RawUser, withdrawalId: string) {
  await passTime(CHANNEL_TIMEOUT + 1);
  const channel = user.channel;
  // The node resolves the withdrawal transfer with its signature, before the timeout.
  await waitForChain(async () => (await channel.getTransferDispute(withdrawalId)).isDefunded);
  // After the transfer's timeout the user tries the initial balance: too late, it is paid.
  await passTime(CHANNEL_TIMEOUT + 1);
  const state = user.state;
  const transfer = user.view.transfers.get(withdrawalId);
  if (!transfer) throw new Error("unknown transfer");
  await expect(
    channel.defundTransfer.staticCall(transfer, transfer.transferState, "0x", "0x"),
  ).rejects.toThrow();
  // Whatever the state leaves the user: its balance there is 0.
  expect(state.balances[0]?.amount[1]).toBe(0n);
  return channel.getExitableAmount(ETH, user.address);
}

describe("attack 2: a withdrawal commitment executed alone, then the lock reclaimed by dispute", () => {
  test("disputing the latest state: the node resolves the withdrawal on-chain, the user gets 1 ETH once", async () => {
    const user = await RawUser.connect(stack, 3, CHANNEL_TIMEOUT);
    const { withdrawal, received } = await withdrawAndExecuteAlone(user);
    expect(received).toBe(parseEther("1"));
    await dispute(user, user.state);
    const exitable = await carryDisputeThrough(user, withdrawal.transferId);
    expect(exitable).toBe(0n);
    expect(await stack.provider.getBalance(user.state.channelAddress)).toBe(0n);
    await user.close();
  }, 120_000);

  test("disputing the state before the withdrawal: the node answers with its latest first", async () => {
    const user = await RawUser.connect(stack, 4, CHANNEL_TIMEOUT);
    const { beforeWithdrawal, withdrawal, received } = await withdrawAndExecuteAlone(user);
    expect(received).toBe(parseEther("1"));
    // A state in which the user still holds its 1 ETH: a second ETH, if nobody answered.
    await dispute(user, beforeWithdrawal);
    const channel = user.channel;
    await waitForChain(
      async () => Number((await channel.getChannelDispute()).nonce) === user.state.nonce,
    );
    const exitable = await carryDisputeThrough(user, withdrawal.transferId);
    expect(exitable).toBe(0n);
    expect(await stack.provider.getBalance(user.state.channelAddress)).toBe(0n);
    await user.close();
  }, 120_000);
});

describe("attack 7: a channel in dispute takes no deposits and no updates", () => {
  test("the node refuses updates, payments into it and collateral, and deposits nothing", async () => {
    const user = await RawUser.connect(stack, 5, CHANNEL_TIMEOUT);
    const payer = await RawUser.connect(stack, 6, CHANNEL_TIMEOUT);
    await Promise.all([user.deposit(parseEther("0.5")), payer.deposit(parseEther("0.5"))]);
    await dispute(user, user.state);
    const channel = user.channel;
    const aliceBefore = await channel.getTotalDepositsAlice(ETH);
    const refusal = async (work: () => Promise<unknown>) => {
      try {
        await work();
        return "accepted";
      } catch (error) {
        return error instanceof RefusedError ? error.error.code : String(error);
      }
    };
    const pay = (from: RawUser, to: RawUser) =>
      from.propose(
        paymentDraft(stack, {
          recipient: to.address,
          amount: parseEther("0.1"),
          lockHash: lockHashOf(randomPreImage()),
          paymentId: randomPreImage(),
        }),
      );
    // Before it deposits, the node reads the channel's dispute on-chain: no collateral.
    expect(await refusal(() => user.call("collateral", { assetId: ETH }))).toBe(
      "CHANNEL_IN_DISPUTE",
    );
    // From then on (or from the watcher's next scan) nothing is signed on the channel.
    expect(await refusal(() => pay(user, payer))).toBe("CHANNEL_IN_DISPUTE");
    expect(await refusal(() => pay(payer, user))).toBe("CHANNEL_IN_DISPUTE");
    expect(await channel.getTotalDepositsAlice(ETH)).toBe(aliceBefore);
    await Promise.all([user.close(), payer.close()]);
  }, 120_000);
});
