import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseEther } from "ethers";
import type { ConnextClient } from "../../client";
import { isClientError } from "../../client/errors";
import type { RequestInterceptor } from "../../node/engine/engine";
import { NodeError } from "../../node/engine/errors";
import { type ChannelUpdate, decodeUpdateMessage, hashlock, ProtocolError } from "../../protocol";
import { waitFor } from "../expectations";
import { ETH } from "../rawUser";
import { ADMIN_TOKEN, type Stack, startStack } from "../stack";

/**
 * Issue 9, attacks 3 and 12 from the node's side: a node that misbehaves toward honest
 * clients (played by intercepting the real node's requests).
 * - It reads the pre-image in the payee's resolve and refuses to countersign: the payee never
 *   cancels that payment afterwards (the node could claim the payer's side with it).
 * - It refuses a payment but keeps the payer's signed proposal, and adopts it when the
 *   application retries: the retry with the same payment id pays once.
 */
let stack: Stack;
let intercept: RequestInterceptor | undefined;
let a: ConnextClient;
let b: ConnextClient;
const TIMEOUT = 3600;

beforeAll(async () => {
  stack = await startStack({
    node: {
      intercept: (request, handle) => (intercept ? intercept(request, handle) : handle()),
      sweepIntervalMs: 100,
    },
  });
  [a, b] = await Promise.all([
    stack.client(1, { channelTimeout: TIMEOUT, completionTimeoutMs: 1_000 }),
    stack.client(2, { channelTimeout: TIMEOUT }),
  ]);
  await a.deposit({ assetId: ETH, amount: parseEther("1") });
}, 120_000);

afterAll(async () => {
  intercept = undefined;
  await stack?.stop();
});

function updateOf(data: Uint8Array): ChannelUpdate {
  return decodeUpdateMessage(data).update;
}

async function payments(): Promise<{ paymentId: string; status: string }[]> {
  const response = await fetch(`${stack.node.httpUrl}/admin/payments`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  return (await response.json()) as { paymentId: string; status: string }[];
}

describe("a node that misbehaves toward honest clients", () => {
  test("a payee whose revealed pre-image the node refused never cancels that payment", async () => {
    const payee = b.identifier.toLowerCase();
    const fromPayee: ChannelUpdate[] = [];
    intercept = async (request, handle) => {
      if (request.method !== "update" || request.user.toLowerCase() !== payee) return handle();
      const update = updateOf(request.data);
      fromPayee.push(update);
      if (update.type === "resolve") throw new NodeError("PEER_REJECTED", "read it, thanks");
      return handle();
    };
    const sent = await a.transfer({
      recipient: b.identifier,
      assetId: ETH,
      amount: parseEther("0.1"),
    });
    expect(sent.status).toBe("pending");
    await waitFor(() => fromPayee.some((u) => u.type === "resolve"));
    const [mirror] = b.getTransfers();
    if (!mirror) throw new Error("no mirror");
    const { expiry } = hashlock.decodeState(mirror.transferState);

    // Past the mirror's expiry, the payee starts over: it must not cancel what it revealed.
    stack.clock.advance(Number(expiry) - stack.clock.now() + 10);
    await b.close();
    fromPayee.length = 0;
    b = await stack.client(2, { channelTimeout: TIMEOUT });
    await Bun.sleep(1_000);
    const cancels = fromPayee.filter(
      (u) =>
        u.type === "resolve" &&
        hashlock.decodeResolver((u as ChannelUpdate<"resolve">).details.transferResolver)
          .preImage === `0x${"0".repeat(64)}`,
    );
    expect(cancels).toEqual([]);
    expect(b.getTransfers().map((t) => t.transferId)).toEqual([mirror.transferId]);
    intercept = undefined;
  }, 60_000);

  test("a refused payment the node adopts when the application retries is paid once", async () => {
    const c = await stack.client(3, { channelTimeout: TIMEOUT });
    const payer = a.identifier.toLowerCase();
    let held: Uint8Array | undefined;
    intercept = async (request, handle) => {
      if (request.method !== "update" || request.user.toLowerCase() !== payer) return handle();
      if (updateOf(request.data).type !== "create") return handle();
      if (!held) {
        held = request.data; // kept, signed by the payer, and refused
        throw new NodeError("PEER_REJECTED", "not now");
      }
      // The retry: the node adopts the proposal it kept and says the payer is behind.
      const adopted = (await handle(held)) as { update: ChannelUpdate };
      throw new ProtocolError("STALE_NONCE", "you are behind", { latestUpdate: adopted.update });
    };
    const before = a.getBalance(ETH).user;
    let paymentId: string | undefined;
    try {
      await a.transfer({ recipient: c.identifier, assetId: ETH, amount: parseEther("0.2") });
      throw new Error("the first attempt was accepted");
    } catch (error) {
      if (!isClientError(error)) throw error;
      paymentId = error.context.paymentId as string;
    }
    expect(paymentId).toBeDefined();
    // The application retries, as the error tells it to: same payment id.
    const retried = await a.transfer({
      recipient: c.identifier,
      assetId: ETH,
      amount: parseEther("0.2"),
      paymentId: paymentId as string,
    });
    intercept = undefined;
    expect(retried.paymentId).toBe(paymentId as string);
    await waitFor(() => c.getBalance(ETH).user === parseEther("0.2"));
    // Settled on the payer's side too (the first test's payment may still be locked there).
    await waitFor(() => !a.getTransfers().some((t) => t.transferId === retried.transferId));
    expect(a.getBalance(ETH).user).toBe(before - parseEther("0.2"));
    expect((await payments()).filter((p) => p.paymentId === paymentId)).toHaveLength(1);
    await c.close();
  }, 60_000);
});
