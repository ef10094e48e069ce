import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseEther, ZeroAddress } from "ethers";
import type { ConnextClient } from "../../client";
import { lockHashOf, randomPreImage } from "../../client/crypto";
import { waitFor } from "../expectations";
import { paymentDraft, RawUser } from "../rawUser";
import { type Stack, startStack } from "../stack";

/**
 * Issue 11, item 3: one user must not stall refunds for everyone. An attacker pays a few small
 * payments to a recipient who is offline, stays connected and never answers the node's
 * proposals, so each of its refunds (a cancel the node proposes to it) can only time out. An
 * honest payer's payment to another offline recipient expires at the same moment: its refund
 * must come within a few seconds of wall time, not after the attacker's cancels one by one
 * (10 s each before the fix: 3 of them put it 30 s late, 8 of them 80 s).
 *
 * Both payments are never forwarded (their recipients are away), so each is refundable once a
 * mirror signed now could no longer be claimed by its payee: an hour after it was made (the
 * payee's window). The test moves the shared clock past that moment and times the refund.
 */
const ETH = ZeroAddress;
/** Wall time within which the honest payer's refund must arrive once it is due. */
const REFUND_BOUND_MS = 5_000;
/** The node's expiry sweep in this test. */
const SWEEP_MS = 250;

let stack: Stack;
let honest: ConnextClient;
/** The honest payer's recipient: set up, then away. */
let honestPayee: string;
/** The attackers' recipient: set up, then away. */
let attackersPayee: RawUser;
const attackers: RawUser[] = [];

beforeAll(async () => {
  stack = await startStack({ node: { sweepIntervalMs: SWEEP_MS } });
  honest = await stack.client(1);
  await honest.deposit({ assetId: ETH, amount: parseEther("1") });
  const away = await stack.client(5);
  honestPayee = away.identifier;
  await away.close();
  attackersPayee = await RawUser.connect(stack, 4);
  await attackersPayee.close();
}, 120_000);

afterAll(async () => {
  for (const attacker of attackers) await attacker.close().catch(() => {});
  await stack?.stop();
});

/** Never answers: the node's proposal can only time out. */
const silent = () => new Promise<string>(() => {});

/** A connected attacker (dev `index`) with `count` pending payments, silent from now on. */
async function attackerWithPayments(index: number, count: number): Promise<RawUser> {
  const attacker = await RawUser.connect(stack, index);
  attackers.push(attacker);
  await attacker.deposit(parseEther("0.1"));
  attacker.onProposal = silent;
  for (let i = 0; i < count; i++) {
    await attacker.propose(
      paymentDraft(stack, {
        recipient: attackersPayee.address,
        amount: parseEther("0.001"),
        lockHash: lockHashOf(randomPreImage()),
        paymentId: randomPreImage(),
      }),
    );
  }
  return attacker;
}

/** The honest payer's pending payment to its away recipient; resolves with the refund's time. */
async function honestPayment(): Promise<{ refunded: Promise<number> }> {
  const payment = await honest.conditionalTransfer({
    type: "hashlock",
    recipient: honestPayee,
    assetId: ETH,
    amount: parseEther("0.01"),
    lockHash: lockHashOf(randomPreImage()),
  });
  expect(payment.status).toBe("pending");
  const refunded = new Promise<number>((resolve) => {
    honest.on("transfer.resolved", (event) => {
      if (event.transferId === payment.transferId && event.cancelled) resolve(performance.now());
    });
  });
  return { refunded };
}

/** Moves the clock past the moment both payments became refundable; the wall time it did. */
function expireEverything(): number {
  // The payee's hour to claim (the rest of each lock is the channels' dispute windows), plus
  // the node's grace for the chain's clock.
  stack.clock.advance(3600 + 121);
  return performance.now();
}

async function refundDelay(attackerIndex: number, payments: number): Promise<number> {
  const attacker = await attackerWithPayments(attackerIndex, payments);
  expect(attacker.view.transfers.size).toBe(payments);
  const before = honest.getBalance(ETH).user;
  const { refunded } = await honestPayment();
  const due = expireEverything();
  const at = await Promise.race([refunded, Bun.sleep(120_000).then(() => Number.NaN)]);
  const delay = at - due;
  if (!Number.isNaN(at)) expect(honest.getBalance(ETH).user).toBe(before);
  console.log(
    `availability 3: ${payments} silent payments ahead → the honest payer's refund came ${Math.round(delay)} ms after it was due (bound ${REFUND_BOUND_MS} ms)`,
  );
  return delay;
}

describe("availability 3: a silent payer delays only its own refunds", () => {
  test("3 silent payments: the honest payer is refunded within the bound", async () => {
    const delay = await refundDelay(3, 3);
    expect(delay).toBeLessThan(REFUND_BOUND_MS);
  }, 180_000);

  test("8 silent payments (with the first attacker still silent): the honest payer is refunded within the bound", async () => {
    const delay = await refundDelay(6, 8);
    expect(delay).toBeLessThan(REFUND_BOUND_MS);
  }, 180_000);

  test("once the attackers answer and say hello, each gets every refund it is owed", async () => {
    for (const attacker of attackers) {
      attacker.onProposal = (message, user) => user.countersignAndAdopt(message);
      await attacker.sync();
    }
    for (const attacker of attackers) {
      await waitFor(() => attacker.view.transfers.size === 0, 30_000);
      // The deposit is whole again: every cancelled payment came back.
      expect(attacker.state.balances[0]?.amount[1]).toBe(parseEther("0.1"));
    }
  }, 60_000);
});
