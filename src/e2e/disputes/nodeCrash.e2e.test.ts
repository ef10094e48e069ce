import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseEther } from "ethers";
import { lockHashOf, randomPreImage } from "../../client/crypto";
import { hashlock } from "../../protocol";
import { waitFor } from "../expectations";
import { type NodeProcess, nodeAsProcess } from "../nodeProcess";
import { ETH, paymentDraft, RawUser } from "../rawUser";
import { ADMIN_TOKEN, type Stack, startStack } from "../stack";
import { until } from "./clientHelpers";

/**
 * Issue 10 §5: the node killed with SIGKILL in the middle of an exit (after disputeChannel,
 * after defundChannel) and started again on its data: the exit finishes, and no step is sent
 * twice (every transaction of the node's account to the channel is counted).
 */
const TIMEOUT = 3600;
let stack: Stack;
let node: NodeProcess;
let user: RawUser;

beforeAll(async () => {
  stack = await startStack();
  node = await nodeAsProcess(stack);
  await node.start();
  const [a, b] = await Promise.all([
    RawUser.connect(stack, 7, TIMEOUT),
    RawUser.connect(stack, 8, TIMEOUT),
  ]);
  user = a;
  await user.deposit(parseEther("1"));
  // 0.2 paid to b, so the node holds 0.2 of its own in the channel.
  const preImage = randomPreImage();
  await user.propose(
    paymentDraft(stack, {
      recipient: b.address,
      amount: parseEther("0.2"),
      lockHash: lockHashOf(preImage),
      paymentId: randomPreImage(),
    }),
  );
  await waitFor(() => b.view.transfers.size === 1);
  await b.propose({
    type: "resolve",
    transferId: [...b.view.transfers.keys()][0] as string,
    transferResolver: hashlock.encodeResolver({ preImage }),
  });
  await waitFor(() => user.view.transfers.size === 0);
  await b.close();
}, 120_000);

afterAll(async () => {
  await user?.close();
  await node?.kill();
  await stack?.stop();
});

async function passTime(seconds: number) {
  await stack.provider.send("evm_increaseTime", [seconds]);
  await stack.provider.send("evm_mine", []);
}

/** Every transaction the node's account sent to the channel, by function name. */
async function nodeCalls(channelAddress: string, fromBlock: number): Promise<string[]> {
  const head = await stack.provider.getBlockNumber();
  const calls: string[] = [];
  const channel = user.channel;
  for (let number = fromBlock; number <= head; number++) {
    const block = await stack.provider.getBlock(number, true);
    for (const tx of block?.prefetchedTransactions ?? []) {
      if (tx.from !== stack.node.identifier || tx.to !== channelAddress) continue;
      calls.push(channel.interface.parseTransaction({ data: tx.data })?.name ?? "?");
    }
  }
  return calls.sort();
}

describe("the node killed in the middle of an exit", () => {
  test("after disputeChannel and after defundChannel: the exit finishes, no step twice", async () => {
    const channelAddress = user.state.channelAddress;
    const firstBlock = await stack.provider.getBlockNumber();
    const response = await fetch(`${stack.node.httpUrl}/admin/channels/${channelAddress}/dispute`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(response.status).toBe(200);
    // Killed right after its disputeChannel is mined.
    await node.kill();
    await passTime(TIMEOUT + 1);
    await node.start();

    // Killed again the moment its defundChannel is mined.
    const channel = user.channel;
    await until(async () => (await channel.getDefundNonce(ETH)) > 0n, "the node defunds");
    await node.kill();
    await node.start();

    // It carries on from there: its exit.
    await until(
      async () =>
        (await channel.getExitableAmount(ETH, user.address)) > 0n &&
        (await channel.getExitableAmount(ETH, stack.node.identifier)) === 0n,
      "the node exits its share",
    );
    expect(await channel.getExitableAmount(ETH, user.address)).toBe(parseEther("0.8"));
    await (await channel.exit(ETH, user.address, user.address)).wait();
    expect(await stack.provider.getBalance(channelAddress)).toBe(0n);
    expect(await nodeCalls(channelAddress, firstBlock)).toEqual([
      "defundChannel",
      "disputeChannel",
      "exit",
    ]);

    // And once the dispute has run its course, the channel is resumed.
    await passTime(TIMEOUT + 1);
    const nonce = user.state.nonce;
    await waitFor(() => user.state.nonce === nonce + 1, 30_000);
    expect(user.state.latestUpdate.type).toBe("resume");
  }, 180_000);
});
