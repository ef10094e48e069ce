import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseEther } from "ethers";
import { lockHashOf, randomPreImage } from "../../client/crypto";
import { DEFAULT_CLAIM_BUFFER_SECONDS, hashlock, minimumPayerExpiry } from "../../protocol";
import { waitFor } from "../expectations";
import { ETH, paymentDraft, RawUser, RefusedError } from "../rawUser";
import { type Stack, startStack } from "../stack";

/**
 * Issue 9, attack 3: expiries too short to defend on-chain. Every expiry is derived from the
 * channels' dispute timeouts: the node refuses a payer's expiry that leaves no room for the
 * mirror plus its own on-chain claim, or that locks its collateral too long; the mirror leaves
 * the payee a full dispute; a payee refuses a mirror it could not claim on-chain in time.
 */
const TIMEOUT = 3600;
const BUFFER = DEFAULT_CLAIM_BUFFER_SECONDS;

async function refusal(work: () => Promise<unknown>): Promise<string> {
  try {
    await work();
    return "accepted";
  } catch (error) {
    return error instanceof RefusedError ? error.error.code : String(error);
  }
}

describe("attack 3: the node routes only expiries both sides can defend", () => {
  let stack: Stack;
  let payer: RawUser;
  let payee: RawUser;

  beforeAll(async () => {
    stack = await startStack();
    [payer, payee] = await Promise.all([
      RawUser.connect(stack, 1, TIMEOUT),
      RawUser.connect(stack, 2, TIMEOUT),
    ]);
    await payer.deposit(parseEther("1"));
  }, 120_000);

  afterAll(async () => {
    await payer?.close();
    await payee?.close();
    await stack?.stop();
  });

  const draft = (overrides: { expiry?: number; transferTimeout?: number }) =>
    paymentDraft(stack, {
      recipient: payee.address,
      amount: parseEther("0.1"),
      lockHash: lockHashOf(randomPreImage()),
      paymentId: randomPreImage(),
      ...overrides,
    });

  test("too soon, too late, or a transfer timeout shorter than the expiry: refused, nothing changes", async () => {
    const before = payer.state;
    const now = stack.clock.now();
    const earliest = Number(minimumPayerExpiry(now, TIMEOUT, TIMEOUT, BUFFER));
    expect(await refusal(() => payer.propose(draft({ expiry: earliest - 5 })))).toBe(
      "EXPIRY_TOO_SOON",
    );
    expect(
      await refusal(() =>
        payer.propose(draft({ expiry: now + 8 * 86_400, transferTimeout: 86_400 })),
      ),
    ).toBe("EXPIRY_TOO_LATE");
    // Far beyond 2^53: refused as too late, never rounded into something else.
    expect(
      await refusal(() => payer.propose(draft({ expiry: 2 ** 60, transferTimeout: 86_400 }))),
    ).toBe("EXPIRY_TOO_LATE");
    expect(
      await refusal(() => payer.propose(draft({ expiry: earliest + 3600, transferTimeout: 600 }))),
    ).toBe("EXPIRY_UNSAFE");
    expect(payer.state).toEqual(before);
  });

  test("the mirror leaves the payee a full dispute, and the node one after it", async () => {
    const paid = draft({});
    await payer.propose(paid);
    await waitFor(() => payee.view.transfers.size === 1);
    const [payerTransfer] = [...payer.view.transfers.values()];
    const [mirror] = [...payee.view.transfers.values()];
    if (!payerTransfer || !mirror) throw new Error("no transfers");
    const payerExpiry = hashlock.decodeState(payerTransfer.transferState).expiry;
    const mirrorExpiry = hashlock.decodeState(mirror.transferState).expiry;
    const now = BigInt(stack.clock.now());
    expect(mirrorExpiry).toBe(payerExpiry - BigInt(TIMEOUT + BUFFER));
    expect(mirrorExpiry).toBeGreaterThanOrEqual(now + BigInt(TIMEOUT + BUFFER));
    // Disputed at once, the mirror stays claimable with the pre-image until its expiry.
    expect(BigInt(mirror.transferTimeout)).toBeGreaterThanOrEqual(mirrorExpiry - now);
  });
});

describe("attack 3: a payee refuses a mirror it could not claim on-chain in time", () => {
  let stack: Stack;
  let payer: RawUser;

  beforeAll(async () => {
    // A node that routes with no claim buffer: its mirrors end too soon for an on-chain claim.
    stack = await startStack({
      node: { routing: { claimBufferSeconds: 0 }, sweepIntervalMs: 100 },
    });
    payer = await RawUser.connect(stack, 1, TIMEOUT);
    await payer.deposit(parseEther("1"));
  }, 120_000);

  afterAll(async () => {
    await payer?.close();
    await stack?.stop();
  });

  test("the client refuses the mirror; the payer is refunded once it expires", async () => {
    const payee = await stack.client(2, { channelTimeout: TIMEOUT });
    const errors: Error[] = [];
    payee.on("error", (error) => errors.push(error));
    const now = stack.clock.now();
    // The shortest expiry this node accepts: the mirror gets the payee's timeout and no more.
    const expiry = Number(minimumPayerExpiry(now, TIMEOUT, TIMEOUT, 0)) + 60;
    await payer.propose(
      paymentDraft(stack, {
        recipient: payee.identifier,
        amount: parseEther("0.1"),
        lockHash: lockHashOf(randomPreImage()),
        paymentId: randomPreImage(),
        expiry,
      }),
    );
    // The payee never countersigns it.
    await Bun.sleep(500);
    expect(payee.getTransfers()).toEqual([]);
    expect(payer.view.transfers.size).toBe(1);
    // Once the refused mirror's expiry has passed, the payer gets its money back.
    stack.clock.advance(expiry - TIMEOUT - now + 121);
    await waitFor(() => payer.view.transfers.size === 0);
    expect(payer.state.balances[0]?.amount[1]).toBe(parseEther("1"));
    expect(payee.getBalance(ETH).user).toBe(0n);
    await payee.close();
  }, 60_000);
});
