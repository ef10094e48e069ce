import { describe, expect, test } from "bun:test";
import type { ThreadReply, WireVoucher } from "../../protocol/threadMessages";
import { ClientError } from "../errors";
import { PayerLane } from "./payerLane";

/**
 * The payer's lane against a payee played in memory: it stores what it acknowledges, and the
 * test decides per voucher whether the answer arrives, is refused, or is lost.
 */
type Fate = "ok" | "offline" | "refuse" | "lost" | "lost-stored";

class FakePayee {
  held: WireVoucher | undefined;
  readonly seen: bigint[] = [];
  asked = 0;
  fates: Fate[] = [];
  /** Answers held back until `release`: vouchers in flight at once. */
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;

  constructor(private readonly lock: bigint) {}

  hold(): void {
    this.gate = new Promise((resolve) => {
      this.open = resolve;
    });
  }

  release(): void {
    this.open?.();
    this.gate = undefined;
  }

  async voucher(voucher: WireVoucher): Promise<ThreadReply> {
    this.seen.push(voucher.amount);
    const fate = this.fates.shift() ?? "ok";
    await this.gate;
    if (fate === "offline") throw new ClientError("PAYEE_OFFLINE", "not connected");
    if (fate === "refuse") throw new ClientError("VOUCHER_FORGED", "refused");
    if (fate === "lost" || fate === "lost-stored") {
      if (fate === "lost-stored") this.store(voucher);
      throw new ClientError("VOUCHER_UNCONFIRMED", "no answer");
    }
    if (this.held && voucher.amount <= this.held.amount) {
      throw new ClientError("VOUCHER_STALE", "lower");
    }
    this.store(voucher);
    return this.reply();
  }

  reply(): ThreadReply {
    return {
      lock: this.lock,
      expiry: 0,
      ...(this.held ? { latest: this.held } : {}),
      closed: false,
    };
  }

  private store(voucher: WireVoucher): void {
    if (!this.held || voucher.amount > this.held.amount) this.held = voucher;
  }
}

/** A lane for a new thread (`fresh`), or one taken up again after a restart. */
function lane(payee: FakePayee, fresh = true) {
  return new PayerLane(
    {
      threadId: "0x01",
      lock: 1_000n,
      sign: (amount) => `sig:${amount}`,
      ours: (voucher) => voucher.signature.startsWith("sig:"),
      sendVoucher: (voucher) => payee.voucher(voucher),
      ask: async () => {
        payee.asked += 1;
        return payee.reply();
      },
    },
    fresh ? { acked: 0n } : undefined,
  );
}

describe("a payer's lane", () => {
  test("cumulative vouchers, in order, pipelined; a new thread asks nothing first", async () => {
    const payee = new FakePayee(1_000n);
    const thread = lane(payee);
    payee.hold();
    const pays = [10n, 20n, 30n].map((amount) => thread.pay(amount));
    payee.release();
    await Promise.all(pays);
    expect(payee.seen).toEqual([10n, 30n, 60n]);
    expect(payee.asked).toBe(0);
    expect(thread.paid).toBe(60n);
    expect(thread.latest?.amount).toBe(60n);
  });

  test("beyond the lock: THREAD_EXHAUSTED, nothing signed", async () => {
    const payee = new FakePayee(1_000n);
    const thread = lane(payee);
    await thread.pay(900n);
    await expect(thread.pay(101n)).rejects.toMatchObject({ code: "THREAD_EXHAUSTED" });
    expect(payee.seen).toEqual([900n]);
    await thread.pay(100n);
    expect(thread.paid).toBe(1_000n);
  });

  test("an offline payee: PAYEE_OFFLINE, nothing paid, and the next voucher starts from what it holds", async () => {
    const payee = new FakePayee(1_000n);
    const thread = lane(payee);
    await thread.pay(10n);
    payee.fates = ["offline"];
    await expect(thread.pay(5n)).rejects.toMatchObject({ code: "PAYEE_OFFLINE" });
    expect(thread.paid).toBe(10n);
    await thread.pay(7n);
    expect(payee.seen).toEqual([10n, 15n, 17n]);
    expect(payee.held?.amount).toBe(17n);
  });

  test("a refused voucher in the middle of a pipeline: a later acknowledged one makes it paid", async () => {
    const payee = new FakePayee(1_000n);
    const thread = lane(payee);
    payee.fates = ["ok", "refuse", "ok"];
    payee.hold();
    const pays = [1n, 2n, 3n].map((amount) => thread.pay(amount));
    payee.release();
    const outcomes = await Promise.allSettled(pays);
    // The third voucher (6) covers the second payment (up to 3): all three are made.
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "fulfilled", "fulfilled"]);
    expect(thread.paid).toBe(6n);
  });

  test("a refused last voucher: that payment fails, and the next voucher does not include it", async () => {
    const payee = new FakePayee(1_000n);
    const thread = lane(payee);
    payee.fates = ["ok", "refuse"];
    payee.hold();
    const pays = [1n, 2n].map((amount) => thread.pay(amount));
    payee.release();
    const outcomes = await Promise.allSettled(pays);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected"]);
    await thread.pay(4n);
    expect(payee.seen).toEqual([1n, 3n, 5n]);
    expect(payee.held?.amount).toBe(5n);
  });

  test("a lost answer for a voucher the payee stored: asked, and the payment counts", async () => {
    const payee = new FakePayee(1_000n);
    const thread = lane(payee);
    payee.fates = ["lost-stored"];
    await thread.pay(10n);
    expect(thread.paid).toBe(10n);
    await thread.pay(1n);
    expect(payee.held?.amount).toBe(11n);
  });

  test("a lost voucher the payee never stored: the payment fails, and is not paid later", async () => {
    const payee = new FakePayee(1_000n);
    const thread = lane(payee);
    payee.fates = ["lost"];
    await expect(thread.pay(10n)).rejects.toMatchObject({ code: "VOUCHER_UNCONFIRMED" });
    expect(thread.paid).toBe(0n);
    await thread.pay(1n);
    expect(payee.held?.amount).toBe(1n);
  });

  test("after a restart it asks the payee first, and never signs below what it holds", async () => {
    const payee = new FakePayee(1_000n);
    payee.held = { amount: 40n, signature: "sig:40" };
    const thread = lane(payee, false);
    await thread.pay(2n);
    expect(payee.asked).toBe(1);
    expect(payee.seen).toEqual([42n]);
    expect(thread.paid).toBe(42n);
  });

  test("a later voucher the payee shows that is not ours is ignored", async () => {
    const payee = new FakePayee(1_000n);
    payee.held = { amount: 40n, signature: "forged" };
    const thread = lane(payee, false);
    // We start from 0; the payee refuses 2 as lower than what it holds: the payment fails.
    await expect(thread.pay(2n)).rejects.toMatchObject({ code: "VOUCHER_STALE" });
    expect(thread.paid).toBe(0n);
  });

  test("idle waits for vouchers in flight", async () => {
    const payee = new FakePayee(1_000n);
    const thread = lane(payee);
    payee.hold();
    const pay = thread.pay(5n);
    let idle = false;
    const waiting = thread.idle().then(() => {
      idle = true;
    });
    await Bun.sleep(1);
    expect(idle).toBe(false);
    payee.release();
    await Promise.all([pay, waiting]);
    expect(idle).toBe(true);
  });
});
