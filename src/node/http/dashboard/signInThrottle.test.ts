import { describe, expect, test } from "bun:test";
import { SignInThrottle } from "./signInThrottle";

describe("SignInThrottle", () => {
  test("five failures in a minute refuse that address until the minute has passed", () => {
    let now = 1_000_000;
    const throttle = new SignInThrottle(() => now);
    for (let i = 0; i < 4; i++) throttle.failed("10.0.0.1");
    expect(throttle.refused("10.0.0.1")).toBe(false);
    throttle.failed("10.0.0.1");
    expect(throttle.refused("10.0.0.1")).toBe(true);
    expect(throttle.retryAfterSeconds("10.0.0.1")).toBe(60);
    // Another address is not held up.
    expect(throttle.refused("10.0.0.2")).toBe(false);
    now += 59_999;
    expect(throttle.refused("10.0.0.1")).toBe(true);
    now += 1;
    expect(throttle.refused("10.0.0.1")).toBe(false);
    expect(throttle.retryAfterSeconds("10.0.0.1")).toBe(0);
  });

  test("a success forgets the failures; the table stays bounded", () => {
    const throttle = new SignInThrottle(() => 0, 5, 60_000, 3);
    for (let i = 0; i < 4; i++) throttle.failed("a");
    throttle.succeeded("a");
    throttle.failed("a");
    expect(throttle.refused("a")).toBe(false);
    for (const client of ["b", "c", "d"]) for (let i = 0; i < 5; i++) throttle.failed(client);
    // "a" was the least recently failed: dropped past three addresses.
    expect(throttle.refused("b")).toBe(true);
    expect(throttle.refused("d")).toBe(true);
    for (let i = 0; i < 4; i++) throttle.failed("a");
    expect(throttle.refused("a")).toBe(false);
  });
});
