import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseEther, ZeroAddress } from "ethers";
import {
  type ClientEventMap,
  type ConnextClient,
  isClientError,
  MemoryStore,
  type ResolveParams,
} from "../client";
import { MAX_APP_META_BYTES } from "../client/appMeta";
import { lockHashOf, randomPreImage } from "../client/crypto";
import { waitFor } from "./expectations";
import { type Stack, startStack } from "./stack";

/**
 * What an application sees of the client (issue 12, "bugs and awkward surfaces"): its `meta`
 * reaches the recipient as the payer signed it, a conditional payment has one id both sides
 * use, the node's collateral is not reported as the user's deposit, and bad arguments or
 * settings fail with a code that names them.
 */
let stack: Stack;
let a: ConnextClient;
let b: ConnextClient;
const ETH = ZeroAddress;

beforeAll(async () => {
  stack = await startStack();
  [a, b] = await Promise.all([stack.client(1), stack.client(2)]);
  await a.deposit({ assetId: ETH, amount: parseEther("3") });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

/** The next `event` of `client` that `match` takes. */
function next<E extends keyof ClientEventMap>(
  client: ConnextClient,
  event: E,
  match: (payload: ClientEventMap[E]) => boolean = () => true,
): Promise<ClientEventMap[E]> {
  return new Promise((resolve) => {
    const handler = (payload: ClientEventMap[E]) => {
      if (!match(payload)) return;
      client.off(event, handler);
      resolve(payload);
    };
    client.on(event, handler);
  });
}

/** The ClientError `work` fails with. */
async function refusalOf(
  work: () => Promise<unknown>,
): Promise<{ code: string; message: string; context: Record<string, unknown> }> {
  try {
    await work();
  } catch (error) {
    if (isClientError(error)) return error;
    throw error;
  }
  throw new Error("expected a ClientError");
}

describe("transfer({ meta }) reaches the recipient", () => {
  test("the payer's meta arrives in transfer.received, verified, with the payment id", async () => {
    const meta = { invoice: "INV-7", lines: [{ sku: "tea", qty: 2 }], note: "merci ✓" };
    const received = next(b, "transfer.received");
    const paid = await a.transfer({
      recipient: b.identifier,
      assetId: ETH,
      amount: parseEther("0.1"),
      meta,
    });
    expect(paid.status).toBe("completed");
    expect(await received).toMatchObject({ paymentId: paid.paymentId, meta, verified: true });
  }, 30_000);

  test("each side's resolve reports the meta agreed at create, not the resolver's note", async () => {
    // The node resolves the payer's transfer with a note of its own (its payment id): the
    // payer's event still carries the application's meta, as the payee's does.
    const meta = { order: 12 };
    const payerResolved = next(a, "transfer.resolved", (e) => e.cancelled === false);
    const payeeResolved = next(b, "transfer.resolved", (e) => e.cancelled === false);
    const paid = await a.transfer({
      recipient: b.identifier,
      assetId: ETH,
      amount: parseEther("0.1"),
      meta,
    });
    expect(await payerResolved).toMatchObject({ paymentId: paid.paymentId, meta });
    expect(await payeeResolved).toMatchObject({ paymentId: paid.paymentId, meta });
  }, 30_000);

  test("the largest meta a payment carries arrives whole", async () => {
    const body = MAX_APP_META_BYTES - JSON.stringify({ note: "" }).length;
    const meta = { note: "é".repeat(Math.floor(body / 2)) + "x".repeat(body % 2) };
    expect(new TextEncoder().encode(JSON.stringify(meta)).byteLength).toBe(MAX_APP_META_BYTES);
    const received = next(b, "transfer.received");
    const paid = await a.transfer({ recipient: b.identifier, assetId: ETH, amount: 1000n, meta });
    expect(paid.status).toBe("completed");
    expect(await received).toMatchObject({ meta, verified: true });
  }, 30_000);

  test("an oversized or malformed meta is refused before anything is signed", async () => {
    const nonce = a.getChannel()?.nonce;
    const pay = (meta: unknown) => () =>
      a.transfer({
        recipient: b.identifier,
        assetId: ETH,
        amount: 1000n,
        meta: meta as Record<string, unknown>,
      });
    const large = await refusalOf(pay({ note: "x".repeat(MAX_APP_META_BYTES) }));
    expect(large.code).toBe("META_TOO_LARGE");
    expect(large.message).toContain(`more than the ${MAX_APP_META_BYTES}`);
    expect((await refusalOf(pay({ at: new Date() }))).code).toBe("INVALID_META");
    expect((await refusalOf(pay({ qty: Number.NaN }))).code).toBe("INVALID_META");
    expect((await refusalOf(pay(["a list"]))).code).toBe("INVALID_META");
    // Nothing was proposed: the channel did not move.
    expect(a.getChannel()?.nonce).toBe(nonce);
  }, 30_000);
});

describe("a conditional payment has one id both sides use", () => {
  const AMOUNT = parseEther("0.05");
  const ZERO_PRE_IMAGE = `0x${"0".repeat(64)}`;

  test("conditionalTransfer answers pending at once; the recipient resolves it by paymentId", async () => {
    // A payer that would wait half a minute for an outcome, were it to wait.
    const payer = await stack.client(3, { completionTimeoutMs: 30_000 });
    await payer.deposit({ assetId: ETH, amount: parseEther("0.5") });
    const preImage = randomPreImage();
    const received = next(b, "transfer.received");
    const started = performance.now();
    const sent = await payer.conditionalTransfer({
      type: "hashlock",
      recipient: b.identifier,
      assetId: ETH,
      amount: AMOUNT,
      lockHash: lockHashOf(preImage),
    });
    expect(sent.status).toBe("pending");
    expect(performance.now() - started).toBeLessThan(10_000);
    const completed = next(payer, "transfer.resolved", (e) => e.paymentId === sent.paymentId);
    expect((await received).paymentId).toBe(sent.paymentId);
    const before = b.getBalance(ETH).user;
    const resolved = await b.resolveTransfer({ paymentId: sent.paymentId, preImage });
    expect(resolved).toMatchObject({ paymentId: sent.paymentId, resolved: true });
    expect(await completed).toMatchObject({ cancelled: false, amount: AMOUNT });
    expect(b.getBalance(ETH).user).toBe(before + AMOUNT);
    await payer.close();
  }, 60_000);

  test("a payment id names only a payment to us; a wrong pre-image reveals nothing; the zero one cancels", async () => {
    const unknown = await refusalOf(() =>
      b.resolveTransfer({ paymentId: randomPreImage(), preImage: randomPreImage() }),
    );
    expect(unknown.code).toBe("UNKNOWN_TRANSFER");
    const preImage = randomPreImage();
    const received = next(b, "transfer.received");
    const sent = await a.conditionalTransfer({
      type: "hashlock",
      recipient: b.identifier,
      assetId: ETH,
      amount: AMOUNT,
      lockHash: lockHashOf(preImage),
    });
    await received;
    // The payer's own transfer goes to the node: not the payer's to resolve.
    const payerSide = await refusalOf(() =>
      a.resolveTransfer({ paymentId: sent.paymentId, preImage }),
    );
    expect(payerSide.code).toBe("UNKNOWN_TRANSFER");
    // A pre-image that does not open the lock: refused, and not kept as revealed, so the
    // payment can still be cancelled.
    const wrong = await refusalOf(() =>
      b.resolveTransfer({ paymentId: sent.paymentId, preImage: randomPreImage() }),
    );
    expect(wrong.code).toBe("WRONG_PRE_IMAGE");
    const refunded = next(a, "transfer.resolved", (e) => e.paymentId === sent.paymentId);
    const before = a.getBalance(ETH).user;
    await b.resolveTransfer({ paymentId: sent.paymentId, preImage: ZERO_PRE_IMAGE });
    expect(await refunded).toMatchObject({ cancelled: true });
    await waitFor(() => a.getBalance(ETH).user === before + AMOUNT);
  }, 60_000);
});

describe("the node's collateral is not the user's deposit", () => {
  test("a deposit is deposit.confirmed with its amount; the node's top-up is collateral.received", async () => {
    const c = await stack.client(4);
    const events: { event: string; amount: bigint; user: bigint; node: bigint }[] = [];
    for (const event of ["deposit.confirmed", "collateral.received"] as const) {
      c.on(event, ({ amount, balance }) => events.push({ event, amount, ...balance }));
    }
    await c.deposit({ assetId: ETH, amount: parseEther("2") });
    await waitFor(() => events.length === 1);
    await c.requestCollateral(ETH);
    await waitFor(() => events.length === 2);
    expect(events).toEqual([
      { event: "deposit.confirmed", amount: parseEther("2"), user: parseEther("2"), node: 0n },
      {
        event: "collateral.received",
        amount: parseEther("1"),
        user: parseEther("2"),
        node: parseEther("1"),
      },
    ]);
    await c.close();
  }, 60_000);
});

describe("bad settings and arguments fail with a code that names them", () => {
  test("an ethRpcUrl where no chain answers is CHAIN_UNREACHABLE, naming the setting and the cause", async () => {
    const refused = await refusalOf(() =>
      stack.client(5, { ethRpcUrl: "http://127.0.0.1:1", store: new MemoryStore() }),
    );
    expect(refused.code).toBe("CHAIN_UNREACHABLE");
    expect(refused.message).toContain("ethRpcUrl http://127.0.0.1:1");
    expect(refused.message).toContain("ECONNREFUSED");
    const missing = await refusalOf(() =>
      stack.client(5, { ethRpcUrl: undefined as unknown as string, store: new MemoryStore() }),
    );
    expect(missing).toMatchObject({ code: "INVALID_ARGUMENT", context: { argument: "ethRpcUrl" } });
  }, 30_000);

  test("an amount that is not a bigint is INVALID_ARGUMENT naming it, on every method, and nothing moves", async () => {
    const nonce = a.getChannel()?.nonce;
    const lockHash = lockHashOf(randomPreImage());
    const wrong = [
      () => a.transfer({ recipient: b.identifier, assetId: ETH, amount: 1 as unknown as bigint }),
      () =>
        a.conditionalTransfer({
          type: "hashlock",
          recipient: b.identifier,
          assetId: ETH,
          amount: "1000" as unknown as bigint,
          lockHash,
        }),
      () => a.deposit({ assetId: ETH, amount: 0.5 as unknown as bigint }),
      () => a.withdraw({ assetId: ETH, amount: "1" as unknown as bigint }),
    ];
    for (const call of wrong) {
      const refused = await refusalOf(call);
      expect(refused).toMatchObject({ code: "INVALID_ARGUMENT", context: { argument: "amount" } });
      expect(refused.message).toMatch(/^\w+: amount must be a bigint/);
    }
    const recipient = await refusalOf(() =>
      a.transfer({ recipient: "bob", assetId: ETH, amount: 1n }),
    );
    expect(recipient).toMatchObject({
      code: "INVALID_ARGUMENT",
      context: { argument: "recipient" },
    });
    const lock = await refusalOf(() =>
      a.conditionalTransfer({
        type: "hashlock",
        recipient: b.identifier,
        assetId: ETH,
        amount: 1n,
        lockHash: "0x1234",
      }),
    );
    expect(lock).toMatchObject({ code: "INVALID_ARGUMENT", context: { argument: "lockHash" } });
    const neither = await refusalOf(() =>
      b.resolveTransfer({ preImage: randomPreImage() } as unknown as ResolveParams),
    );
    expect(neither.code).toBe("INVALID_ARGUMENT");
    expect(a.getChannel()?.nonce).toBe(nonce);
  }, 30_000);
});
