import { describe, expect, test } from "bun:test";
import {
  CollateralDemand,
  DEFAULT_DEMAND_RULES,
  idleKeep,
  paymentGoal,
  requestGoal,
  worthReclaiming,
} from "./collateralDemand";

const rules = DEFAULT_DEMAND_RULES;
const TARGET = 1_000n;
const none = { waiting: 0n, completed: 0n };

describe("paymentGoal: what a routed payment's top-up aims at", () => {
  test("a fresh payee gets exactly what waits for it, not the target", () => {
    expect(paymentGoal({ waiting: 1n, completed: 0n }, TARGET, rules)).toBe(1n);
    expect(paymentGoal({ waiting: 250n, completed: 0n }, TARGET, rules)).toBe(250n);
  });

  test("headroom is the window's completed inbound volume times the factor", () => {
    expect(paymentGoal({ waiting: 10n, completed: 100n }, TARGET, rules)).toBe(210n);
    expect(
      paymentGoal({ waiting: 10n, completed: 100n }, TARGET, { ...rules, headroomFactor: 1n }),
    ).toBe(110n);
  });

  test("capped at the target, unless what waits is more than the target", () => {
    expect(paymentGoal({ waiting: 10n, completed: 10_000n }, TARGET, rules)).toBe(TARGET);
    expect(paymentGoal({ waiting: 1_500n, completed: 10_000n }, TARGET, rules)).toBe(1_500n);
    // A target of 0 (`start` without COLLATERAL): exactly what waits, never headroom.
    expect(paymentGoal({ waiting: 7n, completed: 10_000n }, 0n, rules)).toBe(7n);
  });

  test("no demand, no collateral", () => {
    expect(paymentGoal(none, TARGET, rules)).toBe(0n);
  });
});

describe("requestGoal: what a user's own request can get", () => {
  test("a fresh key with no deposits and no inbound payments gets nothing", () => {
    expect(requestGoal(0n, none, TARGET, rules)).toBe(0n);
    // Payments waiting for it are not its request's business: forwarding them tops up.
    expect(requestGoal(0n, { waiting: 500n, completed: 0n }, TARGET, rules)).toBe(0n);
  });

  test("up to its own reconciled deposits, capped at the target", () => {
    expect(requestGoal(400n, none, TARGET, rules)).toBe(400n);
    expect(requestGoal(5_000n, none, TARGET, rules)).toBe(TARGET);
  });

  test("or its inbound demand as a payee, whichever is more", () => {
    expect(requestGoal(100n, { waiting: 0n, completed: 300n }, TARGET, rules)).toBe(600n);
    expect(requestGoal(800n, { waiting: 0n, completed: 300n }, TARGET, rules)).toBe(800n);
  });
});

describe("idle collateral", () => {
  test("an idle channel keeps what its demand justifies, nothing for its deposits", () => {
    expect(idleKeep(none, TARGET, rules)).toBe(0n);
    expect(idleKeep({ waiting: 0n, completed: 100n }, TARGET, rules)).toBe(200n);
  });

  test("only an excess of a tenth of the target or more is worth a transaction", () => {
    expect(worthReclaiming(1_000n, 0n, TARGET)).toBe(true);
    expect(worthReclaiming(300n, 200n, TARGET)).toBe(true);
    expect(worthReclaiming(299n, 200n, TARGET)).toBe(false);
    expect(worthReclaiming(200n, 200n, TARGET)).toBe(false);
    expect(worthReclaiming(100n, 200n, TARGET)).toBe(false);
    expect(worthReclaiming(1n, 0n, 0n)).toBe(true);
    expect(worthReclaiming(0n, 0n, 0n)).toBe(false);
  });
});

describe("CollateralDemand: the rules fed from the payments table", () => {
  const payee = "0x52908400098527886e0f7030069857d2e4169ee7";
  const asset = "0x5fbdb2315678afecb367f032d93f642f64180aa3";

  function fake(demand = none) {
    const reads: { recipient: string; assetId: string; since: Date }[] = [];
    let now = 1_800_000_000_000;
    const collateral = new CollateralDemand({
      read: async (recipient, assetId, since) => {
        reads.push({ recipient, assetId, since });
        return demand;
      },
      clock: () => now,
    });
    return { collateral, reads, advance: (ms: number) => (now += ms) };
  }

  test("reads checksummed addresses, completed payments over the last window", async () => {
    const { collateral, reads, advance } = fake();
    await collateral.read(payee, asset);
    advance(60_000);
    await collateral.read(payee, asset);
    expect(reads.map((r) => [r.recipient, r.assetId])).toEqual([
      ["0x52908400098527886E0F7030069857D2E4169EE7", "0x5FbDB2315678afecb367f032d93F642f64180aa3"],
      ["0x52908400098527886E0F7030069857D2E4169EE7", "0x5FbDB2315678afecb367f032d93F642f64180aa3"],
    ]);
    expect(reads[0]?.since.getTime()).toBe(1_800_000_000_000 - rules.windowSeconds * 1000);
    expect(reads[1]?.since.getTime()).toBe(1_800_000_060_000 - rules.windowSeconds * 1000);
  });

  test("a payment's goal is never below the payment itself", async () => {
    // The payment is not in the table yet (or the read lags): it still gets through.
    const { collateral } = fake(none);
    expect(await collateral.paymentGoal(payee, asset, 42n, TARGET)).toBe(42n);
    const busy = fake({ waiting: 50n, completed: 100n }).collateral;
    expect(await busy.paymentGoal(payee, asset, 42n, TARGET)).toBe(250n);
  });

  test("request and idle goals go through the same read", async () => {
    const { collateral } = fake({ waiting: 0n, completed: 100n });
    expect(await collateral.requestGoal(payee, asset, 50n, TARGET)).toBe(200n);
    expect(await collateral.idleKeep(payee, asset, TARGET)).toBe(200n);
  });
});
