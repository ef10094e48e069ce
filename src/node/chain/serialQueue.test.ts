import { describe, expect, test } from "bun:test";
import { KeyedSerialQueue, SerialQueue } from "./serialQueue";

describe("SerialQueue", () => {
  test("runs tasks one at a time, in call order", async () => {
    const queue = new SerialQueue();
    const log: string[] = [];
    const task = (name: string, ms: number) => async () => {
      log.push(`start ${name}`);
      await Bun.sleep(ms);
      log.push(`end ${name}`);
      return name;
    };
    const results = await Promise.all([queue.run(task("a", 30)), queue.run(task("b", 1))]);
    expect(results).toEqual(["a", "b"]);
    expect(log).toEqual(["start a", "end a", "start b", "end b"]);
  });

  test("a failing task rejects its own caller only", async () => {
    const queue = new SerialQueue();
    const failed = queue.run(() => Promise.reject(new Error("boom")));
    const next = queue.run(() => "still runs");
    await expect(failed).rejects.toThrow("boom");
    expect(await next).toBe("still runs");
  });
});

describe("KeyedSerialQueue", () => {
  test("serialises per key, runs keys side by side, and forgets idle keys", async () => {
    const queue = new KeyedSerialQueue();
    const log: string[] = [];
    const task = (name: string, ms: number) => async () => {
      log.push(`start ${name}`);
      await Bun.sleep(ms);
      log.push(`end ${name}`);
    };
    const all = Promise.all([
      queue.run("x", task("x1", 30)),
      queue.run("y", task("y1", 1)),
      queue.run("x", task("x2", 1)),
    ]);
    expect(queue.size).toBe(2);
    await all;
    // y1 did not wait for x1; x2 did.
    expect(log.indexOf("end y1")).toBeLessThan(log.indexOf("end x1"));
    expect(log.indexOf("start x2")).toBeGreaterThan(log.indexOf("end x1"));
    expect(queue.size).toBe(0);
  });
});
