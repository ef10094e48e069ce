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
