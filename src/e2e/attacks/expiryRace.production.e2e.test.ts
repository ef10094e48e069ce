import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseEther } from "ethers";
import type { ConnextClient } from "../../client";
import { lockHashOf, randomPreImage } from "../../client/crypto";
import { type AppliedUpdate, type FullTransferState, hashlock } from "../../protocol";
import { waitFor } from "../expectations";
import { ETH, RawUser, RefusedError } from "../rawUser";
import { ADMIN_TOKEN, productionBackendMissing, type Stack, startStack } from "../stack";

/**
 * Issue 11, item 7: a payer refunded and a payee paid for the same payment. A payee's claim
 * checked just before the mirror's expiry but stored after the refund sweep read the mirror
 * as still active let the sweep refund the payer too. Now claims are refused within the grace
 * G before the expiry (CLAIM_TOO_LATE), a mirror counts dead only G after it, the sweep
 * decides under the payee's channel lock, and a claim of a payment already refunded is
 * refused in the transaction that would store it. The test stalls a claim's database
 * transaction (`insideStore`) while the clock passes the expiry and the sweep runs: on
 * PostgreSQL, where other transactions go on meanwhile (PGlite runs one at a time).
 */
const missing = productionBackendMissing();
if (missing) console.warn(`\n!!! ${missing}\n!!! The expiry race suite is SKIPPED.\n`);
const G = 120;
const AMOUNT = parseEther("0.2");
let stack: Stack;
let payer: ConnextClient;
let payee: RawUser;
/** While set, the transaction storing the payee's claim waits for it. */
let stall: Promise<void> | undefined;
let stalled = false;

describe.skipIf(missing !== undefined)("a claim and a refund at the expiry (PostgreSQL)", () => {
  beforeAll(async () => {
    stack = await startStack({
      backend: "production",
      node: {
        sweepIntervalMs: 100,
        routing: { expiryGraceSeconds: G },
        insideStore: async (applied: AppliedUpdate) => {
          const update = applied.state.latestUpdate;
          if (!stall || update.type !== "resolve") return;
          if (update.fromIdentifier.toLowerCase() !== payee.address.toLowerCase()) return;
          stalled = true;
          await stall;
        },
      },
    });
    payer = await stack.client(1, { completionTimeoutMs: 1 });
    payee = await RawUser.connect(stack, 2);
    await payer.deposit({ assetId: ETH, amount: parseEther("1") });
  }, 120_000);

  afterAll(async () => {
    await payee?.close();
    await stack?.stop();
  });

  /** A conditional payment to the raw payee; the mirror it countersigned, and the pre-image. */
  async function pay() {
    const preImage = randomPreImage();
    const lockHash = lockHashOf(preImage);
    const sent = await payer.conditionalTransfer({
      type: "hashlock",
      recipient: payee.address,
      assetId: ETH,
      amount: AMOUNT,
      lockHash,
    });
    let mirror: FullTransferState | undefined;
    await waitFor(() => {
      mirror = [...payee.view.transfers.values()].find(
        (t) => hashlock.decodeState(t.transferState).lockHash === lockHash,
      );
      return mirror !== undefined;
    });
    const expiry = Number(hashlock.decodeState((mirror as FullTransferState).transferState).expiry);
    return { paymentId: sent.paymentId, mirror: mirror as FullTransferState, preImage, expiry };
  }

  function claim(mirror: FullTransferState, preImage: string) {
    return payee.propose({
      type: "resolve",
      transferId: mirror.transferId,
      transferResolver: hashlock.encodeResolver({ preImage }),
    });
  }

  async function status(paymentId: string): Promise<string | undefined> {
    const response = await fetch(`${stack.node.httpUrl}/admin/payments`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const all = (await response.json()) as { paymentId: string; status: string }[];
    return all.find((p) => p.paymentId === paymentId)?.status;
  }

  const moveClockTo = (unix: number) => stack.clock.advance(Math.max(0, unix - stack.clock.now()));

  test("a claim within the grace before the expiry is refused, and the payer is refunded after it", async () => {
    const payerBefore = payer.getBalance(ETH).user;
    const { paymentId, mirror, preImage, expiry } = await pay();
    moveClockTo(expiry - G + 1);
    const refusal = await claim(mirror, preImage).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(RefusedError);
    expect((refusal as RefusedError).error.code).toBe("CLAIM_TOO_LATE");

    moveClockTo(expiry + G + 1);
    await waitFor(() => payer.getBalance(ETH).user === payerBefore, 20_000);
    expect(await status(paymentId)).toBe("cancelled");
    // The payee was paid nothing: its expired mirror can only go back to the node.
    expect(payee.state.balances[0]?.amount[1]).toBe(0n);
  }, 60_000);

  test("a claim in time whose storing stalls past the expiry is paid once, and the payer is not refunded", async () => {
    const payerBefore = payer.getBalance(ETH).user;
    const { paymentId, mirror, preImage, expiry } = await pay();
    moveClockTo(expiry - G - 30);
    let release!: () => void;
    stall = new Promise<void>((resolve) => {
      release = resolve;
    });
    stalled = false;
    const claiming = claim(mirror, preImage);
    await waitFor(() => stalled);
    // The claim is checked and being stored; meanwhile the mirror expires and the sweep runs.
    moveClockTo(expiry + G + 30);
    await Bun.sleep(1_000);
    expect(await status(paymentId)).toBe("pending");
    release();
    stall = undefined;
    await claiming;

    await waitFor(() => payer.getTransfers().length === 0, 20_000);
    expect(await status(paymentId)).toBe("completed");
    expect(payer.getBalance(ETH).user).toBe(payerBefore - AMOUNT);
    expect(payee.state.balances[0]?.amount[1]).toBe(AMOUNT);
  }, 60_000);
});
