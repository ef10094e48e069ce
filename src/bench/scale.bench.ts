// `npm run bench:scale`: routed payments through 1, 2 and 3 `connext-node start` processes
// with one key on one PostgreSQL and a 3-server NATS cluster (src/e2e/scale/scaleStack.ts:
// Debian's postgres and nats-server binaries; skipped with a notice when either is missing).
//
// The processes are started once; for the 1- and 2-process rows the others are stopped
// (SIGTERM) and started again for the next row. The clients' HTTP API is process 0's (sign-in,
// look-ups); their requests travel over the NATS cluster, where the processes share them as a
// queue group, so every running process routes payments.
//
// As `npm run bench` (routing.bench.ts): BENCH_PAIRS payer→payee pairs (default 16), each payer
// paying its payee one payment after another, all pairs at once, for BENCH_SECONDS (default
// 10) after BENCH_WARMUP_SECONDS (default 2) untimed; all clients in ONE separate process
// (clientDriver.ts, over IPC: driver.ts). Reported: completed payments per second of wall
// time, p50/p99 latency of `transfer` until "completed", failures, and CPU per completed
// payment: each node process's (its user + system time from /proc over the run), their sum,
// and the client-driver process's. Not counted: anvil, PostgreSQL, nats-server.
//
// Environment: BENCH_SECONDS, BENCH_WARMUP_SECONDS, BENCH_PAIRS (one count),
// BENCH_LOG_LEVEL (the node processes', default "error").
import { formatEther } from "ethers";
import type { NodeProcess } from "../e2e/scale/nodeProcesses";
import { type ScaleStack, startScaleStack } from "../e2e/scale/scaleStack";
import { productionBackendMissing } from "../e2e/stack";
import type { BenchAccount } from "./accounts";
import { loudNotice, machine } from "./configurations";
import { AMOUNT, ClientDriver, COMPLETION_TIMEOUT_MS } from "./driver";
import { failureCount, formatTable, perPayment, SUMMARY_HEADER, summaryRow } from "./stats";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
const PAIRS = Number(process.env.BENCH_PAIRS ?? 16);
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? "error";
const PROCESS_COUNTS = [1, 2, 3];
const CORES = navigator.hardwareConcurrency;

const HEADER = [
  "processes",
  ...SUMMARY_HEADER,
  "node CPU ms/pay, each",
  "node CPU ms/pay, sum",
  "client CPU ms/pay",
];

function progress(message: string): void {
  console.log(`  · ${message}`);
}

/** Exactly the first `count` node processes running. */
async function runProcesses(nodes: NodeProcess[], count: number): Promise<void> {
  for (const node of nodes.slice(count)) if (node.running) await node.stop();
  for (const node of nodes.slice(0, count)) await node.start();
}

async function bench(scale: ScaleStack, driver: ClientDriver): Promise<string[][]> {
  const rows: string[][] = [];
  for (const count of PROCESS_COUNTS) {
    await runProcesses(scale.nodes, count);
    const running = scale.nodes.slice(0, count);
    if (WARMUP_SECONDS > 0) {
      const warmup = await driver.run(PAIRS, WARMUP_SECONDS);
      progress(`${count} processes: untimed warm-up, ${warmup.completed} payments`);
    }
    const cpuBefore = running.map((node) => node.cpuMs());
    const summary = await driver.run(PAIRS, SECONDS);
    const cpu = running.map((node, i) => node.cpuMs() - (cpuBefore[i] as number));
    const sum = cpu.reduce((a, b) => a + b, 0);
    rows.push([
      String(count),
      ...summaryRow(summary),
      cpu.map((ms) => perPayment(ms, summary.completed)).join(" / "),
      perPayment(sum, summary.completed),
      perPayment(summary.clientCpuMs, summary.completed),
    ]);
    progress(
      `${count} processes: ${summary.completed} completed, ${failureCount(summary)} failed, ` +
        `node CPU ms/payment ${perPayment(sum, summary.completed)}`,
    );
    for (const [reason, times] of summary.failures) progress(`  ${times} × ${reason}`);
  }
  return rows;
}

async function main(): Promise<number> {
  const missing = productionBackendMissing();
  if (missing) {
    console.log(loudNotice(["SKIPPED: npm run bench:scale", missing]));
    return 0;
  }
  console.log(
    `scale-out benchmark: ${SECONDS} s per run, ${PAIRS} pairs, ${formatEther(AMOUNT)} ETH per ` +
      `payment, completion timeout ${COMPLETION_TIMEOUT_MS / 1000} s`,
  );
  const scale = await startScaleStack({ processes: 3, logLevel: LOG_LEVEL });
  let driver: ClientDriver | undefined;
  try {
    progress(`3 node processes up; NATS cluster ${scale.nats.natsUrl}`);
    const wallets = await scale.wallets(2 * PAIRS);
    const accounts: BenchAccount[] = wallets.map((wallet, i) => ({
      privateKey: wallet.privateKey,
      address: wallet.address,
      label: `fresh ${i + 1}`,
    }));
    driver = await ClientDriver.start(progress);
    await driver.setup(
      (scale.nodes[0] as NodeProcess).httpUrl,
      scale.base.anvil.rpcUrl,
      accounts,
      PAIRS,
    );
    const rows = await bench(scale, driver);
    const date = new Date().toISOString().slice(0, 10);
    console.log(`\n${machine()}\n`);
    console.log(
      [
        `routed payments — connext-node processes on PostgreSQL + a 3-server NATS cluster, ${date}, ${CORES} cores`,
        formatTable(HEADER, rows),
        `clients: 1 separate process (${2 * PAIRS} ConnextClients), HTTP to process 0, messaging over the cluster`,
        "CPU: each node process's user + system time over the run (/proc), per completed payment; " +
          "anvil, PostgreSQL and the nats-servers are separate processes, not counted",
      ].join("\n"),
    );
    return 0;
  } catch (error) {
    console.error(`bench:scale FAILED: ${(error as Error).stack ?? error}`);
    return 1;
  } finally {
    await driver?.stop().catch(() => {});
    await scale.stop();
  }
}

process.exitCode = await main();
// Everything is stopped; should a library still hold a handle open, do not hang on it.
setTimeout(() => {
  console.error("a handle was still open 5 s after everything stopped: exiting anyway");
  process.exit();
}, 5_000).unref();
