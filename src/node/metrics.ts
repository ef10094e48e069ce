import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export type UpdateType = "setup" | "deposit" | "create" | "resolve";
export type UpdateRole = "proposer" | "responder";

/** What the gauges read at scrape time: the database is the truth, not in-process counters. */
export interface MetricSources {
  /** Number of payments per status. */
  paymentsByStatus(): Promise<Record<string, number>>;
  /** Number of channels the node has. */
  channelCount(): Promise<number>;
  /** The node's collateral per asset (address), in the asset's base units. */
  collateral(): Promise<Record<string, bigint>>;
}

export interface Metrics {
  /** Its own registry, so several nodes (tests) in one process never collide. */
  registry: Registry;
  /** Seconds from proposing (or receiving) an update to having it doubly signed and stored. */
  updateLatency: Histogram<"type" | "role">;
  paymentsByStatus: Gauge<"status">;
  channelCount: Gauge;
  collateral: Gauge<"asset">;
  /** Payers' channels the node disputed because a paid payment was not settled in time. */
  payerDisputes: Counter;
  /** Until called, the labelled gauges report nothing and `channelCount` NaN. */
  setSources(sources: MetricSources): void;
}

/**
 * The node's Prometheus metrics, plus the default process metrics, on a new registry. A source
 * that fails leaves its gauge unknown for that scrape (no series; NaN for the unlabelled
 * `connext_channels`) and counts the failure, instead of failing the whole scrape.
 *
 * @example
 * const metrics = createMetrics();
 * metrics.setSources({ paymentsByStatus, channelCount, collateral });
 * const end = metrics.updateLatency.startTimer({ type: "create", role: "proposer" });
 * // ... propose, get the countersignature, persist
 * end();
 * await metrics.registry.metrics(); // Prometheus text
 */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  let sources: MetricSources | undefined;

  // Reads of this scrape still running; the error counter waits for them (see below).
  const inflight = new Set<Promise<void>>();
  function read<T>(source: keyof MetricSources, gauge: Gauge<string>, set: (v: T) => void) {
    const reading = readInto(source, gauge, set);
    inflight.add(reading);
    return reading.finally(() => inflight.delete(reading));
  }

  /** Runs one source for a scrape; on failure the gauge reports nothing this time. */
  async function readInto<T>(
    source: keyof MetricSources,
    gauge: Gauge<string>,
    set: (v: T) => void,
  ): Promise<void> {
    gauge.reset();
    // An unlabelled gauge always has a sample (0 after reset): unknown must not read as zero.
    if (source === "channelCount") gauge.set(Number.NaN);
    if (sources === undefined) return;
    let value: T;
    try {
      value = (await sources[source]()) as T;
    } catch {
      sourceErrors.inc({ source });
      return;
    }
    set(value);
  }

  const updateLatency = new Histogram({
    name: "connext_update_latency_seconds",
    help: "Time to complete a channel update, by update type and our role in it",
    labelNames: ["type", "role"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });

  const paymentsByStatus: Gauge<"status"> = new Gauge({
    name: "connext_payments",
    help: "Payments by status",
    labelNames: ["status"],
    registers: [registry],
    collect: () =>
      read<Record<string, number>>("paymentsByStatus", paymentsByStatus, (counts) => {
        for (const [status, count] of Object.entries(counts))
          paymentsByStatus.set({ status }, count);
      }),
  });

  const channelCount: Gauge = new Gauge({
    name: "connext_channels",
    help: "Channels the node has with its users",
    registers: [registry],
    collect: () => read<number>("channelCount", channelCount, (count) => channelCount.set(count)),
  });

  const collateral: Gauge<"asset"> = new Gauge({
    name: "connext_collateral",
    help: "The node's collateral per asset, in the asset's base units (a float: large values round)",
    labelNames: ["asset"],
    registers: [registry],
    collect: () =>
      read<Record<string, bigint>>("collateral", collateral, (amounts) => {
        for (const [asset, amount] of Object.entries(amounts)) {
          collateral.set({ asset }, Number(amount));
        }
      }),
  });

  const payerDisputes = new Counter({
    name: "connext_payer_disputes_total",
    help: "Payers' channels the node disputed because the payer did not settle in time a payment its payee was paid (SECURITY rule 23)",
    registers: [registry],
  });

  // Registered last: a scrape starts every collect in registration order, so by now this
  // scrape's reads are in `inflight`, and a failure shows in the same scrape.
  const sourceErrors = new Counter({
    name: "connext_metrics_source_errors_total",
    help: "Scrapes in which a metric's source failed (that metric was left empty)",
    labelNames: ["source"],
    registers: [registry],
    collect: async () => {
      await Promise.all(inflight);
    },
  });

  return {
    registry,
    updateLatency,
    paymentsByStatus,
    channelCount,
    collateral,
    payerDisputes,
    setSources(next) {
      sources = next;
    },
  };
}
