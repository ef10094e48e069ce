import { afterAll, beforeAll, expect, test } from "bun:test";
import { parseEther } from "ethers";
import type { ConnextClient } from "../../client";
import { randomPreImage } from "../../client/crypto";
import { waitFor } from "../expectations";
import { ETH } from "../rawUser";
import { type Stack, startStack } from "../stack";

/**
 * Issue 11, item 9 (a fake "failed"): the node's payment events are unsigned. A node that
 * tells the payer "failed" while the payer's transfer is still locked, and completes it later,
 * made `transfer()` answer `failed`; an application that then paid again paid twice. The
 * client now reads a payment's outcome from its channel only (the resolve of its transfer it
 * countersigned): the lie leaves the payment `pending`, a retry with the same id pays nothing
 * more, and the payment completes once, when the payee's claim goes through.
 */
const AMOUNT = parseEther("0.25");
let stack: Stack;
let lying = false;
let payer: ConnextClient;
let payee: ConnextClient;

beforeAll(async () => {
  stack = await startStack({
    node: {
      // The node's one unsigned word on a payment in flight: it says "failed" instead.
      replacePaymentEvent: (event) =>
        lying ? { paymentId: event.paymentId, status: "failed", reason: "no route" } : event,
    },
  });
  payer = await stack.client(1, { completionTimeoutMs: 1_000 });
  payee = await stack.client(2);
  await payer.deposit({ assetId: ETH, amount: parseEther("1") });
  await payer.transfer({ recipient: payee.identifier, assetId: ETH, amount: 1n });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

test("the node says failed while the transfer is locked: the payer sees pending, a retry pays nothing more, and it completes once", async () => {
  const resolved: { paymentId?: string; cancelled: boolean }[] = [];
  payer.on("transfer.resolved", ({ paymentId, cancelled }) =>
    resolved.push({ ...(paymentId ? { paymentId } : {}), cancelled }),
  );
  const payerBefore = payer.getBalance(ETH).user;
  const payeeBefore = payee.getBalance(ETH).user;
  // The payee is away: the payment waits for it, and the node tells the payer "failed".
  await payee.close();
  const paymentId = randomPreImage();
  lying = true;

  const first = await payer.transfer({
    recipient: payee.identifier,
    assetId: ETH,
    amount: AMOUNT,
    paymentId,
  });
  expect(first.status).toBe("pending");
  // The application tries again, as it would after "failed": the same id pays nothing more.
  const retry = await payer.transfer({
    recipient: payee.identifier,
    assetId: ETH,
    amount: AMOUNT,
    paymentId,
  });
  expect(retry.status).toBe("pending");
  expect(retry.transferId).toBe(first.transferId);
  expect(payer.getBalance(ETH).user).toBe(payerBefore - AMOUNT);

  // The payee comes back: the node delivers the payment, the payee claims it, and it
  // completes, once.
  payee = await stack.client(2);
  await waitFor(() => resolved.some((r) => r.paymentId === paymentId), 30_000);
  expect(resolved.filter((r) => r.paymentId === paymentId)).toEqual([
    { paymentId, cancelled: false },
  ]);
  await waitFor(() => payee.getBalance(ETH).user === payeeBefore + AMOUNT);
  expect(payer.getBalance(ETH).user).toBe(payerBefore - AMOUNT);
  lying = false;
}, 60_000);
