import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseEther, type Wallet } from "ethers";
import type { ConnextClient } from "../../client";
import { waitFor } from "../expectations";
import { scaleSuiteMissing } from "./missing";
import {
  AMOUNT,
  balancesOf,
  connectPairs,
  ETH,
  expectAgree,
  expectStreamSettled,
  type Pair,
  streamPayments,
} from "./paymentStreams";
import { ETH_COLLATERAL, type ScaleStack, startScaleStack } from "./scaleStack";

/**
 * The chain's RPC is unreachable from every node process for 30 s (a proxy in front of anvil,
 * cut and restored) while 10 pairs pay. Off-chain payments need no chain and go on; a
 * withdrawal asked for meanwhile is retried and sent by the node once the RPC is back; a new
 * payee's collateral deposit is made with its next payment after the outage (the one during
 * it is refunded: the skipped test).
 */
const missing = scaleSuiteMissing("the chain RPC outage fault test");
const OUTAGE_MS = 30_000;

describe.skipIf(missing !== undefined)("the chain's RPC unreachable for 30 s", () => {
  let scale: ScaleStack;
  let pairs: Pair[];
  /** Pays the newcomer and withdraws during the outage. */
  let user: ConnextClient;
  let userWallet: Wallet;
  /** A payee with no collateral yet: its first payment needs a deposit from the node. */
  let newcomer: ConnextClient;
  let newcomerWallet: Wallet;

  let outageOver = false;

  beforeAll(async () => {
    scale = await startScaleStack();
    pairs = await connectPairs(scale, 10, [0, 1, 2]);
    [userWallet, newcomerWallet] = (await scale.wallets(2)) as [Wallet, Wallet];
    // Only the node may send the withdrawal: the client's own fallback waits ten minutes.
    user = await scale.client(userWallet, 1, { withdrawalDeadlineMs: 600_000 });
    newcomer = await scale.client(newcomerWallet, 2);
    await user.deposit({ assetId: ETH, amount: parseEther("1") });
    // The node collateralises a payee by demand, a little at a time: a payee short of it needs
    // a deposit, so chain work, for its next payment (see the skipped test). Payees whose own
    // deposits justify the full target hold enough for the whole stream: their payments need
    // no chain.
    for (const { payee } of pairs) await payee.deposit({ assetId: ETH, amount: parseEther("1") });
    await Promise.all(pairs.map(({ payee }) => payee.requestCollateral(ETH)));
    for (const { payee } of pairs) expect(payee.getBalance(ETH).node).toBe(ETH_COLLATERAL);
  }, 120_000);
  afterAll(async () => {
    outageOver = true;
    await scale?.stop();
  });

  test("30 s outage: payments go on; a withdrawal and a payment needing collateral asked for meanwhile complete once the RPC is back", async () => {
    const before = balancesOf(pairs);
    const stream = streamPayments(pairs, 1_000, {
      gapMs: 400,
      stopWhen: () => outageOver,
      giveUpMs: 150_000,
    });
    await waitFor(() => stream.answered() >= 20, 30_000);

    scale.rpc.cut();
    const cutAt = Date.now();
    const answeredAtCut = stream.answered();
    const paid = user.transfer({ recipient: newcomer.identifier, assetId: ETH, amount: AMOUNT });
    const withdrawal = user.withdraw({ assetId: ETH, amount: parseEther("0.1") });
    // Unhandled until awaited below: a rejection must not escape meanwhile.
    paid.catch(() => {});
    withdrawal.catch(() => {});
    await Bun.sleep(OUTAGE_MS);
    const duringOutage = stream.answered() - answeredAtCut;
    const refused = scale.rpc.refused();
    expect(newcomer.getBalance(ETH).node).toBe(0n); // no collateral could be deposited
    scale.rpc.restore();
    console.log(
      `RPC outage: ${duringOutage} payments answered in ${Date.now() - cutAt} ms without the ` +
        `chain; ${refused} RPC connections refused`,
    );
    // Off-chain payments went on: at least a payment per pair every 2 s.
    expect(duringOutage).toBeGreaterThanOrEqual((10 * OUTAGE_MS) / 2_000);
    expect(refused).toBeGreaterThan(0);

    // The withdrawal, sent by the node once the RPC is back.
    const { transactionHash } = await withdrawal;
    const sent = await scale.base.provider.getTransaction(transactionHash);
    expect(sent?.from).toBe(scale.base.node.identifier);
    // The newcomer's collateral, deposited by the node once the RPC is back, and its payment:
    // the payment needing the deposit waited (its `transfer` answered `pending` while the
    // deposit could not be sent) and is forwarded then, never refunded.
    const during = await paid;
    expect(["completed", "pending"]).toContain(during.status);
    console.log(`RPC outage: the payment needing collateral during it answered ${during.status}`);
    await waitFor(() => newcomer.getBalance(ETH).user === AMOUNT, 60_000);
    await expectAgree(scale, user, userWallet);
    await expectAgree(scale, newcomer, newcomerWallet);

    outageOver = true;
    await stream.done;
    const outcome = await expectStreamSettled(scale, pairs, stream, before);
    console.log(
      `RPC outage: ${JSON.stringify(outcome)}, retried ${JSON.stringify(stream.retried)}`,
    );
    expect(outcome.cancelled).toBe(0);
  }, 180_000);
});
