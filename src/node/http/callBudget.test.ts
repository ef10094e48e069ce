import { describe, expect, test } from "bun:test";
import { CallBudget } from "./callBudget";

describe("CallBudget", () => {
  test("a full bucket's calls pass, the next is refused until it refills", () => {
    let now = 0;
    const budget = new CallBudget(10, 2, () => now);
    expect(budget.take("a", 10)).toBe(true);
    expect(budget.take("a", 1)).toBe(false);
    // Another client has its own bucket.
    expect(budget.take("b", 10)).toBe(true);
    now += 500; // one call's worth
    expect(budget.take("a", 2)).toBe(false);
    expect(budget.take("a", 1)).toBe(true);
    now += 60_000; // never more than the capacity
    expect(budget.take("a", 11)).toBe(false);
    expect(budget.take("a", 10)).toBe(true);
  });

  test("the table stays bounded", () => {
    const budget = new CallBudget(1, 0, () => 0, 2);
    expect(budget.take("a", 1)).toBe(true);
    expect(budget.take("b", 1)).toBe(true);
    expect(budget.take("c", 1)).toBe(true);
    // "a" was dropped: it starts full again.
    expect(budget.take("a", 1)).toBe(true);
    expect(budget.take("c", 1)).toBe(false);
  });
});
