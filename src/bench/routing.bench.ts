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
// Environment: BENCH_SECONDS (default 10) per run, BENCH_WARMUP_SECONDS (default 2),
// BENCH_PAIRS (default "1,4,16"), BENCH_LOG_LEVEL (the node's, default "error").
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { formatEther, parseEther, ZeroAddress } from "ethers";
import type { ConnextClient } from "../client";
import { type Stack, startStack } from "../e2e/stack";
import { NATS_SERVER_BIN, startNatsServer } from "../node/messaging/testing/natsServer";
import {
  POSTGRES_BIN,
  postgresAvailable,
  startPostgres,
} from "../node/store/testing/postgresServer";
import { type BenchAccount, connectAccount, devAccounts, freshAccounts } from "./accounts";
import { failureCount, formatTable, type RunSummary, SUMMARY_HEADER, summaryRow } from "./stats";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
/** An untimed round on all pairs before the first run, so the first row is not the JIT's. */
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
const PAIR_COUNTS = (process.env.BENCH_PAIRS ?? "1,4,16").split(",").map(Number);
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? "error";
const MAX_PAIRS = Math.max(...PAIR_COUNTS);

const ETH = ZeroAddress;
/** Small against the node's 1 ETH collateral target, so top-ups mid-run are rare. */
const AMOUNT = parseEther("0.0001");
/** Each payer's channel deposit: 20,000 payments. */
const DEPOSIT = parseEther("2");
/** Gas and deposit money for each fresh account. */
const FRESH_FUNDING = parseEther("10");
/** The dev account that funds the fresh ones. */
const FUNDER = 9;

/* ------------------------------------------------------------------------------------------ */
/* configurations                                                                               */
/* ------------------------------------------------------------------------------------------ */

interface Services {
  databaseUrl?: string;
  natsUrl?: string;
  stop(): Promise<void>;
}

interface Configuration {
  title: string;
  /** Why it cannot run here (a missing Debian package), or undefined. */
  missing(): string[];
  services(): Promise<Services>;
}

const CONFIGURATIONS: Configuration[] = [
  {
    title: "embedded (PGlite + embedded broker)",
    missing: () => [],
    services: async () => ({ stop: async () => {} }),
  },
  {
    title: "PostgreSQL + nats-server",
    missing: () => [
      ...(postgresAvailable()
        ? []
        : [
            `PostgreSQL server binaries not found in ${POSTGRES_BIN}: install the Debian ` +
              "package `postgresql` (sudo apt-get install postgresql), or set POSTGRES_BIN.",
          ]),
      ...(NATS_SERVER_BIN
        ? []
        : [
            "nats-server not found: install the Debian package `nats-server` " +
              "(sudo apt-get install nats-server), or set NATS_SERVER.",
          ]),
    ],
    services: async () => {
      const postgres = await startPostgres();
      try {
        const nats = await startNatsServer();
        return {
          databaseUrl: postgres.url,
          natsUrl: nats.url,
          stop: async () => {
            await nats.stop();
            await postgres.stop();
          },
        };
      } catch (error) {
        await postgres.stop();
        throw error;
      }
    },
  },
];

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

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, async () => {
    console.error(`\n${signal}: stopping…`);
    await cleanUp();
    process.exit(130);
  });
}

/* ------------------------------------------------------------------------------------------ */
/* the benchmark                                                                                */
/* ------------------------------------------------------------------------------------------ */

interface Pair {
  payer: ConnextClient;
  payee: ConnextClient;
}

function progress(message: string): void {
  console.log(`  · ${message}`);
}

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
async function preparePairs(stack: Stack): Promise<Pair[]> {
  const started = performance.now();
  const dev = devAccounts();
  const needed = 2 * MAX_PAIRS;
  const fresh =
    needed > dev.length
      ? await freshAccounts(stack.provider, needed - dev.length, FRESH_FUNDING, FUNDER)
      : [];
  const accounts: BenchAccount[] = [...dev, ...fresh].slice(0, needed);
  progress(`${fresh.length} fresh accounts funded from dev ${FUNDER}`);

  const clients = await Promise.all(accounts.map((account) => connectAccount(stack, account)));
  cleanups.push(async () => {
    await Promise.allSettled(clients.map((client) => client.close()));
  });
  progress(`${clients.length} clients connected`);

  const pairs: Pair[] = Array.from({ length: MAX_PAIRS }, (_, i) => ({
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
  return pairs;
}

/** `pairs` pay concurrently for `seconds`; each pair one payment at a time. */
async function run(pairs: Pair[], seconds: number): Promise<RunSummary> {
  const summary: RunSummary = {
    pairs: pairs.length,
    completed: 0,
    wallMs: 0,
    latenciesMs: [],
    failures: new Map(),
  };
  const before = pairs.map(({ payee }) => payee.getBalance(ETH).user);
  const completedPerPair = pairs.map(() => 0);
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    pairs.map(async (pair, index) => {
      while (performance.now() < deadline) {
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
  pairs.forEach(({ payee }, index) => {
    const received = payee.getBalance(ETH).user - (before[index] as bigint);
    const expected = BigInt(completedPerPair[index] as number) * AMOUNT;
    if (received < expected) {
      summary.failures.set(
        "completed but not received",
        (summary.failures.get("completed but not received") ?? 0) + 1,
      );
    }
  });
  // Let payments that answered "pending" finish before the next run.
  const settled = await waitUntil(
    () =>
      pairs.every(
        ({ payer, payee }) =>
          payer.getTransfers().length === 0 && payee.getTransfers().length === 0,
      ),
    30_000,
  );
  if (!settled) progress("some transfers were still active 30 s after the run");
  return summary;
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

  const pairs = await preparePairs(stack);
  if (WARMUP_SECONDS > 0) {
    const warmup = await run(pairs, WARMUP_SECONDS);
    progress(`untimed warm-up: ${warmup.completed} payments, ${failureCount(warmup)} failed`);
  }
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const count of PAIR_COUNTS) {
    const summary = await run(pairs.slice(0, count), SECONDS);
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
    ...(notes.length > 0 ? ["failures:", ...notes] : []),
  ].join("\n");
}

function machine(): string {
  let model = cpus()[0]?.model ?? "unknown cpu";
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8")
      .split("\n")
      .find((l) => l.startsWith("model name"));
    if (line) model = line.split(":").slice(1).join(":").trim();
  } catch {
    // not Linux: keep os.cpus()'s model
  }
  return `machine: ${model}, ${navigator.hardwareConcurrency} cores, bun ${Bun.version}`;
}

function loudNotice(lines: string[]): string {
  const bar = "!".repeat(96);
  return [bar, ...lines.map((line) => `!! ${line}`), bar].join("\n");
}

async function main(): Promise<number> {
  console.log(
    `routed-payment benchmark: ${SECONDS} s per run, pairs ${PAIR_COUNTS.join("/")}, ` +
      `${formatEther(AMOUNT)} ETH per payment, completion timeout 5 s`,
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
