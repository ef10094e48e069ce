import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseEther } from "ethers";
import { isClientError } from "../../client";
import type { WithdrawalInterceptor } from "../../node/engine/engine";
import { privateKeySigner } from "../../protocol";
import { withdrawalDraft } from "../../protocol/withdrawals";
import { channelEvents, freshRecipient, until } from "../disputes/clientHelpers";
import { nodeChannel } from "../expectations";
import { ETH, RawUser, RefusedError } from "../rawUser";
import { type Stack, startStack } from "../stack";

/**
 * Issue 11, item 6: dust withdrawals must not drain the node's gas. A 1-wei withdrawal used to
 * cost the node 84,605 gas (239,969 with the channel's deployment) and the user nothing. Now a
 * user's withdrawal must pay its recipient at least the asset's minimum, leave the node the
 * asset's fee (Withdraw's `fee`: the resolve pays it to the node in the channel, on top of the
 * amount the commitment pays out), and be one of at most WITHDRAWALS_PER_HOUR of the user's.
 * - A raw user (the protocol's functions over NATS, no client) asks for dust again and again,
 *   with and without a fee: each is refused with its code and nothing changes, the node sends
 *   nothing and spends no gas.
 * - It then asks for withdrawals the node accepts, back to back: only the hour's allowance is
 *   countersigned (the rest RATE_LIMITED), and the fees they left the node pay for the gas the
 *   node spent on them, the channel's deployment included. An hour later, one more.
 * - An honest client checks the node's terms before signing anything, pays the fee on top of
 *   the amount, and its withdrawal is paid to the wei; one the node withholds the client sends
 *   itself, paying the recipient the same amount (the fee stays the node's).
 */
const MINIMUM = parseEther("0.01");
const FEE = parseEther("0.002");
const PER_HOUR = 3;

let stack: Stack;
let mallory: RawUser;
let withdrawalHook: WithdrawalInterceptor | undefined;

beforeAll(async () => {
  stack = await startStack({
    settings: {
      withdrawals: { [ETH]: { minimum: MINIMUM, fee: FEE } },
      withdrawalsPerHour: PER_HOUR,
    },
    node: {
      interceptWithdrawal: (withdrawal, send) =>
        withdrawalHook ? withdrawalHook(withdrawal, send) : send(),
    },
  });
  mallory = await RawUser.connect(stack, 1);
  await mallory.deposit(parseEther("1"));
}, 120_000);

afterAll(async () => {
  withdrawalHook = undefined;
  await mallory?.close();
  await stack?.stop();
});

/** Mallory proposes a withdrawal of `amount` to `recipient` with `fee` on top. */
async function mallorysWithdrawal(amount: bigint, fee: bigint, recipient = mallory.address) {
  const view = mallory.view as typeof mallory.view & { state: typeof mallory.state };
  const draft = await withdrawalDraft(
    view,
    {
      assetId: ETH,
      amount,
      fee,
      recipient,
      responder: stack.node.identifier,
      definition: stack.book.withdraw,
    },
    privateKeySigner(stack.wallet(mallory.index).privateKey),
  );
  return mallory.propose(draft);
}

/** The code the node refuses a proposal with (throws if it accepts it). */
async function refusalCode(proposal: Promise<unknown>): Promise<string> {
  try {
    await proposal;
  } catch (error) {
    if (error instanceof RefusedError) return error.error.code;
    throw error;
  }
  throw new Error("the node accepted it");
}

/** Everything a refused withdrawal must leave as it was. */
async function snapshot() {
  return {
    nodeGas: await stack.provider.getBalance(stack.node.identifier),
    nodeChannel: await nodeChannel(stack, mallory.index),
    nonce: mallory.state.nonce,
    balances: mallory.state.balances.map((b) => [...b.amount]),
    withdrawn: (await channelEvents(stack, mallory.state.channelAddress, "Withdrawn")).length,
    code: await stack.provider.getCode(mallory.state.channelAddress),
  };
}

describe("a raw user asking for dust withdrawals", () => {
  test("each one is refused with a stable code and changes nothing; the node spends no gas", async () => {
    const before = await snapshot();
    expect(before.code).toBe("0x"); // not deployed: a withdrawal would deploy it first

    // The attack: many 1-wei withdrawals, as fast as the node answers.
    for (let i = 0; i < 40; i++) {
      expect(await refusalCode(mallorysWithdrawal(1n, 0n))).toBe("WITHDRAWAL_TOO_SMALL");
    }
    // Paying the fee does not make dust acceptable; nor does a fee with nothing to pay out.
    expect(await refusalCode(mallorysWithdrawal(1n, FEE))).toBe("WITHDRAWAL_TOO_SMALL");
    expect(await refusalCode(mallorysWithdrawal(MINIMUM - 1n, FEE))).toBe("WITHDRAWAL_TOO_SMALL");
    expect(await refusalCode(mallorysWithdrawal(0n, FEE))).toBe("WITHDRAW_MISMATCH");
    // Enough, but without the fee (or short of it).
    expect(await refusalCode(mallorysWithdrawal(MINIMUM, 0n))).toBe("WITHDRAWAL_FEE_REQUIRED");
    expect(await refusalCode(mallorysWithdrawal(MINIMUM, FEE - 1n))).toBe(
      "WITHDRAWAL_FEE_REQUIRED",
    );

    // Nothing moved: no update on either side, no transaction, no gas. (A short look for a
    // send that would have followed; none should.)
    await Bun.sleep(500);
    expect(await snapshot()).toEqual(before);
  }, 60_000);
});

describe("a raw user asking for allowed withdrawals back to back", () => {
  test("only the hour's allowance is countersigned, the rest RATE_LIMITED; the fees pay the node's gas", async () => {
    const node = stack.node.identifier;
    const gasBefore = await stack.provider.getBalance(node);
    const userBefore = mallory.state.balances[0]?.amount[1] as bigint;
    const recipients: string[] = [];
    const codes: string[] = [];
    for (let i = 0; i < PER_HOUR + 5; i++) {
      const recipient = freshRecipient();
      try {
        await mallorysWithdrawal(MINIMUM, FEE, recipient);
        recipients.push(recipient);
        // The node resolves it at once (Mallory countersigns): let that land before the next.
        await until(() => mallory.view.transfers.size === 0, "the node resolves the withdrawal");
      } catch (error) {
        if (!(error instanceof RefusedError)) throw error;
        codes.push(error.error.code);
        expect(error.error.message).toContain(`${PER_HOUR} withdrawals per 3600 s: try again in`);
      }
    }
    expect(recipients.length).toBe(PER_HOUR);
    expect(codes).toEqual(Array(5).fill("RATE_LIMITED"));

    // The allowed ones are paid, each exactly its amount, each once.
    const channel = mallory.state.channelAddress;
    await until(
      async () => (await channelEvents(stack, channel, "Withdrawn")).length === PER_HOUR,
      "the node sends the allowed withdrawals",
    );
    for (const recipient of recipients) {
      expect(await stack.provider.getBalance(recipient)).toBe(MINIMUM);
    }
    // Mallory paid the amounts plus the fees; the node holds the fees in the channel.
    const [nodeShare, userShare] = (mallory.state.balances[0] as { amount: [bigint, bigint] })
      .amount;
    expect(userShare).toBe(userBefore - BigInt(PER_HOUR) * (MINIMUM + FEE));
    expect(nodeShare).toBe(BigInt(PER_HOUR) * FEE);
    expect((await nodeChannel(stack, mallory.index)).nonce).toBe(mallory.state.nonce);

    // What the node spent on them (the channel's deployment and three sends) is gas only, and
    // the fees cover it.
    const spent = gasBefore - (await stack.provider.getBalance(node));
    expect(spent).toBeGreaterThan(0n);
    expect(spent).toBeLessThanOrEqual(nodeShare);
    console.info(
      `dustWithdrawals: ${PER_HOUR} withdrawals cost the node ${spent} wei of gas, their fees paid it ${nodeShare}`,
    );

    // An hour later (the node's clock), the user may withdraw again.
    stack.clock.advance(3600);
    await mallorysWithdrawal(MINIMUM, FEE);
    await until(() => mallory.view.transfers.size === 0, "the node resolves the withdrawal");
    await until(
      async () => (await channelEvents(stack, channel, "Withdrawn")).length === PER_HOUR + 1,
      "the node sends it",
    );
  }, 90_000);
});

describe("a legitimate withdrawal", () => {
  test("the client checks the node's terms before signing, pays the fee on top, and is paid to the wei", async () => {
    const client = await stack.client(2);
    await client.deposit({ assetId: ETH, amount: parseEther("0.5") });
    expect(await client.getWithdrawalTerms(ETH)).toEqual({
      minimum: MINIMUM,
      fee: FEE,
      perHour: PER_HOUR,
    });
    const nonce = client.getChannel()?.nonce;

    // Refused before anything is signed or sent.
    const tooSmall = await client.withdraw({ assetId: ETH, amount: 1n }).catch((e) => e);
    expect(isClientError(tooSmall, "WITHDRAWAL_TOO_SMALL")).toBe(true);
    const tooDear = await client
      .withdraw({ assetId: ETH, amount: MINIMUM, maxFee: FEE - 1n })
      .catch((e) => e);
    expect(isClientError(tooDear, "WITHDRAWAL_FEE_TOO_HIGH")).toBe(true);
    expect(client.getChannel()?.nonce).toBe(nonce);

    // Another user's flood does not hold this one up.
    const recipient = freshRecipient();
    const amount = parseEther("0.05");
    const { transactionHash } = await client.withdraw({ assetId: ETH, amount, recipient });
    const receipt = await stack.provider.getTransactionReceipt(transactionHash);
    expect(receipt?.from).toBe(stack.node.identifier);
    expect(await stack.provider.getBalance(recipient)).toBe(amount);
    expect(client.getBalance(ETH)).toEqual({
      user: parseEther("0.5") - amount - FEE,
      node: FEE,
    });
    await client.close();
  }, 60_000);

  test("a node that withholds it: the client sends the commitment itself, paying the recipient the amount; the fee stays the node's", async () => {
    const withheld: string[] = [];
    withdrawalHook = async (withdrawal) => {
      withheld.push(withdrawal.transferId);
      return { alreadyExecuted: true };
    };
    const client = await stack.client(3, { withdrawalDeadlineMs: 2_000 });
    await client.deposit({ assetId: ETH, amount: parseEther("0.5") });
    const recipient = freshRecipient();
    const amount = parseEther("0.05");
    const { transactionHash } = await client.withdraw({ assetId: ETH, amount, recipient });
    expect(withheld.length).toBe(1);
    const receipt = await stack.provider.getTransactionReceipt(transactionHash);
    expect(receipt?.from).toBe(client.identifier);
    expect(await stack.provider.getBalance(recipient)).toBe(amount);
    expect(client.getBalance(ETH)).toEqual({
      user: parseEther("0.5") - amount - FEE,
      node: FEE,
    });
    withdrawalHook = undefined;
    await client.close();
  }, 60_000);
});
