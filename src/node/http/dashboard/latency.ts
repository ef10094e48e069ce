import type { Registry } from "prom-client";

export const LATENCY_METRIC = "connext_update_latency_seconds";

export interface LatencySummary {
  count: number;
  /** Seconds; undefined without observations. */
  p50?: number;
  p99?: number;
}

/**
 * p50 and p99 of the node's update latency, over every update type and role, estimated from
 * the histogram's buckets as Prometheus' `histogram_quantile` does (linear within a bucket).
 */
export async function updateLatency(registry: Registry): Promise<LatencySummary> {
  const metric = registry.getSingleMetric(LATENCY_METRIC);
  if (!metric) return { count: 0 };
  const { values } = await metric.get();
  const buckets = new Map<number, number>();
  for (const value of values) {
    if ((value as { metricName?: string }).metricName !== `${LATENCY_METRIC}_bucket`) continue;
    const le = value.labels.le;
    const bound = le === "+Inf" ? Number.POSITIVE_INFINITY : Number(le);
    buckets.set(bound, (buckets.get(bound) ?? 0) + value.value);
  }
  const sorted = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
  const count = sorted.at(-1)?.[1] ?? 0;
  if (count === 0) return { count: 0 };
  return { count, p50: quantile(sorted, count, 0.5), p99: quantile(sorted, count, 0.99) };
}

function quantile(sorted: [number, number][], count: number, q: number): number {
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
