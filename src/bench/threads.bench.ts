// `npm run bench:threads`: thread vouchers beside routed payments, through the same node and
// the same clients, per configuration (configurations.ts: the embedded defaults, then
// PostgreSQL + nats-server when both are installed).
//
// Each payer opens one thread to its payee (THREAD_LOCK, enough for the whole run), then for
// each pair count (1 and 16 by default), all pairs at once for BENCH_SECONDS each:
//   - routed: `transfer` after `transfer`, as `npm run bench` does;
//   - sequential: `thread.pay` after `thread.pay`, each awaited (latency-bound);
//   - pipelined: BENCH_WINDOW (32) `pay` calls in flight per pair (throughput-bound).
// Reported: acknowledged payments (or `pay` calls) per second of wall time, p50/p99 latency
// (for a voucher: `pay` called → resolved, i.e. the payee stored it and answered), failures,
// and each thread mode's rate over the routed rate for the same pairs.
//
// At the end the threads are closed (the payee closes half, the payer the other half) and each
// payee's `received` and each close's `paid` is checked against the sum of the acknowledged
// `pay` calls: a line is printed for each that differs.
//
// The node runs in this process; all the clients in ONE separate process (clientDriver.ts,
// driven over IPC: driver.ts), as in routing.bench.ts.
//
// Environment: BENCH_SECONDS (default 10) per run, BENCH_WARMUP_SECONDS (default 2),
// BENCH_PAIRS (default "1,16"), BENCH_WINDOW (default 32), BENCH_CONFIGS (default "embedded,
// postgres": which configurations), BENCH_LOG_LEVEL (the node's, default "error"),
// BENCH_CPU_PROF (a directory: the client-driver process writes a CPU profile there on exit).
import { formatEther, parseEther } from "ethers";
import { startStack } from "../e2e/stack";
import { type BenchAccount, devAccounts, freshAccounts } from "./accounts";
import { CONFIGURATIONS, type Configuration, loudNotice, machine } from "./configurations";
import { AMOUNT, ClientDriver, COMPLETION_TIMEOUT_MS } from "./driver";
import { failureCount, formatTable, type RunSummary, THREAD_HEADER, threadRow } from "./stats";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
const PAIR_COUNTS = (process.env.BENCH_PAIRS ?? "1,16").split(",").map(Number);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 32);
const CONFIGS = (process.env.BENCH_CONFIGS ?? "embedded,postgres").toLowerCase().split(",");
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? "error";
const CPU_PROF = process.env.BENCH_CPU_PROF;
const MAX_PAIRS = Math.max(...PAIR_COUNTS);

/** Each thread's lock: 10,000,000 vouchers of STEP. */
const THREAD_LOCK = parseEther("0.01");
/** What each voucher pays (1 gwei). */
const STEP = 1_000_000_000n;

const FRESH_FUNDING = parseEther("10");
const FUNDER = 9;

/* ------------------------------------------------------------------------------------------ */
/* clean-up: last started, first stopped; also on Ctrl-C                                        */
/* ------------------------------------------------------------------------------------------ */

const cleanups: (() => Promise<void>)[] = [];

async function cleanUp(): Promise<void> {
  while (cleanups.length > 0) {
    const cleanup = cleanups.pop() as () => Promise<void>;
    await cleanup().catch((error) => console.error(`stopping: ${(error as Error).message}`));
  }
}

let interrupted: Promise<never> | undefined;

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping…`);
    interrupted ??= cleanUp().then(() => process.exit(130));
  });
}

/* ------------------------------------------------------------------------------------------ */
/* the benchmark                                                                                */
/* ------------------------------------------------------------------------------------------ */

function progress(message: string): void {
  console.log(`  · ${message}`);
}

async function benchConfiguration(configuration: Configuration): Promise<string> {
  console.log(`\n${configuration.title}: starting`);
  const services = await configuration.services();
  cleanups.push(() => services.stop());
  const stack = await startStack({
    ...(services.databaseUrl ? { databaseUrl: services.databaseUrl } : {}),
    ...(services.natsUrl ? { natsUrl: services.natsUrl } : {}),
    logLevel: LOG_LEVEL,
  });
  cleanups.push(() => stack.stop());
  progress(`node up at ${stack.node.httpUrl}, messaging ${stack.node.messagingUrl}`);

  const dev = devAccounts();
  const needed = 2 * MAX_PAIRS;
  const fresh =
    needed > dev.length
      ? await freshAccounts(stack.provider, needed - dev.length, FRESH_FUNDING, FUNDER)
      : [];
  const accounts: BenchAccount[] = [...dev, ...fresh].slice(0, needed);
  progress(`${fresh.length} fresh accounts funded from dev ${FUNDER}`);
  const profileDir = CPU_PROF
    ? `${CPU_PROF}/${configuration.title.split(" ")[0]?.toLowerCase()}`
    : undefined;
  const driver = await ClientDriver.start(
    progress,
    profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`, "--cpu-prof-md"] : [],
  );
  cleanups.push(() => driver.stop());
  await driver.setup(stack.node.httpUrl, stack.anvil.rpcUrl, accounts, MAX_PAIRS);
  await driver.openThreads(MAX_PAIRS, THREAD_LOCK);

  if (WARMUP_SECONDS > 0) {
    const routed = await driver.run(MAX_PAIRS, WARMUP_SECONDS);
    const vouchers = await driver.runThreads(MAX_PAIRS, WARMUP_SECONDS, WINDOW, STEP);
    progress(
      `untimed warm-up: ${routed.completed} payments, ${failureCount(routed)} failed; ` +
        `${vouchers.completed} vouchers, ${failureCount(vouchers)} failed`,
    );
  }

  const rows: string[][] = [];
  const notes: string[] = [];
  for (const count of PAIR_COUNTS) {
    const runs: [string, () => Promise<RunSummary>][] = [
      ["routed", () => driver.run(count, SECONDS)],
      ["sequential", () => driver.runThreads(count, SECONDS, 1, STEP)],
      [`pipelined W=${WINDOW}`, () => driver.runThreads(count, SECONDS, WINDOW, STEP)],
    ];
    let routedRate = Number.NaN;
    for (const [mode, run] of runs) {
      const summary = await run();
      if (interrupted) await interrupted;
      if (mode === "routed") routedRate = summary.completed / (summary.wallMs / 1000);
      rows.push(threadRow(mode, summary, routedRate));
      progress(
        `${count} pairs, ${mode}: ${summary.completed} acknowledged, ${failureCount(summary)} failed`,
      );
      for (const [reason, times] of summary.failures) {
        notes.push(`  ${count} pairs, ${mode}: ${times} × ${reason}`);
      }
    }
  }

  const closed = await driver.closeThreads();
  progress(
    `${closed.closed} threads closed (payees closed half, payers half): ` +
      `${formatEther(closed.paid)} ETH paid in vouchers`,
  );
  await cleanUp();

  const cores = navigator.hardwareConcurrency;
  const date = new Date().toISOString().slice(0, 10);
  return [
    `thread vouchers vs routed payments — ${configuration.title}, ${date}, ${cores} cores`,
    formatTable(THREAD_HEADER, rows),
    `clients: 1 separate process (${2 * MAX_PAIRS} ConnextClients); the node runs in the bench process`,
    `per voucher ${formatEther(STEP)} ETH (thread lock ${formatEther(THREAD_LOCK)} ETH); ` +
      `per routed payment ${formatEther(AMOUNT)} ETH`,
    closed.mismatches.length === 0
      ? `close check: all ${closed.closed} payees received exactly what was paid (${closed.paid} wei in all)`
      : ["CLOSE CHECK FAILED:", ...closed.mismatches.map((line) => `  ${line}`)].join("\n"),
    ...(notes.length > 0 ? ["failures:", ...notes] : []),
  ].join("\n");
}

async function main(): Promise<number> {
  console.log(
    `thread benchmark: ${SECONDS} s per run, pairs ${PAIR_COUNTS.join("/")}, window ${WINDOW}, ` +
      `routed completion timeout ${COMPLETION_TIMEOUT_MS / 1000} s`,
  );
  const tables: string[] = [];
  let failed = false;
  const chosen = CONFIGURATIONS.filter((configuration) =>
    CONFIGS.some((name) => name && configuration.title.toLowerCase().includes(name)),
  );
  for (const configuration of chosen) {
    const missing = configuration.missing();
    if (missing.length > 0) {
      const notice = loudNotice([`SKIPPED: ${configuration.title}`, ...missing]);
      console.log(`\n${notice}`);
      tables.push(notice);
      continue;
    }
    try {
      const table = await benchConfiguration(configuration);
      if (table.includes("CLOSE CHECK FAILED")) failed = true;
      tables.push(table);
    } catch (error) {
      if (interrupted) await interrupted;
      failed = true;
      await cleanUp();
      const message = `${configuration.title} FAILED: ${(error as Error).stack ?? error}`;
      console.error(message);
      tables.push(message);
    }
  }
  console.log(`\n${machine()}\n`);
  console.log(tables.join("\n\n"));
  return failed ? 1 : 0;
}

process.exitCode = await main();
setTimeout(() => {
  console.error("a handle was still open 5 s after everything stopped: exiting anyway");
  process.exit();
}, 5_000).unref();
