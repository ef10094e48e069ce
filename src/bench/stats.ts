/** Summaries and a plain-text table for the benchmarks in this folder. */

/** The nearest-rank percentile (`p` in 0..100) of `values`; NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/** One run of routed payments, as a table row. */
export interface RunSummary {
  pairs: number;
  /** Payments that ended "completed". */
  completed: number;
  /** Wall time of the run, milliseconds. */
  wallMs: number;
  /** Latency of each completed payment, milliseconds. */
  latenciesMs: number[];
  /** Anything but "completed": a status ("pending", "cancelled"…) or an error, with counts. */
  failures: Map<string, number>;
  /** The client-driver process's CPU time over the run (user + system), milliseconds. */
  clientCpuMs?: number;
}

/** Left-aligned columns, two spaces apart, header first. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((cell, i) =>
    Math.max(cell.length, ...rows.map((row) => (row[i] ?? "").length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] as number))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

export function failureCount(summary: RunSummary): number {
  let total = 0;
  for (const count of summary.failures.values()) total += count;
  return total;
}

/** The row of the routed-payments table for one run. */
export function summaryRow(summary: RunSummary): string[] {
  const seconds = summary.wallMs / 1000;
  const ms = (value: number) => (Number.isNaN(value) ? "—" : value.toFixed(1));
  return [
    String(summary.pairs),
    String(summary.completed),
    seconds.toFixed(2),
    (summary.completed / seconds).toFixed(1),
    ms(percentile(summary.latenciesMs, 50)),
    ms(percentile(summary.latenciesMs, 99)),
    String(failureCount(summary)),
  ];
}

export const SUMMARY_HEADER = [
  "pairs",
  "payments",
  "seconds",
  "payments/s",
  "p50 ms",
  "p99 ms",
  "failed",
];

/** `npm run bench:threads`'s columns: a mode per row, and its rate over the routed rate. */
export const THREAD_HEADER = [
  "pairs",
  "mode",
  "count",
  "seconds",
  "per s",
  "p50 ms",
  "p99 ms",
  "failed",
  "× routed",
];

/** A thread-bench row: summaryRow's cells, the mode second, the ratio to `routedRate` last. */
export function threadRow(mode: string, summary: RunSummary, routedRate: number): string[] {
  const [pairs, ...rest] = summaryRow(summary);
  const rate = summary.completed / (summary.wallMs / 1000);
  const ratio = mode === "routed" || !(routedRate > 0) ? "" : `${(rate / routedRate).toFixed(1)}×`;
  return [pairs as string, mode, ...rest, ratio];
}

/* ------------------------------------------------------------------------------------------ */
/* CPU, memory and the crypto limit (npm run bench)                                            */
/* ------------------------------------------------------------------------------------------ */

/** User + system CPU time of a `process.cpuUsage()` reading (or delta), milliseconds. */
export function cpuMs(usage: { user: number; system: number }): number {
  return (usage.user + usage.system) / 1000;
}

/** CPU milliseconds per completed payment, two decimals; "—" when none completed. */
export function perPayment(ms: number | undefined, completed: number): string {
  return ms === undefined || completed === 0 ? "—" : (ms / completed).toFixed(2);
}

/** Bytes as mebibytes, `digits` decimals (none by default). */
export function mebibytes(bytes: number, digits = 0): string {
  return (bytes / 2 ** 20).toFixed(digits);
}

/** A routed payment's signature operations across all parties: 8 signs and 8 recoveries. */
export const SIGNS_PER_PAYMENT = 8;
export const RECOVERIES_PER_PAYMENT = 8;

/**
 * The crypto limit: payments/s that `cores` would reach if a payment cost nothing but its
 * signature operations, from the measured milliseconds of one sign and one recovery.
 */
export function cryptoLimit(cores: number, signMs: number, recoverMs: number): number {
  return (cores * 1000) / (SIGNS_PER_PAYMENT * signMs + RECOVERIES_PER_PAYMENT * recoverMs);
}

/** `rate` as a percentage of `limit`, one decimal; "—" without a limit. */
export function ofLimit(rate: number, limit: number): string {
  return limit > 0 && Number.isFinite(limit) ? `${((100 * rate) / limit).toFixed(1)} %` : "—";
}

/** What the bench process measures of itself (the node's process) over one run. */
export interface NodeSample {
  /** CPU time of the node's process over the run (or minute), milliseconds. */
  cpuMs: number;
  /** `process.memoryUsage().rss` at the end, bytes. */
  rssBytes: number;
  /** `process.memoryUsage().heapUsed` at the end, bytes. */
  heapUsedBytes: number;
  /** How long the full GC before the memory reading took, milliseconds (when there was one). */
  gcMs?: number;
}

/** `npm run bench`'s columns: SUMMARY_HEADER, then CPU, memory and the crypto limit. */
export const ROUTED_HEADER = [
  ...SUMMARY_HEADER,
  "node CPU ms/pay",
  "client CPU ms/pay",
  "node RSS MiB",
  "of crypto limit",
];

/** A row of `npm run bench`: summaryRow's cells, then CPU per payment, RSS, share of `limit`. */
export function routedRow(summary: RunSummary, node: NodeSample, limit: number): string[] {
  const rate = summary.completed / (summary.wallMs / 1000);
  return [
    ...summaryRow(summary),
    perPayment(node.cpuMs, summary.completed),
    perPayment(summary.clientCpuMs, summary.completed),
    mebibytes(node.rssBytes),
    ofLimit(rate, limit),
  ];
}

/** One minute of a soak (`npm run bench -- --duration N`), as the client driver reports it. */
export interface MinuteSummary {
  /** 1, 2, … */
  minute: number;
  /** Length of the interval, milliseconds (60,000 but for timer slack). */
  wallMs: number;
  /** Payments the schedule started in the interval. */
  offered: number;
  /** Payments that completed ("completed") in the interval. */
  completed: number;
  /** Latencies of those, from each payment's scheduled start, milliseconds. */
  latenciesMs: number[];
  failures: Map<string, number>;
  /** The client-driver process's CPU over the interval, milliseconds. */
  clientCpuMs: number;
}

export const SOAK_HEADER = [
  "minute",
  "offered/s",
  "completed/s",
  "p50 ms",
  "p99 ms",
  "failed",
  "node RSS MiB",
  "node heap MiB",
  "GC ms",
  "node CPU ms/pay",
  "client CPU ms/pay",
];

/** A soak minute's row: the client driver's counts and the node's sample at its end. */
export function soakRow(minute: MinuteSummary, node: NodeSample): string[] {
  const seconds = minute.wallMs / 1000;
  const ms = (value: number) => (Number.isNaN(value) ? "—" : value.toFixed(1));
  let failed = 0;
  for (const count of minute.failures.values()) failed += count;
  return [
    String(minute.minute),
    (minute.offered / seconds).toFixed(1),
    (minute.completed / seconds).toFixed(1),
    ms(percentile(minute.latenciesMs, 50)),
    ms(percentile(minute.latenciesMs, 99)),
    String(failed),
    mebibytes(node.rssBytes),
    mebibytes(node.heapUsedBytes),
    node.gcMs === undefined ? "—" : node.gcMs.toFixed(0),
    perPayment(node.cpuMs, minute.completed),
    perPayment(minute.clientCpuMs, minute.completed),
  ];
}

/** "a → b MiB (+d MiB, +p %)": how far `last` is from `first`. */
function growth(first: number, last: number): string {
  const delta = last - first;
  const sign = delta < 0 ? "−" : "+";
  const percent = first > 0 ? `, ${sign}${((100 * Math.abs(delta)) / first).toFixed(1)} %` : "";
  const mib = (bytes: number) => mebibytes(bytes, 1);
  return `${mib(first)} → ${mib(last)} MiB (${sign}${mib(Math.abs(delta))} MiB${percent})`;
}

/** The soak's closing line: the node's RSS and heap, first minute against last. */
export function memoryGrowth(first: NodeSample, last: NodeSample, minutes: number): string {
  return (
    `memory, minute 1 → minute ${minutes}: node RSS ${growth(first.rssBytes, last.rssBytes)}, ` +
    `heap used ${growth(first.heapUsedBytes, last.heapUsedBytes)}`
  );
}
