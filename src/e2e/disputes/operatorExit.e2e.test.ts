import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseEther } from "ethers";
import { lockHashOf, randomPreImage } from "../../client/crypto";
import { runCli } from "../../node/cli/run";
import { waitFor } from "../expectations";
import { ETH, paymentDraft, RawUser } from "../rawUser";
import { ADMIN_TOKEN, type Stack, startStack } from "../stack";

/**
 * Issue 10 §2: the operator starts a channel's exit with `connext-node dispute` (the admin
 * API underneath); the node puts its latest state on record, signs nothing more on the
 * channel, carries its side through on its own (defund, its transfers, its exit to the node's
 * address) and resumes the channel after the dispute.
 */
const TIMEOUT = 3600;
let stack: Stack;
let user: RawUser;
let other: RawUser;

beforeAll(async () => {
  stack = await startStack();
  [user, other] = await Promise.all([
    RawUser.connect(stack, 5, TIMEOUT),
    RawUser.connect(stack, 6, TIMEOUT),
  ]);
  await user.deposit(parseEther("1"));
}, 120_000);

afterAll(async () => {
  await Promise.all([user?.close(), other?.close()]);
  await stack?.stop();
});

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(
    args,
    { NODE_URL: stack.node.httpUrl, ADMIN_TOKEN, LOG_LEVEL: "silent" },
    { stdout: (text) => out.push(text), stderr: (text) => err.push(text) },
  );
  return { code, stdout: out.join(""), stderr: err.join("") };
}

async function passTime(seconds: number) {
  await stack.provider.send("evm_increaseTime", [seconds]);
  await stack.provider.send("evm_mine", []);
}

describe("the operator's exit of a channel", () => {
  test("connext-node dispute: on record at once, carried through by the node, resumed after", async () => {
    // The user has paid the other 0.25 (a payment the other has not taken yet stays locked).
    await user.propose(
      paymentDraft(stack, {
        recipient: other.address,
        amount: parseEther("0.25"),
        lockHash: lockHashOf(randomPreImage()),
        paymentId: randomPreImage(),
      }),
    );
    await waitFor(() => other.view.transfers.size === 1);
    const channelAddress = user.state.channelAddress;
    const nodeBefore = await stack.provider.getBalance(stack.node.identifier);

    const started = await cli(["dispute", "--channel", channelAddress]);
    expect(started.stderr).toBe("");
    expect(started.code).toBe(0);
    const result = JSON.parse(started.stdout) as { nonce: number; transactionHash: string };
    expect(result.nonce).toBe(user.state.nonce);
    // Nothing more is signed on the channel: a deposit sent now is not reconciled (the defund
    // returns it to the user as unprocessed).
    await expect(user.deposit(parseEther("0.1"))).rejects.toThrow("CHANNEL_IN_DISPUTE");
    const again = await cli(["dispute", "--channel", channelAddress]);
    expect(again.code).toBe(1);
    expect(again.stderr).toStartWith("ALREADY_DISPUTED:");

    // After the consensus window, the node defunds and exits its own share to itself; the
    // payer's locked transfer goes back to the payer at its timeout (nobody revealed it).
    await passTime(TIMEOUT + 1);
    const channel = user.channel;
    const deadline = Date.now() + 20_000;
    while ((await channel.getExitableAmount(ETH, user.address)) === 0n) {
      if (Date.now() > deadline) throw new Error("the node did not defund");
      await Bun.sleep(100);
    }
    expect(await channel.getExitableAmount(ETH, user.address)).toBe(parseEther("0.85"));
    const status = await cli(["dispute", "--channel", channelAddress, "--status"]);
    const report = JSON.parse(status.stdout) as {
      inDispute: boolean;
      transactions: { step: string }[];
    };
    expect(report.inDispute).toBe(true);
    const steps = report.transactions.map((t) => t.step.split(":")[0]);
    expect(steps).toContain("disputeChannel");
    expect(steps).toContain("defundChannel");
    expect(await stack.provider.getBalance(stack.node.identifier)).toBeLessThan(nodeBefore);
    await (await channel.exit(ETH, user.address, user.address)).wait();
    expect(await stack.provider.getBalance(channelAddress)).toBe(parseEther("0.25"));

    // The locked payment: the node disputes it, and once its transfer dispute times out it goes
    // back to the payer.
    const [transfer] = [...user.view.transfers.values()];
    const disputed = Date.now() + 20_000;
    while (
      (await channel.getTransferDispute(transfer?.transferId as string)).transferStateHash ===
      `0x${"0".repeat(64)}`
    ) {
      if (Date.now() > disputed) throw new Error("the node did not dispute the payment");
      await Bun.sleep(100);
    }
    await passTime((transfer?.transferTimeout as number) + 1);
    const end = Date.now() + 20_000;
    while ((await stack.provider.getBalance(channelAddress)) !== 0n) {
      if (Date.now() > end) throw new Error("the locked payment was not settled");
      if ((await channel.getExitableAmount(ETH, user.address)) > 0n) {
        await (await channel.exit(ETH, user.address, user.address)).wait();
      }
      await Bun.sleep(100);
    }
    // The dispute has run its course: the node resumes the channel.
    await passTime(TIMEOUT + 1);
    const nonce = user.state.nonce;
    await waitFor(() => user.state.nonce === nonce + 1, 20_000);
    expect(user.state.latestUpdate.type).toBe("resume");
    expect(user.view.transfers.size).toBe(0);
  }, 120_000);
});
