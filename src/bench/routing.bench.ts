// `npm run bench`: routed payments through a real node on anvil (issue 5 §8), per
// configuration: (a) the embedded defaults, PGlite + the embedded broker; (b) PostgreSQL +
// nats-server (Debian's binaries; skipped with a notice when either is missing).
//
// For 1, 4 and 16 concurrent payer→payee pairs, each payer pays its payee one payment after
// another (awaiting each `transfer`), all pairs at once, for BENCH_SECONDS. Reported: completed
// payments per second of wall time, p50/p99 latency of `transfer` until "completed", and
// failures (any other status, or an error).
//
// Before timing, each pair makes one payment (the first payment to a payee brings it the
// node's collateral, on-chain), then all pairs pay for BENCH_WARMUP_SECONDS untimed.
//
// The node runs in this process (src/e2e/stack.ts: anvil, the contracts, the node); all the
// clients run in ONE separate process, clientDriver.ts, spawned here and driven over IPC
// (driver.ts), so their signing and encryption does not compete with the node's event loop.
// The driver times each `transfer` and reports latencies and failures; this process tabulates.
//
// Environment: BENCH_SECONDS (default 10) per run, BENCH_WARMUP_SECONDS (default 2),
// BENCH_PAIRS (default "1,4,16"), BENCH_LOG_LEVEL (the node's, default "error").
import { formatEther, parseEther } from "ethers";
import { type Stack, startStack } from "../e2e/stack";
import { type BenchAccount, devAccounts, freshAccounts } from "./accounts";
import { CONFIGURATIONS, type Configuration, loudNotice, machine } from "./configurations";
import { AMOUNT, ClientDriver, COMPLETION_TIMEOUT_MS } from "./driver";
import { failureCount, formatTable, SUMMARY_HEADER, summaryRow } from "./stats";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
/** An untimed round on all pairs before the first run, so the first row is not the JIT's. */
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
const PAIR_COUNTS = (process.env.BENCH_PAIRS ?? "1,4,16").split(",").map(Number);
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? "error";
const MAX_PAIRS = Math.max(...PAIR_COUNTS);

/** Gas and deposit money for each fresh account. */
const FRESH_FUNDING = parseEther("10");
/** The dev account that funds the fresh ones. */
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

/** Set on Ctrl-C: stopping everything, then exiting; the benchmark goes no further. */
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

/** The client-driver subprocess with 2×MAX_PAIRS clients connected, deposited and warmed. */
async function prepareDriver(stack: Stack): Promise<ClientDriver> {
  const dev = devAccounts();
  const needed = 2 * MAX_PAIRS;
  const fresh =
    needed > dev.length
      ? await freshAccounts(stack.provider, needed - dev.length, FRESH_FUNDING, FUNDER)
      : [];
  const accounts: BenchAccount[] = [...dev, ...fresh].slice(0, needed);
  progress(`${fresh.length} fresh accounts funded from dev ${FUNDER}`);

  const driver = await ClientDriver.start(progress);
  cleanups.push(() => driver.stop());
  await driver.setup(stack.node.httpUrl, stack.anvil.rpcUrl, accounts, MAX_PAIRS);
  return driver;
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

  const driver = await prepareDriver(stack);
  if (WARMUP_SECONDS > 0) {
    const warmup = await driver.run(MAX_PAIRS, WARMUP_SECONDS);
    progress(`untimed warm-up: ${warmup.completed} payments, ${failureCount(warmup)} failed`);
  }
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const count of PAIR_COUNTS) {
    const summary = await driver.run(count, SECONDS);
    if (interrupted) await interrupted;
    rows.push(summaryRow(summary));
    progress(`${count} pairs: ${summary.completed} completed, ${failureCount(summary)} failed`);
    for (const [reason, times] of summary.failures) {
      notes.push(`  ${count} pairs: ${times} × ${reason}`);
    }
  }
  await cleanUp();

  const cores = navigator.hardwareConcurrency;
  const date = new Date().toISOString().slice(0, 10);
  return [
    `routed payments — ${configuration.title}, ${date}, ${cores} cores`,
    formatTable(SUMMARY_HEADER, rows),
    `clients: 1 separate process (${2 * MAX_PAIRS} ConnextClients); the node runs in the bench process`,
    ...(notes.length > 0 ? ["failures:", ...notes] : []),
  ].join("\n");
}

async function main(): Promise<number> {
  console.log(
    `routed-payment benchmark: ${SECONDS} s per run, pairs ${PAIR_COUNTS.join("/")}, ` +
      `${formatEther(AMOUNT)} ETH per payment, completion timeout ${COMPLETION_TIMEOUT_MS / 1000} s`,
  );
  const tables: string[] = [];
  let failed = false;
  for (const configuration of CONFIGURATIONS) {
    const missing = configuration.missing();
    if (missing.length > 0) {
      const notice = loudNotice([`SKIPPED: ${configuration.title}`, ...missing]);
      console.log(`\n${notice}`);
      tables.push(notice);
      continue;
    }
    try {
      tables.push(await benchConfiguration(configuration));
    } catch (error) {
      // The run failed because it is being stopped (the driver's clients closed): just stop.
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
// Everything is stopped; should a library still hold a handle open, do not hang on it.
setTimeout(() => {
  console.error("a handle was still open 5 s after everything stopped: exiting anyway");
  process.exit();
}, 5_000).unref();
