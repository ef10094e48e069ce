import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseEther } from "ethers";
import { lockHashOf, randomPreImage } from "../../client/crypto";
import { type AppliedUpdate, hashlock } from "../../protocol";
import { waitFor } from "../expectations";
import { paymentDraft, RawUser, refuse } from "../rawUser";
import { ADMIN_TOKEN, type Stack, startStack } from "../stack";

/**
 * Issue 9, attack 1: one attacker controls payer and payee. The payee countersigns the node's
 * mirror in private and answers with an error, hoping the node refunds the payer while its
 * signature on the mirror is still valid, then hands the mirror back and claims it too.
 * The node keeps a signed mirror live until the payee's channel moves past it or it expires:
 * the payer is not refunded meanwhile, and a mirror handed back after its expiry pays nothing.
 */
let stack: Stack;
let payer: RawUser;
let payee: RawUser;

beforeAll(async () => {
  stack = await startStack({ node: { sweepIntervalMs: 100 } });
  [payer, payee] = await Promise.all([RawUser.connect(stack, 1), RawUser.connect(stack, 2)]);
  await payer.deposit(parseEther("1"));
}, 120_000);

afterAll(async () => {
  await payer?.close();
  await payee?.close();
  await stack?.stop();
});

/** Pays `amount` from the payer; the payee's next mirror is countersigned in private and refused. */
async function payAndHoldMirror(amount: bigint) {
  const preImage = randomPreImage();
  const paymentId = randomPreImage();
  let held: AppliedUpdate | undefined;
  payee.onProposal = async (message, user) => {
    // Collateral deposits and the like are answered honestly; the mirror is held.
    if (message.update.type !== "create") return user.countersignAndAdopt(message);
    held = await user.countersign(message);
    return refuse("TRANSFER_REJECTED", "not today");
  };
  await payer.propose(
    paymentDraft(stack, {
      recipient: payee.address,
      amount,
      lockHash: lockHashOf(preImage),
      paymentId,
    }),
  );
  await waitFor(() => held !== undefined);
  payee.onProposal = (message, user) => user.countersignAndAdopt(message);
  return { preImage, paymentId, mirror: held as AppliedUpdate };
}

async function payment(paymentId: string) {
  const response = await fetch(`${stack.node.httpUrl}/admin/payments`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  const all = (await response.json()) as { paymentId: string; status: string }[];
  return all.find((p) => p.paymentId === paymentId);
}

const balance = (user: RawUser) => user.state.balances[0]?.amount ?? [0n, 0n];

describe("attack 1: a mirror countersigned in private and refused", () => {
  test("the payer is not refunded while the mirror is live; handing it back pays once", async () => {
    const { preImage, paymentId, mirror } = await payAndHoldMirror(parseEther("0.5"));
    // The node tried, was refused, and must not refund: give it every chance to.
    await Bun.sleep(500);
    expect((await payment(paymentId))?.status).toBe("pending");
    expect(payer.proposals.filter((p) => p.update.type === "resolve")).toEqual([]);
    expect(payer.view.transfers.size).toBe(1);

    // The payee hands the countersigned mirror back: the node adopts it for the live payment.
    payee.adopt(mirror);
    await payee.sync();
    const mirrorTransfer = mirror.transfer;
    if (!mirrorTransfer) throw new Error("no mirror transfer");
    await payee.propose({
      type: "resolve",
      transferId: mirrorTransfer.transferId,
      transferResolver: hashlock.encodeResolver({ preImage }),
    });
    // The node settles the payer with the same pre-image.
    await waitFor(() => payer.view.transfers.size === 0);
    expect((await payment(paymentId))?.status).toBe("completed");
    expect(balance(payer)[1]).toBe(parseEther("0.5"));
    expect(balance(payee)[1]).toBe(parseEther("0.5"));
    // The attacker holds exactly its deposit across both channels.
    expect(balance(payer)[1] + balance(payee)[1]).toBe(parseEther("1"));
  }, 60_000);

  test("after the mirror expired the payer is refunded, and the mirror handed back claims nothing", async () => {
    const before = balance(payee)[1];
    const { preImage, paymentId, mirror } = await payAndHoldMirror(parseEther("0.2"));
    const { expiry } = hashlock.decodeState(mirror.transfer?.transferState as string);
    // Past the mirror's expiry (and the grace for the chain's clock), the sweep refunds.
    stack.clock.advance(Number(expiry) - stack.clock.now() + 121);
    await waitFor(() => payer.view.transfers.size === 0);
    expect((await payment(paymentId))?.status).toBe("cancelled");
    expect(balance(payer)[1]).toBe(parseEther("0.5"));

    // Handed back now, the mirror is adopted as a dead one: no pre-image can claim it.
    payee.adopt(mirror);
    await payee.sync();
    const transferId = mirror.transfer?.transferId as string;
    await expect(
      payee.propose({
        type: "resolve",
        transferId,
        transferResolver: hashlock.encodeResolver({ preImage }),
      }),
    ).rejects.toThrow(/RESOLVE_REJECTED|expired/);
    expect(balance(payee)[1]).toBe(before);
    expect(balance(payer)[1] + balance(payee)[1]).toBe(parseEther("1"));
    expect((await payment(paymentId))?.status).toBe("cancelled");
  }, 60_000);
});
