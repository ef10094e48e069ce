import { describe, expect, test } from "bun:test";
import { RateLimiter } from "./collateralRateLimit";
import { NodeError } from "./errors";

function limiter(intervalSeconds: number, sweepAbove?: number) {
  let now = 1_000_000;
  const rateLimiter = new RateLimiter({
    intervalSeconds,
    clock: () => now,
    ...(sweepAbove ? { sweepAbove } : {}),
  });
  return { rateLimiter, advance: (ms: number) => (now += ms) };
}

function refusal(run: () => void): NodeError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(NodeError);
    return error as NodeError;
  }
  throw new Error("expected RATE_LIMITED");
}

describe("RateLimiter", () => {
  test("one slot per key per interval; the refusal says when the next opens", () => {
    const { rateLimiter, advance } = limiter(60);
    rateLimiter.take("alice:eth");
    advance(20_000);
    const refused = refusal(() => rateLimiter.take("alice:eth"));
    expect(refused.code).toBe("RATE_LIMITED");
    expect(refused.message).toContain("try again in 40 s");
    expect(refused.context).toEqual({ retryAfterSeconds: 40 });
    advance(39_999);
    expect(refusal(() => rateLimiter.take("alice:eth")).code).toBe("RATE_LIMITED");
    advance(1);
    rateLimiter.take("alice:eth");
  });

  test("keys are independent: another asset, another user", () => {
    const { rateLimiter } = limiter(60);
    rateLimiter.take("alice:eth");
    rateLimiter.take("alice:token");
    rateLimiter.take("bob:eth");
    expect(refusal(() => rateLimiter.take("bob:eth")).code).toBe("RATE_LIMITED");
  });

  test("a refused request does not move the slot: waiting out the interval is enough", () => {
    const { rateLimiter, advance } = limiter(60);
    rateLimiter.take("alice:eth");
    for (let i = 0; i < 5; i++) {
      advance(10_000);
      refusal(() => rateLimiter.take("alice:eth"));
    }
    advance(10_000);
    rateLimiter.take("alice:eth");
  });

  test("an interval of 0 lifts the limit", () => {
    const { rateLimiter } = limiter(0);
    for (let i = 0; i < 10; i++) rateLimiter.take("alice:eth");
    expect(rateLimiter.size).toBe(0);
  });

  test("a flood of fresh keys does not grow the map past what the interval holds", () => {
    const { rateLimiter, advance } = limiter(60, 100);
    for (let i = 0; i < 100; i++) rateLimiter.take(`sybil${i}:eth`);
    advance(60_000);
    for (let i = 0; i < 50; i++) rateLimiter.take(`fresh${i}:eth`);
    // The first sweep dropped the 100 expired keys.
    expect(rateLimiter.size).toBeLessThanOrEqual(50);
    expect(refusal(() => rateLimiter.take("fresh0:eth")).code).toBe("RATE_LIMITED");
  });
});

describe("RateLimiter with a burst (issue 11: withdrawals, a number an hour)", () => {
  function bursty(burst: number) {
    let now = 1_000_000;
    const rateLimiter = new RateLimiter({
      intervalSeconds: 3600,
      burst,
      what: "withdrawals",
      clock: () => now,
    });
    return { rateLimiter, advance: (ms: number) => (now += ms) };
  }

  test("`burst` slots in any interval, a sliding window: the oldest frees the next", () => {
    const { rateLimiter, advance } = bursty(3);
    rateLimiter.take("alice");
    advance(1_000_000);
    rateLimiter.take("alice");
    rateLimiter.take("alice");
    const refused = refusal(() => rateLimiter.take("alice"));
    expect(refused.message).toBe("3 withdrawals per 3600 s: try again in 2600 s");
    expect(refused.context).toEqual({ retryAfterSeconds: 2600 });
    rateLimiter.take("bob");
    advance(2_600_000);
    rateLimiter.take("alice");
    expect(refusal(() => rateLimiter.take("alice")).code).toBe("RATE_LIMITED");
    advance(1_000_000);
    rateLimiter.take("alice");
    rateLimiter.take("alice");
  });

  test("refusals take no slot: once the interval is over, every slot is back", () => {
    const { rateLimiter, advance } = bursty(2);
    rateLimiter.take("alice");
    rateLimiter.take("alice");
    for (let i = 0; i < 5; i++) refusal(() => rateLimiter.take("alice"));
    advance(3_600_000);
    rateLimiter.take("alice");
    rateLimiter.take("alice");
    expect(rateLimiter.size).toBe(1);
  });
});
