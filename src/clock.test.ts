import { expect, test } from "bun:test";
import { ManualClock, seconds, systemClock } from "./clock";

test("a manual clock runs the timers that fall due, in order, each at its own time", () => {
  const clock = new ManualClock(1_000);
  const ran: [string, number][] = [];
  clock.after(300, () => ran.push(["b", clock.now()]));
  clock.after(100, () => {
    ran.push(["a", clock.now()]);
    // A timer set by a timer runs in the same advance when it falls due within it.
    clock.after(100, () => ran.push(["a2", clock.now()]));
  });
  const cancelled = clock.after(200, () => ran.push(["never", clock.now()]));
  cancelled.cancel();
  clock.advance(250);
  expect(ran).toEqual([
    ["a", 1_100],
    ["a2", 1_200],
  ]);
  expect(clock.now()).toBe(1_250);
  clock.advance(50);
  expect(ran.at(-1)).toEqual(["b", 1_300]);
  expect(clock.pending).toBe(0);
  expect(seconds(clock)).toBe(1);
});

test("the system clock reads the machine's time and its timers fire", async () => {
  const before = Date.now();
  expect(Math.abs(systemClock.now() - before)).toBeLessThan(1_000);
  const fired = await new Promise<boolean>((resolve) => {
    systemClock.after(1, () => resolve(true));
  });
  expect(fired).toBe(true);
});
