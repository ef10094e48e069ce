import { expect, test } from "bun:test";
import { CatchUps } from "./catchUps";

/** A hand-driven clock and timer queue. */
function manualTime() {
  let now = 0;
  let timers: { at: number; run: () => void; cancelled: boolean }[] = [];
  return {
    clock: () => now,
    schedule(run: () => void, delayMs: number) {
      const timer = { at: now + delayMs, run, cancelled: false };
      timers.push(timer);
      return { cancel: () => (timer.cancelled = true) };
    },
    async advance(ms: number) {
      now += ms;
      const due = timers.filter((t) => t.at <= now && !t.cancelled);
      timers = timers.filter((t) => !due.includes(t));
      for (const timer of due) timer.run();
      await flush();
    },
  };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

function harness() {
  const time = manualTime();
  const runs: string[] = [];
  const release: (() => void)[] = [];
  let concurrent = 0;
  let maxConcurrent = 0;
  const catchUps = new CatchUps({
    intervalMs: 1000,
    clock: time.clock,
    schedule: time.schedule,
    onError: () => {},
    run: (user) =>
      new Promise<void>((resolve) => {
        runs.push(user);
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        release.push(() => {
          concurrent--;
          resolve();
        });
      }),
  });
  const finishAll = async () => {
    for (const done of release.splice(0)) done();
    await flush();
  };
  return { time, runs, catchUps, finishAll, maxConcurrent: () => maxConcurrent };
}

test("a flood of requests from one user runs one catch-up, then one more covering the rest", async () => {
  const { time, runs, catchUps, finishAll, maxConcurrent } = harness();
  for (let i = 0; i < 3000; i++) catchUps.request("0xAbc");
  expect(runs).toEqual(["0xAbc"]);
  await finishAll();
  // The interval has not passed: the owed run waits for it.
  expect(runs).toHaveLength(1);
  await time.advance(1000);
  expect(runs).toHaveLength(2);
  await finishAll();
  await time.advance(1000);
  expect(runs).toHaveLength(2);
  expect(maxConcurrent()).toBe(1);
});

test("users do not wait for each other, and a quiet user's next request runs at once", async () => {
  const { time, runs, catchUps, finishAll } = harness();
  catchUps.request("0xA");
  catchUps.request("0xB");
  expect(runs).toEqual(["0xA", "0xB"]);
  expect(catchUps.running).toBe(2);
  await finishAll();
  await time.advance(1000);
  catchUps.request("0xa");
  expect(runs).toEqual(["0xA", "0xB", "0xa"]);
});

test("a request during a run is never lost", async () => {
  const { time, runs, catchUps, finishAll } = harness();
  catchUps.request("0xA");
  await time.advance(5000);
  catchUps.request("0xA");
  await finishAll();
  expect(runs).toHaveLength(1);
  await time.advance(0);
  expect(runs).toHaveLength(2);
});

test("stop() waits for the runs and starts no more", async () => {
  const { time, runs, catchUps, finishAll } = harness();
  catchUps.request("0xA");
  catchUps.request("0xA");
  const stopped = catchUps.stop();
  await finishAll();
  await stopped;
  await time.advance(5000);
  expect(runs).toEqual(["0xA"]);
});
