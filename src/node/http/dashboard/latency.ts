import type { Registry } from "prom-client";

export const LATENCY_METRIC = "connext_update_latency_seconds";

export interface LatencySummary {
  count: number;
  /** Seconds; undefined without observations. */
  p50?: number;
  p99?: number;
}

/** Cumulative counts per upper bound (seconds, +Inf last), over every update type and role. */
type Buckets = [bound: number, cumulative: number][];

async function readBuckets(registry: Registry): Promise<Buckets> {
  const metric = registry.getSingleMetric(LATENCY_METRIC);
  if (!metric) return [];
  const { values } = await metric.get();
  const buckets = new Map<number, number>();
  for (const value of values) {
    if ((value as { metricName?: string }).metricName !== `${LATENCY_METRIC}_bucket`) continue;
    const le = value.labels.le;
    const bound = le === "+Inf" ? Number.POSITIVE_INFINITY : Number(le);
    buckets.set(bound, (buckets.get(bound) ?? 0) + value.value);
  }
  return [...buckets.entries()].sort((a, b) => a[0] - b[0]);
}

function summarize(buckets: Buckets): LatencySummary {
  const count = buckets.at(-1)?.[1] ?? 0;
  if (count === 0) return { count: 0 };
  return { count, p50: quantile(buckets, count, 0.5), p99: quantile(buckets, count, 0.99) };
}

/**
 * p50 and p99 of the node's update latency since it started, over every update type and role,
 * estimated from the histogram's buckets as Prometheus' `histogram_quantile` does (linear
 * within a bucket).
 */
export async function updateLatency(registry: Registry): Promise<LatencySummary> {
  return summarize(await readBuckets(registry));
}

export interface LatencyPoint extends LatencySummary {
  /** The end of the minute it covers. */
  at: Date;
}

/**
 * Update latency over time: at most one point a minute, each the p50/p99 of the updates since
 * the point before, taken on the node's minute timer (node.ts) and whenever the dashboard's
 * overview refreshes. Keeps a day of points at most, so memory stays flat however long it runs.
 */
export class LatencyHistory {
  private last: { at: number; buckets: Buckets } | undefined;
  private readonly kept: LatencyPoint[] = [];

  constructor(
    private readonly registry: Registry,
    private readonly intervalMs = 60_000,
    private readonly maxPoints = 1_440,
  ) {}

  async sample(now: number): Promise<void> {
    if (this.last && now - this.last.at < this.intervalMs) return;
    const buckets = await readBuckets(this.registry);
    if (this.last) {
      const before = new Map(this.last.buckets);
      const delta: Buckets = buckets.map(([bound, n]) => [bound, n - (before.get(bound) ?? 0)]);
      this.kept.push({ at: new Date(now), ...summarize(delta) });
      if (this.kept.length > this.maxPoints) this.kept.splice(0, this.kept.length - this.maxPoints);
    }
    this.last = { at: now, buckets };
  }

  /** Points at or after `since`, oldest first. */
  since(since: Date): LatencyPoint[] {
    return this.kept.filter((point) => point.at >= since);
  }
}

function quantile(sorted: Buckets, count: number, q: number): number {
  const rank = q * count;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [bound, cumulative] of sorted) {
    if (cumulative >= rank) {
      // The +Inf bucket has no upper edge: the highest finite one is the best estimate.
      if (!Number.isFinite(bound)) return lowerBound;
      const inBucket = cumulative - lowerCount;
      return inBucket === 0
        ? bound
        : lowerBound + (bound - lowerBound) * ((rank - lowerCount) / inBucket);
    }
    lowerBound = bound;
    lowerCount = cumulative;
  }
  return lowerBound;
}
