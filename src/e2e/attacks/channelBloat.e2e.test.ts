import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseEther } from "ethers";
import type { ConnextClient } from "../../client";
import { lockHashOf, randomPreImage } from "../../client/crypto";
import { MemoryStore } from "../../client/store/memory";
import { DEFAULT_POLICY, RESTORE_PAGE_TRANSFERS } from "../../protocol";
import { waitFor } from "../expectations";
import { ETH, paymentDraft, RawUser, RefusedError } from "../rawUser";
import { type Stack, startStack } from "../stack";

/**
 * Issue 11, item 5 (channel bloat): anyone could send a victim hundreds of 1-wei conditional
 * payments whose pre-image nobody knows, with 10-year expiries; the victim's client never
 * cancelled them, rewrote all of them on every update (1.25 MB per write at 1,300), and past
 * ≈ 1,070 could not restore any more. Now: expiries are bounded (a week), a channel holds at
 * most 256 active transfers (TOO_MANY_TRANSFERS on both sides), the victim's client cancels
 * unsolicited conditional payments at once (its policy: signed terms, at most 64 waiting,
 * and the application's say), its store writes a constant amount per update, and restores
 * come in pages.
 */
const MAX = DEFAULT_POLICY.maxActiveTransfers;

/** A memory store that keeps the size of its largest write. */
class MeasuredStore extends MemoryStore {
  largestWrite = 0;
  writes = 0;

  override async set(key: string, value: string): Promise<void> {
    this.writes++;
    this.largestWrite = Math.max(this.largestWrite, value.length);
    await super.set(key, value);
  }
}

let stack: Stack;
let attacker: RawUser;
let victim: ConnextClient;
let victimStore: MeasuredStore;
let payer: ConnextClient;
const refused: { paymentId: string; reason: string }[] = [];

beforeAll(async () => {
  stack = await startStack();
  attacker = await RawUser.connect(stack, 5);
  await attacker.deposit(parseEther("1"));
  victimStore = new MeasuredStore();
  victim = await stack.client(6, { store: victimStore, maxPendingConditional: 100 });
  victim.on("transfer.refused", ({ paymentId, reason }) => refused.push({ paymentId, reason }));
  // Pays without waiting for the payee: conditional payments stay pending by design.
  payer = await stack.client(7, { completionTimeoutMs: 1 });
  await payer.deposit({ assetId: ETH, amount: parseEther("1") });
}, 120_000);

afterAll(async () => {
  await attacker?.close();
  await stack?.stop();
});

/**
 * A 1-wei payment nobody can claim. The attacker signs with no cap of its own, so that the
 * node's refusals are what is tested.
 */
async function spam(
  recipient: string,
  overrides: { expiry?: number; transferTimeout?: number } = {},
) {
  // The node's refunds race the attacker's proposals for the nonce: try again on top.
  for (let attempt = 0; ; attempt++) {
    try {
      return await proposeSpam(recipient, overrides);
    } catch (error) {
      const stale = error instanceof RefusedError && error.error.code === "STALE_NONCE";
      if (!stale || attempt >= 20) throw error;
      await Bun.sleep(20);
    }
  }
}

function proposeSpam(recipient: string, overrides: { expiry?: number; transferTimeout?: number }) {
  return attacker.propose(
    paymentDraft(stack, {
      recipient,
      amount: 1n,
      lockHash: lockHashOf(randomPreImage()),
      paymentId: randomPreImage(),
      // The victim's channel has the client's default dispute window, a day.
      channelTimeout: 86_400,
      ...overrides,
    }),
    { policy: { ...DEFAULT_POLICY, maxActiveTransfers: 100_000 } },
  );
}

async function refusalOf(work: () => Promise<unknown>): Promise<string> {
  try {
    await work();
    return "accepted";
  } catch (error) {
    return error instanceof RefusedError ? error.error.code : String(error);
  }
}

describe("channel bloat", () => {
  test("a 10-year expiry is refused before anything is signed", async () => {
    const nonce = attacker.state.nonce;
    const tenYears = stack.clock.now() + 10 * 365 * 86_400;
    const transferTimeout = DEFAULT_POLICY.maxTransferTimeout;
    expect(
      await refusalOf(() => spam(victim.identifier, { expiry: tenYears, transferTimeout })),
    ).toBe("EXPIRY_TOO_LATE");
    expect(attacker.state.nonce).toBe(nonce);
  });

  test("100 unsolicited 1-wei payments: the victim cancels each at once and the attacker gets back what it paid", async () => {
    const attackerBefore = attacker.state.balances[0]?.amount[1] as bigint;
    for (let i = 0; i < 100; i++) await spam(victim.identifier);
    await waitFor(() => refused.length >= 100, 60_000);
    expect(refused.every((r) => r.reason.includes("signed no terms"))).toBe(true);
    await waitFor(() => victim.getTransfers().length === 0, 30_000);
    // The node refunds the attacker's side once each mirror is cancelled.
    await waitFor(() => attacker.view.transfers.size === 0, 60_000);
    expect(attacker.state.balances[0]?.amount[1]).toBe(attackerBefore);
    expect(victim.getBalance(ETH).user).toBe(0n);
  }, 180_000);

  test("the attacker's own channel holds at most 256 active transfers", async () => {
    // To a recipient that never answers: every payment stays locked in the attacker's channel.
    const nobody = stack.wallet(8).address;
    const away = await RawUser.connect(stack, 8);
    await away.close();
    for (let i = attacker.view.transfers.size; i < MAX; i++) await spam(nobody);
    expect(attacker.view.transfers.size).toBe(MAX);
    expect(await refusalOf(() => spam(nobody))).toBe("TOO_MANY_TRANSFERS");
    expect(attacker.view.transfers.size).toBe(MAX);
  }, 300_000);

  test("signed conditional payments past what the victim holds are refused; the held ones restore in pages and stores stay small", async () => {
    refused.length = 0;
    const held = 100;
    const sent: string[] = [];
    for (let i = 0; i < held + 5; i++) {
      const paymentId = randomPreImage();
      sent.push(paymentId);
      await payer.conditionalTransfer({
        type: "hashlock",
        recipient: victim.identifier,
        assetId: ETH,
        amount: 1n,
        lockHash: lockHashOf(randomPreImage()),
        paymentId,
      });
    }
    await waitFor(() => victim.getTransfers().length === held && refused.length === 5, 60_000);
    expect(refused.map((r) => r.paymentId).sort()).toEqual(sent.slice(held).sort());
    expect(refused[0]?.reason).toContain("already wait");

    // Each update wrote the channel's head and at most one transfer: a few KiB, not a copy
    // of all 100 transfers.
    const perTransfer = JSON.stringify(victim.getTransfers()[0], (_k, v) =>
      typeof v === "bigint" ? v.toString() : v,
    ).length;
    expect(victimStore.largestWrite).toBeLessThan(10 * perTransfer);

    // A fresh device with an empty store restores all 100 from the node, in pages.
    const expected = victim.getTransfers().map((t) => t.transferId);
    expect(expected.length).toBeGreaterThan(RESTORE_PAGE_TRANSFERS);
    await victim.close();
    victim = await stack.client(6, { store: new MemoryStore(), maxPendingConditional: 100 });
    expect(victim.getTransfers().map((t) => t.transferId)).toEqual(expected);
  }, 180_000);
});
