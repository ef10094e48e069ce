import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseEther } from "ethers";
import type { ConnextClient } from "../../client";
import { lockHashOf, randomPreImage } from "../../client/crypto";
import { type ChannelUpdate, hashlock, privateKeySigner, withdraw } from "../../protocol";
import { paymentStatus, waitFor } from "../expectations";
import { ETH, paymentDraft, RawUser } from "../rawUser";
import { type Stack, startStack } from "../stack";

/**
 * Issue 9, attack 4 and 12 (first item): the counterparty's meta at resolve never replaces what
 * was agreed at create.
 * - A payee resolves the node's mirror with `meta: { routing: "poison" }`: the node still
 *   settles the payer, and one payment's trouble never stops the others being settled.
 * - A user resolves the node's collateral reclaim with its own `meta.withdraw.recipient`: the
 *   node still sends the commitment it signed, to itself.
 */
let stack: Stack;
let payer: ConnextClient;
let mallory: RawUser;

beforeAll(async () => {
  stack = await startStack({ ethReclaimThreshold: parseEther("1.5") });
  payer = await stack.client(1, { completionTimeoutMs: 500 });
  mallory = await RawUser.connect(stack, 2);
  await payer.deposit({ assetId: ETH, amount: parseEther("1") });
}, 120_000);

afterAll(async () => {
  await mallory?.close();
  await stack?.stop();
});

/** Mallory's mirror of a payment, once the node has forwarded it. */
async function mirrorOf(paymentId: string) {
  await waitFor(() =>
    [...mallory.view.transfers.values()].some(
      (t) => (t.meta?.routing as { paymentId?: string } | undefined)?.paymentId === paymentId,
    ),
  );
  return [...mallory.view.transfers.values()].find(
    (t) => (t.meta?.routing as { paymentId?: string } | undefined)?.paymentId === paymentId,
  ) as NonNullable<ReturnType<typeof mallory.view.transfers.get>>;
}

describe("attack 4: meta poisoning", () => {
  test("a poisoned resolve and a plain one, payer away: both settled when it returns", async () => {
    const payments = await Promise.all(
      [0, 1].map(async () => {
        const preImage = randomPreImage();
        const sent = await payer.conditionalTransfer({
          type: "hashlock",
          recipient: mallory.address,
          assetId: ETH,
          amount: parseEther("0.1"),
          lockHash: lockHashOf(preImage),
        });
        return { preImage, paymentId: sent.paymentId };
      }),
    );
    const mirrors = await Promise.all(payments.map((p) => mirrorOf(p.paymentId)));
    await payer.close();
    const [poisoned, plain] = payments as [(typeof payments)[0], (typeof payments)[0]];
    await mallory.propose({
      type: "resolve",
      transferId: (mirrors[0] as (typeof mirrors)[0]).transferId,
      transferResolver: hashlock.encodeResolver({ preImage: poisoned.preImage }),
      meta: { routing: "poison", withdraw: { recipient: 42 } },
    });
    await mallory.propose({
      type: "resolve",
      transferId: (mirrors[1] as (typeof mirrors)[0]).transferId,
      transferResolver: hashlock.encodeResolver({ preImage: plain.preImage }),
    });
    expect(await paymentStatus(stack, poisoned.paymentId)).toBe("completed");
    expect(await paymentStatus(stack, plain.paymentId)).toBe("completed");

    // The payer comes back: the node settles both of its transfers with the pre-images.
    payer = await stack.client(1, { completionTimeoutMs: 500 });
    await waitFor(() => payer.getTransfers().length === 0);
    expect(payer.getBalance(ETH).user).toBe(parseEther("0.8"));
    expect(mallory.state.balances[0]?.amount[1]).toBe(parseEther("0.2"));
  }, 60_000);
});

describe("attack 12: a reclaim's recipient rewritten at resolve", () => {
  test("the node sends the commitment it signed, to itself", async () => {
    // The payment carries no signed terms: this payee's application takes it anyway.
    const honest = await stack.client(3, { channelTimeout: 3600, acceptConditional: () => true });
    // Mallory routes 2 ETH through the node: the node's side of her channel grows past its
    // 1.5 ETH reclaim threshold, and the node proposes a withdrawal of its collateral.
    await mallory.deposit(parseEther("2"));
    let reclaim: ChannelUpdate<"create"> | undefined;
    mallory.onProposal = async (message, user) => {
      const reply = await user.countersignAndAdopt(message);
      const { update } = message;
      if (
        update.type === "create" &&
        (update as ChannelUpdate<"create">).details.transferDefinition === stack.book.withdraw
      ) {
        reclaim = update as ChannelUpdate<"create">;
      }
      return reply;
    };
    const preImage = randomPreImage();
    await mallory.propose(
      paymentDraft(stack, {
        recipient: honest.identifier,
        amount: parseEther("2"),
        lockHash: lockHashOf(preImage),
        paymentId: randomPreImage(),
      }),
    );
    // The honest payee cannot decrypt a pre-image nobody encrypted: it resolves by hand.
    await waitFor(() => honest.getTransfers().length === 1);
    await honest.resolveTransfer({
      transferId: (honest.getTransfers()[0] as { transferId: string }).transferId,
      preImage,
    });
    await waitFor(() => reclaim !== undefined, 20_000);
    const transfer = [...mallory.view.transfers.values()].find(
      (t) => t.transferDefinition === stack.book.withdraw,
    );
    if (!transfer) throw new Error("no reclaim transfer");
    const { data } = withdraw.decodeState(transfer.transferState);
    const signature = await privateKeySigner(stack.wallet(2).privateKey).signDigest(data);
    await mallory.propose({
      type: "resolve",
      transferId: transfer.transferId,
      transferResolver: withdraw.encodeResolver({ responderSignature: signature }),
      meta: { withdraw: { recipient: mallory.address } },
    });
    // The commitment both signed pays the node, and that is what the node sends.
    const channel = mallory.channel;
    const node = stack.node.identifier;
    const deadline = Date.now() + 20_000;
    let paidTo: string[] = [];
    while (paidTo.length === 0 && Date.now() < deadline) {
      const events = await channel.queryFilter(channel.filters.Withdrawn());
      paidTo = events.map((event) => event.args.recipient as string);
      await Bun.sleep(100);
    }
    expect(paidTo).toEqual([node]);
    expect(await channel.isWithdrawalExecuted(data)).toBe(true);
    await honest.close();
  }, 90_000);
});
