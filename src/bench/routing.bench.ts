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
// Also per run: the CPU time of the node's process (this one: the node, and in the embedded
// configuration PGlite and the broker, which run inside it) and of the client-driver process,
// each per completed payment (`process.cpuUsage()` around the run; the driver reports its own),
// and the node's resident memory at the end. Not counted: anvil, PostgreSQL, nats-server.
//
// The crypto limit: before the configurations, this process times CRYPTO_OPS signs and
// recoveries of 32-byte digests with the protocol's own functions (signDigestSync,
// recoverSigner); a routed payment takes 8 of each across its parties, so the cores could do
// at most cores / (8 × sign + 8 × recover) payments/s. Each row shows its rate as a share of it.
//
// A soak (`npm run bench -- --duration 30`): the embedded configuration only; `--pairs` pairs
// (default 4) pay at `--rate` payments/s in all (default: half the rate a BENCH_SECONDS
// closed-loop run on those pairs reaches first), open loop, for `--duration` minutes; a line
// every minute (offered and completed payments/s, p50/p99 of the payments completed in it,
// failures, the node's RSS and heap used after a full GC and how long that GC took, CPU per
// payment), then the memory growth from the first minute to the last.
//
// Environment: BENCH_SECONDS (default 10) per run, BENCH_WARMUP_SECONDS (default 2),
// BENCH_PAIRS (default "1,4,16"), BENCH_LOG_LEVEL (the node's, default "error"),
// BENCH_CRYPTO_OPS (default 2000), BENCH_CONFIGS (default "embedded,postgres": which
// configurations), BENCH_CPU_PROF (a directory: the client-driver process writes a CPU profile
// to its clients/ on exit; profile the node with `bun --cpu-prof` on this script).
import { parseArgs } from "node:util";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { formatEther, parseEther } from "ethers";
import { useFastestSecp256k1 } from "../crypto/nativeSecp256k1";
import { type Stack, startStack } from "../e2e/stack";
import { bytesToHex } from "../protocol/bytes";
import { publicKeyToAddress, recoverSigner, signDigestSync } from "../protocol/signatures";
import { type BenchAccount, devAccounts, freshAccounts } from "./accounts";
import { CONFIGURATIONS, type Configuration, loudNotice, machine } from "./configurations";
import { AMOUNT, ClientDriver, COMPLETION_TIMEOUT_MS } from "./driver";
import {
  cpuMs,
  cryptoLimit,
  failureCount,
  formatTable,
  type MinuteSummary,
  memoryGrowth,
  type NodeSample,
  ofLimit,
  perPayment,
  RECOVERIES_PER_PAYMENT,
  ROUTED_HEADER,
  routedRow,
  SIGNS_PER_PAYMENT,
  SOAK_HEADER,
  soakRow,
} from "./stats";

const { values: options } = parseArgs({
  options: {
    duration: { type: "string" },
    rate: { type: "string" },
    pairs: { type: "string" },
  },
});
/** Minutes of soak; undefined: the usual runs. */
const SOAK_MINUTES = options.duration === undefined ? undefined : Number(options.duration);
const SOAK_RATE = options.rate === undefined ? undefined : Number(options.rate);
const SOAK_PAIRS = Number(options.pairs ?? 4);
for (const [name, value] of [
  ["--duration", SOAK_MINUTES],
  ["--rate", SOAK_RATE],
  ["--pairs", SOAK_PAIRS],
] as const) {
  if (value !== undefined && !(value > 0 && Number.isFinite(value))) {
    console.error(`${name}: a positive number`);
    process.exit(2);
  }
}
if (SOAK_MINUTES !== undefined && !Number.isInteger(SOAK_MINUTES)) {
  console.error("--duration: whole minutes");
  process.exit(2);
}

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
/** An untimed round on all pairs before the first run, so the first row is not the JIT's. */
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
const PAIR_COUNTS =
  SOAK_MINUTES === undefined
    ? (process.env.BENCH_PAIRS ?? "1,4,16").split(",").map(Number)
    : [SOAK_PAIRS];
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? "error";
const CPU_PROF = process.env.BENCH_CPU_PROF;
const CONFIGS = (process.env.BENCH_CONFIGS ?? "embedded,postgres").toLowerCase().split(",");
const MAX_PAIRS = Math.max(...PAIR_COUNTS);
const CRYPTO_OPS = Number(process.env.BENCH_CRYPTO_OPS ?? 2_000);
const CORES = navigator.hardwareConcurrency;
/** What the CPU columns count, printed under each table. */
const CPU_NOTE =
  "CPU: node = the bench process (the node; in the embedded configuration PGlite and the " +
  "broker run in it too), client = the client-driver process; anvil, PostgreSQL and " +
  "nats-server are separate processes, not counted";

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

/** The crypto limit, measured once before the configurations (see the top of this file). */
interface Crypto {
  signMs: number;
  recoverMs: number;
  /** Payments/s. */
  limit: number;
}

/** Times CRYPTO_OPS signs, then as many recoveries, as the protocol does them (after a warm-up). */
function measureCrypto(): Crypto {
  const secret = secp256k1.utils.randomSecretKey();
  const signer = publicKeyToAddress(secp256k1.getPublicKey(secret, false));
  const digests = Array.from({ length: CRYPTO_OPS }, () =>
    bytesToHex(secp256k1.utils.randomSecretKey()),
  );
  for (const digest of digests.slice(0, 100)) recoverSigner(digest, signDigestSync(digest, secret));
  let started = performance.now();
  const signatures = digests.map((digest) => signDigestSync(digest, secret));
  const signMs = (performance.now() - started) / CRYPTO_OPS;
  started = performance.now();
  let wrong = 0;
  for (const [i, digest] of digests.entries()) {
    if (recoverSigner(digest, signatures[i] as string) !== signer) wrong++;
  }
  const recoverMs = (performance.now() - started) / CRYPTO_OPS;
  if (wrong > 0) throw new Error(`crypto limit: ${wrong} recoveries gave another address`);
  return { signMs, recoverMs, limit: cryptoLimit(CORES, signMs, recoverMs) };
}

function describeCrypto(crypto: Crypto): string {
  const us = (ms: number) => `${(ms * 1000).toFixed(0)} µs`;
  return (
    `crypto limit: ${crypto.limit.toFixed(1)} payments/s = ${CORES} cores / ` +
    `(${SIGNS_PER_PAYMENT} × sign ${us(crypto.signMs)} + ${RECOVERIES_PER_PAYMENT} × recover ` +
    `${us(crypto.recoverMs)}), ${CRYPTO_OPS} of each timed in the bench process ` +
    "(signDigestSync, recoverSigner)"
  );
}

/** The node's process: CPU since `since`, and memory now (after a full GC when `collect`). */
function sampleNode(since: NodeJS.CpuUsage, collect = false): NodeSample {
  const cpu = cpuMs(process.cpuUsage(since));
  const gcStarted = performance.now();
  if (collect) Bun.gc(true);
  const gcMs = collect ? performance.now() - gcStarted : undefined;
  const memory = process.memoryUsage();
  return {
    cpuMs: cpu,
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
    ...(gcMs === undefined ? {} : { gcMs }),
  };
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

  const profileDir = CPU_PROF ? `${CPU_PROF}/clients` : undefined;
  const driver = await ClientDriver.start(
    progress,
    profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [],
  );
  cleanups.push(() => driver.stop());
  await driver.setup(stack.node.httpUrl, stack.anvil.rpcUrl, accounts, MAX_PAIRS);
  return driver;
}

/** Services and a node for `configuration`, and the client driver, set up and warmed up. */
async function startConfiguration(configuration: Configuration): Promise<ClientDriver> {
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
  return driver;
}

async function benchConfiguration(configuration: Configuration, crypto: Crypto): Promise<string> {
  const driver = await startConfiguration(configuration);
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const count of PAIR_COUNTS) {
    const cpuBefore = process.cpuUsage();
    const summary = await driver.run(count, SECONDS);
    const node = sampleNode(cpuBefore);
    if (interrupted) await interrupted;
    rows.push(routedRow(summary, node, crypto.limit));
    progress(
      `${count} pairs: ${summary.completed} completed, ${failureCount(summary)} failed, ` +
        `CPU ms/payment node ${perPayment(node.cpuMs, summary.completed)}, ` +
        `clients ${perPayment(summary.clientCpuMs, summary.completed)}`,
    );
    for (const [reason, times] of summary.failures) {
      notes.push(`  ${count} pairs: ${times} × ${reason}`);
    }
  }
  await cleanUp();

  const date = new Date().toISOString().slice(0, 10);
  return [
    `routed payments — ${configuration.title}, ${date}, ${CORES} cores`,
    formatTable(ROUTED_HEADER, rows),
    `clients: 1 separate process (${2 * MAX_PAIRS} ConnextClients); the node runs in the bench process`,
    `${CPU_NOTE}; node RSS at the end of each run`,
    describeCrypto(crypto),
    ...(notes.length > 0 ? ["failures:", ...notes] : []),
  ].join("\n");
}

/** `--duration`: the soak, on the embedded configuration. */
async function soak(minutes: number, crypto: Crypto): Promise<string> {
  const configuration = CONFIGURATIONS[0] as Configuration;
  const driver = await startConfiguration(configuration);
  let rate = SOAK_RATE;
  if (rate === undefined) {
    const peak = await driver.run(SOAK_PAIRS, SECONDS);
    const peakRate = peak.completed / (peak.wallMs / 1000);
    rate = peakRate / 2;
    progress(
      `peak (closed loop, ${SOAK_PAIRS} pairs, ${SECONDS} s): ${peakRate.toFixed(1)} payments/s, ` +
        `${failureCount(peak)} failed; soak rate: half, ${rate.toFixed(1)} payments/s`,
    );
  }
  console.log(
    `\nsoak: ${minutes} min at ${rate.toFixed(1)} payments/s offered (open loop, ` +
      `${SOAK_PAIRS} pairs round-robin), ${configuration.title}; latency from each payment's ` +
      "scheduled start; node memory after a full GC",
  );
  const rows: string[][] = [];
  const samples: NodeSample[] = [];
  let cpuBefore = process.cpuUsage();
  const summary = await driver.soak(SOAK_PAIRS, minutes, rate, (minute: MinuteSummary) => {
    const node = sampleNode(cpuBefore, true);
    cpuBefore = process.cpuUsage();
    samples.push(node);
    const row = soakRow(minute, node);
    rows.push(row);
    // Each minute as it ends: the header once, then the row, aligned to the header's widths.
    if (rows.length === 1) console.log(formatTable(SOAK_HEADER, []));
    console.log(formatTable(SOAK_HEADER, [row]).split("\n")[1]);
    for (const [reason, times] of minute.failures) console.log(`  ${times} × ${reason}`);
  });
  if (interrupted) await interrupted;
  await cleanUp();
  const seconds = summary.wallMs / 1000;
  const notes = [...summary.failures].map(([reason, times]) => `  ${times} × ${reason}`);
  const first = samples[0];
  const last = samples.at(-1);
  return [
    `soak — ${configuration.title}, ${new Date().toISOString().slice(0, 10)}, ${CORES} cores, ` +
      `${minutes} min at ${rate.toFixed(1)} payments/s offered, ${SOAK_PAIRS} pairs`,
    formatTable(SOAK_HEADER, rows),
    `total: ${summary.completed} completed (${(summary.completed / seconds).toFixed(1)}/s, ` +
      `${ofLimit(summary.completed / seconds, crypto.limit)} of the crypto limit), ` +
      `${failureCount(summary)} failed, client CPU ` +
      `${perPayment(summary.clientCpuMs, summary.completed)} ms/payment`,
    first && last ? memoryGrowth(first, last, samples.length) : "memory: no minute completed",
    `${CPU_NOTE}; node memory sampled after Bun.gc(true) at each minute's end`,
    describeCrypto(crypto),
    ...(notes.length > 0 ? ["failures:", ...notes] : []),
  ].join("\n");
}

async function main(): Promise<number> {
  // The backend the node and the clients use (native libsecp256k1 when installed), timed here.
  const choice = await useFastestSecp256k1();
  const crypto = measureCrypto();
  console.log(
    `${describeCrypto(crypto)}; secp256k1: ${"library" in choice ? `libsecp256k1 (${choice.library})` : `noble (${choice.reason})`}`,
  );
  if (SOAK_MINUTES !== undefined) {
    try {
      const report = await soak(SOAK_MINUTES, crypto);
      console.log(`\n${machine()}\n`);
      console.log(report);
      return 0;
    } catch (error) {
      if (interrupted) await interrupted;
      await cleanUp();
      console.error(`soak FAILED: ${(error as Error).stack ?? error}`);
      return 1;
    }
  }
  console.log(
    `routed-payment benchmark: ${SECONDS} s per run, pairs ${PAIR_COUNTS.join("/")}, ` +
      `${formatEther(AMOUNT)} ETH per payment, completion timeout ${COMPLETION_TIMEOUT_MS / 1000} s`,
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
      tables.push(await benchConfiguration(configuration, crypto));
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
