/** @jsxImportSource hono/jsx */
import type { FC } from "hono/jsx";

export interface Bar {
  /** The bucket's start. */
  start: Date;
  value: number;
}

const WIDTH = 600;
const HEIGHT = 140;
const TOP = 6;
const BOTTOM = 2;

/**
 * A bar chart as server-rendered SVG: one bar per bucket from `since` on, every `bucketMs`
 * (empty buckets included), the largest value and both ends labelled (in HTML: the SVG
 * stretches to the page's width). No script.
 */
export const BarChart: FC<{
  title: string;
  bars: Bar[];
  since: Date;
  bucketMs: number;
  buckets: number;
  format?: (value: number) => string;
}> = ({ title, bars, since, bucketMs, buckets, format }) => {
  const byBucket = new Map<number, number>();
  for (const bar of bars) {
    const index = Math.floor((bar.start.getTime() - since.getTime()) / bucketMs);
    if (index >= 0 && index < buckets) byBucket.set(index, (byBucket.get(index) ?? 0) + bar.value);
  }
  const max = Math.max(0, ...byBucket.values());
  const slot = WIDTH / buckets;
  const usable = HEIGHT - TOP - BOTTOM;
  const label = (date: Date) => date.toISOString().slice(11, 16);
  const show = format ?? ((value: number) => String(value));
  return (
    <figure>
      <figcaption>
        {title} <span class="muted">(max {show(max)})</span>
      </figcaption>
      <svg
        class="chart"
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={title}
      >
        <line x1="0" y1={HEIGHT - BOTTOM} x2={WIDTH} y2={HEIGHT - BOTTOM} />
        {[...byBucket.entries()].map(([index, value]) => {
          const h = max === 0 ? 0 : (value / max) * usable;
          return (
            <rect
              x={(index * slot + slot * 0.1).toFixed(1)}
              y={(HEIGHT - BOTTOM - h).toFixed(1)}
              width={(slot * 0.8).toFixed(1)}
              height={h.toFixed(1)}
            >
              <title>{`${label(new Date(since.getTime() + index * bucketMs))}: ${show(value)}`}</title>
            </rect>
          );
        })}
      </svg>
      <div class="axis muted">
        <small>{label(since)}</small>
        <small>{label(new Date(since.getTime() + buckets * bucketMs))} UTC</small>
      </div>
    </figure>
  );
};
