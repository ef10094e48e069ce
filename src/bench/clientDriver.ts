// The client side of `npm run bench` and `npm run bench:threads`, in a process of its own:
// spawned by routing.bench.ts or threads.bench.ts (see driver.ts), it connects the
// ConnextClients, deposits, and makes the payments (or thread vouchers) it is told to,
// reporting each run's latencies and failures back over IPC. It exits when told to stop or
// when its parent goes away (the IPC channel closes).
import { formatEther, ZeroAddress } from "ethers";
import type { ConnextClient } from "../client";
import type { PayeeThread, PayerThread } from "../client/threads/handles";
import { type BenchAccount, connectAccount } from "./accounts";
import {
  AMOUNT,
  COMPLETION_TIMEOUT_MS,
  DEPOSIT,
  type FromDriver,
  type ToDriver,
  toMinuteReport,
  toReport,
} from "./driver";
import { cpuMs, type MinuteSummary, type RunSummary } from "./stats";

const ETH = ZeroAddress;

interface Pair {
  payer: ConnextClient;
  payee: ConnextClient;
}

/** A pair's thread: both handles, and what the payer's acknowledged `pay` calls add up to. */
interface ThreadPair {
  payer: PayerThread;
  payee: PayeeThread;
  paid: bigint;
}

if (!process.send) {
  console.error("clientDriver.ts is spawned by routing.bench.ts (npm run bench), with IPC");
  process.exit(2);
}

function send(message: FromDriver): void {
  try {
    process.send?.(message);
  } catch {
    // the parent is gone: "disconnect" stops this process
  }
}

function progress(message: string): void {
  send({ type: "progress", message });
}

let clients: ConnextClient[] = [];
let pairs: Pair[] = [];
let threads: ThreadPair[] = [];
let stopping = false;
/** The run in progress, if any. */
let activeRun: Promise<RunSummary> | undefined;

async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    // A client that will not close must not keep the driver alive.
    const timer = setTimeout(() => process.exit(code), 10_000);
    // Payments in flight end first (a run stops starting new ones when `stopping`), so the
    // node is not left forwarding to payees that have gone.
    await Promise.race([activeRun, Bun.sleep(COMPLETION_TIMEOUT_MS + 1_000)]);
    await Promise.allSettled(clients.map((client) => client.close()));
    clearTimeout(timer);
  }
  process.exit(code);
}

// The parent drives shutdown (Ctrl-C reaches the whole process group): it sends "stop" after
// its own SIGINT handling. Should the channel close, the parent, and the node in it, are gone:
// nothing left to finish.
process.on("SIGINT", () => {});
process.on("disconnect", () => process.exit(0));

process.on("message", (message: ToDriver) => {
  const work = (async () => {
    switch (message.type) {
      case "setup":
        await setup(message.nodeUrl, message.ethRpcUrl, message.accounts, message.pairs);
        send({ type: "ready" });
        return;
      case "run": {
        activeRun = run(pairs.slice(0, message.pairs), message.seconds);
        const summary = await activeRun.finally(() => {
          activeRun = undefined;
        });
        send({ type: "result", report: toReport(summary) });
        return;
      }
      case "soak": {
        activeRun = soak(pairs.slice(0, message.pairs), message.minutes, message.rate);
        const summary = await activeRun.finally(() => {
          activeRun = undefined;
        });
        send({ type: "result", report: toReport(summary) });
        return;
      }
      case "openThreads":
        await openThreads(pairs.slice(0, message.pairs), BigInt(message.lock));
        send({ type: "ready" });
        return;
      case "runThreads": {
        activeRun = runThreads(
          threads.slice(0, message.pairs),
          message.seconds,
          message.window,
          BigInt(message.step),
        );
        const summary = await activeRun.finally(() => {
          activeRun = undefined;
        });
        send({ type: "result", report: toReport(summary) });
        return;
      }
      case "closeThreads":
        send({ type: "threadsClosed", ...(await closeThreads()) });
        return;
      case "stop":
        await stop(0);
    }
  })();
  work.catch((error: unknown) => {
    send({ type: "error", message: (error as Error).stack ?? String(error) });
  });
});

send({ type: "started" });

/* ------------------------------------------------------------------------------------------ */

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) return false;
    await Bun.sleep(20);
  }
  return true;
}

function describeError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : (error as Error).message?.slice(0, 80) || "error";
}

async function pay(pair: Pair): Promise<string> {
  try {
    const result = await pair.payer.transfer({
      recipient: pair.payee.identifier,
      assetId: ETH,
      amount: AMOUNT,
    });
    return result.status;
  } catch (error) {
    return describeError(error);
  }
}

/** Clients, payer deposits and one warm-up payment per pair (it brings the payee collateral). */
async function setup(
  nodeUrl: string,
  ethRpcUrl: string,
  accounts: BenchAccount[],
  pairCount: number,
): Promise<void> {
  const started = performance.now();
  const connected = await Promise.allSettled(
    accounts
      .slice(0, 2 * pairCount)
      .map((account) => connectAccount({ nodeUrl, ethRpcUrl }, account)),
  );
  clients = connected.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
  const refused = connected.find((result) => result.status === "rejected");
  if (refused) throw refused.reason;
  progress(`${clients.length} clients connected (client-driver process ${process.pid})`);

  pairs = Array.from({ length: pairCount }, (_, i) => ({
    payer: clients[2 * i] as ConnextClient,
    payee: clients[2 * i + 1] as ConnextClient,
  }));
  await Promise.all(pairs.map(({ payer }) => payer.deposit({ assetId: ETH, amount: DEPOSIT })));
  progress(`${pairs.length} payers deposited ${formatEther(DEPOSIT)} ETH each`);

  const warm = await Promise.all(
    pairs.map(async (pair) => {
      const status = await pay(pair);
      if (status === "completed") return true;
      // Collateral took longer than the client's 5 s: the payment completes in the background.
      return waitUntil(() => pair.payee.getBalance(ETH).user >= AMOUNT, 60_000);
    }),
  );
  const cold = warm.filter((ok) => !ok).length;
  if (cold > 0) throw new Error(`${cold} of ${pairs.length} warm-up payments did not complete`);
  progress(
    `warm-up payment completed on every pair (set-up ${((performance.now() - started) / 1000).toFixed(1)} s)`,
  );
}

function transferIds(client: ConnextClient): Set<string> {
  return new Set(client.getTransfers().map((transfer) => transfer.transferId));
}

/** Whether every transfer active in `client`'s channel is one of `ids`. */
function onlyThese(client: ConnextClient, ids: Set<string> | undefined): boolean {
  return client.getTransfers().every((transfer) => ids?.has(transfer.transferId));
}

/**
 * `pairs` pay concurrently for `seconds`; each pair one payment at a time. `clientCpuMs`: this
 * process's CPU from the start until the run's payments have settled (all the clients' work).
 */
async function run(running: Pair[], seconds: number): Promise<RunSummary> {
  const cpuBefore = process.cpuUsage();
  const summary: RunSummary = {
    pairs: running.length,
    completed: 0,
    wallMs: 0,
    latenciesMs: [],
    failures: new Map(),
  };
  const before = running.map(({ payee }) => payee.getBalance(ETH).user);
  const standing = running.map(({ payer, payee }) => ({
    payer: transferIds(payer),
    payee: transferIds(payee),
  }));
  const completedPerPair = running.map(() => 0);
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    running.map(async (pair, index) => {
      while (performance.now() < deadline && !stopping) {
        const sent = performance.now();
        const status = await pay(pair);
        if (status === "completed") {
          summary.latenciesMs.push(performance.now() - sent);
          summary.completed++;
          completedPerPair[index] = (completedPerPair[index] as number) + 1;
        } else {
          summary.failures.set(status, (summary.failures.get(status) ?? 0) + 1);
        }
      }
    }),
  );
  summary.wallMs = performance.now() - started;

  // A "completed" payment has been resolved by its payee: its money is in the payee's channel.
  running.forEach(({ payee }, index) => {
    const received = payee.getBalance(ETH).user - (before[index] as bigint);
    const expected = BigInt(completedPerPair[index] as number) * AMOUNT;
    if (received < expected) {
      summary.failures.set(
        "completed but not received",
        (summary.failures.get("completed but not received") ?? 0) + 1,
      );
    }
  });
  // Let payments that answered "pending" finish before the next run. (Transfers that were
  // active before it, like open threads' locks, are not this run's.)
  const settled = await waitUntil(
    () =>
      stopping ||
      running.every(
        ({ payer, payee }, index) =>
          onlyThese(payer, standing[index]?.payer) && onlyThese(payee, standing[index]?.payee),
      ),
    30_000,
  );
  if (!settled) progress("some transfers were still active 30 s after the run");
  summary.clientCpuMs = cpuMs(process.cpuUsage(cpuBefore));
  return summary;
}

/** In flight at once during a soak, beyond which a due payment is not started (and counted). */
const SOAK_MAX_IN_FLIGHT = 1_000;

/**
 * The soak: `rate` payments/s in all for `minutes`, open loop. Payment k is due at start +
 * k/rate on pair k mod pairs, and starts then whether or not that pair's earlier payments have
 * ended (a client queues its channel's updates). Latency runs from when the payment was due, so
 * a falling-behind shows as latency rather than as a lower offered rate. Each minute's counts
 * (payments started, completed, their latencies, failures, this process's CPU) are sent as the
 * minute ends; payments still in flight at the end are awaited and counted in the total only.
 */
async function soak(running: Pair[], minutes: number, rate: number): Promise<RunSummary> {
  const cpuStart = process.cpuUsage();
  const total: RunSummary = {
    pairs: running.length,
    completed: 0,
    wallMs: 0,
    latenciesMs: [],
    failures: new Map(),
  };
  const fresh = (minute: number): MinuteSummary => ({
    minute,
    wallMs: 0,
    offered: 0,
    completed: 0,
    latenciesMs: [],
    failures: new Map(),
    clientCpuMs: 0,
  });
  const fail = (current: MinuteSummary, reason: string) => {
    current.failures.set(reason, (current.failures.get(reason) ?? 0) + 1);
    total.failures.set(reason, (total.failures.get(reason) ?? 0) + 1);
  };
  const MINUTE_MS = 60_000;
  const started = performance.now();
  const end = started + minutes * MINUTE_MS;
  let current = fresh(1);
  let minuteStart = started;
  let minuteCpu = process.cpuUsage();
  const inFlight = new Set<Promise<void>>();
  let issued = 0;

  while (!stopping) {
    const now = performance.now();
    if (now >= minuteStart + MINUTE_MS && current.minute <= minutes) {
      // Minutes on the nominal boundaries, so the last one ends with the soak.
      current.wallMs = MINUTE_MS;
      current.clientCpuMs = cpuMs(process.cpuUsage(minuteCpu));
      send({ type: "minute", report: toMinuteReport(current) });
      current = fresh(current.minute + 1);
      minuteStart += MINUTE_MS;
      minuteCpu = process.cpuUsage();
    }
    if (now >= end) break;
    const due = started + (issued * 1000) / rate;
    if (due > now) {
      await Bun.sleep(Math.max(1, Math.min(due, minuteStart + MINUTE_MS) - now));
      continue;
    }
    const pair = running[issued % running.length] as Pair;
    issued++;
    current.offered++;
    if (inFlight.size >= SOAK_MAX_IN_FLIGHT) {
      fail(current, `not started: ${SOAK_MAX_IN_FLIGHT} in flight`);
      continue;
    }
    const payment = pay(pair).then((status) => {
      // Counted in the minute it ends in (`current` then); after the end, in the total only.
      const counting = performance.now() < end ? current : fresh(0);
      if (status === "completed") {
        const latency = performance.now() - due;
        counting.latenciesMs.push(latency);
        counting.completed++;
        total.latenciesMs.push(latency);
        total.completed++;
      } else {
        fail(counting, status);
      }
    });
    inFlight.add(payment);
    void payment.finally(() => inFlight.delete(payment));
  }
  total.wallMs = performance.now() - started;
  await Promise.all(inFlight);
  total.clientCpuMs = cpuMs(process.cpuUsage(cpuStart));
  return total;
}

/* ------------------------------------------------------------------------------------------ */
/* threads (npm run bench:threads)                                                             */
/* ------------------------------------------------------------------------------------------ */

/** Each payer opens one thread of `lock` to its payee; waits for the payee's handle. */
async function openThreads(opening: Pair[], lock: bigint): Promise<void> {
  const started = performance.now();
  threads = await Promise.all(
    opening.map(async ({ payer, payee }) => {
      const thread = await payer.openThread({
        counterparty: payee.identifier,
        assetId: ETH,
        amount: lock,
      });
      const found = () =>
        payee.getThreads().find((t) => t.id === thread.id && t.role === "payee") as
          | PayeeThread
          | undefined;
      if (!(await waitUntil(() => found() !== undefined, 30_000))) {
        throw new Error(`the payee never saw thread ${thread.id}`);
      }
      return { payer: thread, payee: found() as PayeeThread, paid: 0n };
    }),
  );
  progress(
    `${threads.length} threads of ${formatEther(lock)} ETH opened ` +
      `(${((performance.now() - started) / 1000).toFixed(1)} s)`,
  );
}

/**
 * The pairs pay vouchers of `step` for `seconds`: each keeps `window` `pay` calls in flight
 * (1: each awaited before the next). Latency: `pay` called → resolved (the payee's answer).
 */
async function runThreads(
  running: ThreadPair[],
  seconds: number,
  window: number,
  step: bigint,
): Promise<RunSummary> {
  const summary: RunSummary = {
    pairs: running.length,
    completed: 0,
    wallMs: 0,
    latenciesMs: [],
    failures: new Map(),
  };
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    running.flatMap((pair) =>
      Array.from({ length: window }, async () => {
        while (performance.now() < deadline && !stopping) {
          const sent = performance.now();
          try {
            await pair.payer.pay(step);
            summary.latenciesMs.push(performance.now() - sent);
            summary.completed++;
            pair.paid += step;
          } catch (error) {
            const reason = describeError(error);
            summary.failures.set(reason, (summary.failures.get(reason) ?? 0) + 1);
          }
        }
      }),
    ),
  );
  summary.wallMs = performance.now() - started;
  return summary;
}

/**
 * Closes every thread: the payee closes those of even pairs, the payer those of odd ones. A
 * line for each thread whose payee's `received`, or whose close, is not the sum of the
 * payer's acknowledged `pay` calls.
 */
async function closeThreads(): Promise<{ closed: number; paid: string; mismatches: string[] }> {
  const mismatches: string[] = [];
  let total = 0n;
  const closing = threads;
  threads = [];
  await Promise.all(
    closing.map(async (pair, index) => {
      total += pair.paid;
      const received = pair.payee.received;
      if (received !== pair.paid) {
        mismatches.push(
          `pair ${index + 1}: the payee holds ${received} wei of vouchers, ${pair.paid} acknowledged`,
        );
      }
      const by = index % 2 === 0 ? "payee" : "payer";
      try {
        const { paid } = await (by === "payee" ? pair.payee.close() : pair.payer.close());
        if (paid !== pair.paid) {
          mismatches.push(
            `pair ${index + 1}: closed by the ${by} for ${paid} wei, ${pair.paid} acknowledged`,
          );
        }
      } catch (error) {
        mismatches.push(`pair ${index + 1}: close by the ${by} failed: ${describeError(error)}`);
      }
    }),
  );
  return { closed: closing.length, paid: total.toString(), mismatches };
}
