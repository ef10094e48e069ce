/** @jsxImportSource hono/jsx */
import type { FC } from "hono/jsx";
import type { AssetBalances, PaymentRow, PeriodComparison, SeriesPoint } from "../../store/reports";
import type { NodePublicConfig } from "../types";
import { BarChart } from "./chart";
import { Address, Amount, PaymentsTable } from "./components";
import { assetName, change, percent, ratio, units } from "./format";
import {
  type LatencyHistory,
  type LatencyPoint,
  type LatencySummary,
  updateLatency,
} from "./latency";
import type { DashboardDeps } from "./types";

const PERIODS = [
  ["24 h", 86_400],
  ["7 days", 7 * 86_400],
  ["30 days", 30 * 86_400],
] as const;
const LATEST = 15;
const MINUTE = 60_000;

export interface OverviewData {
  now: Date;
  config: NodePublicConfig;
  periods: { label: string; stats: PeriodComparison }[];
  activity: { total: number; day: number; week: number };
  balances: AssetBalances[];
  onchain: { assetId: string; balance?: bigint }[];
  latency: LatencySummary;
  latest: PaymentRow[];
  /** Update latency per minute over the last hour, as sampled. */
  latencyHour: LatencyPoint[];
  hour: SeriesPoint[];
  day: SeriesPoint[];
}

/**
 * What the overview shows. `money` reads the node's on-chain balances too (RPC calls): the
 * whole page does, its 5-second refresh does not.
 */
export async function loadOverview(
  deps: DashboardDeps,
  history: LatencyHistory,
  money = true,
): Promise<OverviewData> {
  const now = new Date(deps.now?.() ?? Date.now());
  await history.sample(now.getTime());
  const config = deps.config();
  const hourStart = new Date(Math.floor(now.getTime() / MINUTE) * MINUTE - 59 * MINUTE);
  const dayStart = new Date(
    Math.floor(now.getTime() / (15 * MINUTE)) * 15 * MINUTE - 95 * 15 * MINUTE,
  );
  const [periods, activity, balances, latency, latest, onchain, hour, day] = await Promise.all([
    Promise.all(
      PERIODS.map(async ([label, seconds]) => ({
        label,
        stats: await deps.reports.paymentPeriod(now, seconds),
      })),
    ),
    deps.reports.channelActivity(now),
    deps.reports.channelBalances(),
    updateLatency(deps.registry),
    deps.reports.latestPayments(LATEST),
    Promise.all(
      (money ? config.supportedAssets : []).map(async (assetId) => {
        try {
          return { assetId, balance: await deps.onchainBalance(assetId) };
        } catch {
          return { assetId };
        }
      }),
    ),
    deps.reports.paymentSeries(hourStart, 60),
    deps.reports.paymentSeries(dayStart, 15 * 60),
  ]);
  const latencyHour = history.since(new Date(hourStart.getTime() + MINUTE));
  return {
    now,
    config,
    periods,
    activity,
    balances,
    onchain,
    latency,
    latest,
    latencyHour,
    hour,
    day,
  };
}

const Change: FC<{ current: number; previous: number }> = ({ current, previous }) => {
  const text = change(current, previous);
  const cls = current > previous ? "up" : current < previous ? "down" : "muted";
  return <small class={cls}>{text} vs the period before</small>;
};

const ms = (seconds: number | undefined) =>
  seconds === undefined ? "—" : `${(seconds * 1000).toFixed(seconds < 0.1 ? 1 : 0)} ms`;

/** The overview's live part: refreshed every 5 s by htmx (one GET, nothing kept per viewer). */
export const OverviewLive: FC<{ data: OverviewData }> = ({ data }) => {
  const { config, periods, activity, latency } = data;
  const assets = new Set<string>();
  for (const { stats } of periods) {
    for (const asset of Object.keys(stats.current.volume)) assets.add(asset);
    for (const asset of Object.keys(stats.previous.volume)) assets.add(asset);
  }
  const day = periods[0]?.stats;
  const failureRate = day && day.current.count > 0 ? day.current.failed / day.current.count : 0;
  const hourStart = new Date(Math.floor(data.now.getTime() / MINUTE) * MINUTE - 59 * MINUTE);
  const dayStart = new Date(
    Math.floor(data.now.getTime() / (15 * MINUTE)) * 15 * MINUTE - 95 * 15 * MINUTE,
  );
  return (
    <>
      <section class="cards">
        {periods.map(({ label, stats }) => (
          <article>
            <p class="muted">payments, {label}</p>
            <h3 data-stat={`payments-${stats.seconds}`} data-value={stats.current.count}>
              {stats.current.count}
            </h3>
            <Change current={stats.current.count} previous={stats.previous.count} />
          </article>
        ))}
        <article>
          <p class="muted">channels</p>
          <h3 data-stat="channels" data-value={activity.total}>
            {activity.total}
          </h3>
          <small>
            active: {activity.day} in 24 h, {activity.week} in 7 days
          </small>
        </article>
        <article>
          <p class="muted">failure rate, 24 h</p>
          <h3 data-stat="failure-rate">{percent(failureRate)}</h3>
          <small>
            {day?.current.failed ?? 0} failed or cancelled of {day?.current.count ?? 0}
          </small>
        </article>
        <article>
          <p class="muted">update latency</p>
          <h3>
            {ms(latency.p50)} <small>p50</small>
          </h3>
          <small>
            p99 {ms(latency.p99)} · {latency.count} updates since start
          </small>
        </article>
      </section>

      <h3>Volume (completed payments)</h3>
      <div class="scroll">
        <table class="striped">
          <thead>
            <tr>
              <th>asset</th>
              {periods.map(({ label }) => (
                <th class="num">{label}</th>
              ))}
              <th class="num">average payment, 24 h</th>
            </tr>
          </thead>
          <tbody>
            {assets.size === 0 ? (
              <tr>
                <td colspan={PERIODS.length + 2} class="muted">
                  no completed payments in 30 days
                </td>
              </tr>
            ) : (
              [...assets].map((asset) => {
                const dayVolume = day?.current.volume[asset] ?? 0n;
                const dayCount = day?.current.completedByAsset[asset] ?? 0;
                return (
                  <tr>
                    <td>{assetName(asset, config)}</td>
                    {periods.map(({ stats }) => {
                      const current = stats.current.volume[asset] ?? 0n;
                      const previous = stats.previous.volume[asset] ?? 0n;
                      return (
                        <td
                          class="num"
                          data-stat={`volume-${stats.seconds}-${asset.toLowerCase()}`}
                          data-value={current.toString(10)}
                        >
                          <Amount value={current} assetId={asset} config={config} />
                          <br />
                          <Change
                            current={Number(units(current))}
                            previous={Number(units(previous))}
                          />
                        </td>
                      );
                    })}
                    <td class="num">
                      {dayCount === 0 ? (
                        "—"
                      ) : (
                        <Amount
                          value={dayVolume / BigInt(dayCount)}
                          assetId={asset}
                          config={config}
                        />
                      )}
                    </td>
                  </tr>
                );
              })
            )}
          </tbody>
        </table>
      </div>

      <div class="grid">
        <BarChart
          title="Payments per minute, last hour"
          bars={data.hour.map((p) => ({ start: p.start, value: p.count }))}
          since={hourStart}
          bucketMs={MINUTE}
          buckets={60}
        />
        <BarChart
          title="Payments per 15 minutes, last day"
          bars={data.day.map((p) => ({ start: p.start, value: p.count }))}
          since={dayStart}
          bucketMs={15 * MINUTE}
          buckets={96}
        />
      </div>
      <div class="grid">
        <BarChart
          title="Update latency p50 per minute (ms), last hour"
          bars={data.latencyHour
            .filter((p) => p.p50 !== undefined)
            .map((p) => ({ start: new Date(p.at.getTime() - MINUTE), value: (p.p50 ?? 0) * 1000 }))}
          since={hourStart}
          bucketMs={MINUTE}
          buckets={60}
          format={(value) => `${value.toFixed(1)} ms`}
        />
        <BarChart
          title="Update latency p99 per minute (ms), last hour"
          bars={data.latencyHour
            .filter((p) => p.p99 !== undefined)
            .map((p) => ({ start: new Date(p.at.getTime() - MINUTE), value: (p.p99 ?? 0) * 1000 }))}
          since={hourStart}
          bucketMs={MINUTE}
          buckets={60}
          format={(value) => `${value.toFixed(1)} ms`}
        />
      </div>
      <p class="muted">
        <small>Latency per minute: the node takes a point each minute and keeps a day.</small>
      </p>
      <div class="grid charts">
        {[...new Set(data.hour.filter((p) => p.volume > 0n).map((p) => p.assetId))].map((asset) => (
          <BarChart
            title={`${assetName(asset, config)} volume per minute, last hour`}
            bars={data.hour
              .filter((p) => p.assetId === asset)
              .map((p) => ({ start: p.start, value: Number(units(p.volume)) }))}
            since={hourStart}
            bucketMs={MINUTE}
            buckets={60}
            format={(value) => `${value} ${assetName(asset, config)}`}
          />
        ))}
        {[...new Set(data.day.filter((p) => p.volume > 0n).map((p) => p.assetId))].map((asset) => (
          <BarChart
            title={`${assetName(asset, config)} volume per 15 minutes, last day`}
            bars={data.day
              .filter((p) => p.assetId === asset)
              .map((p) => ({ start: p.start, value: Number(units(p.volume)) }))}
            since={dayStart}
            bucketMs={15 * MINUTE}
            buckets={96}
            format={(value) => `${value} ${assetName(asset, config)}`}
          />
        ))}
      </div>

      <h3>Latest payments</h3>
      <PaymentsTable rows={data.latest} config={config} id="latest-payments" />
      <p class="muted">
        <small>Refreshed every 5 s · {data.now.toISOString().slice(11, 19)} UTC</small>
      </p>
    </>
  );
};

/** The node, its money, and the live part. */
export const Overview: FC<{ data: OverviewData }> = ({ data }) => {
  const { config, balances, onchain } = data;
  const inChannels = new Map(balances.map((b) => [b.assetId.toLowerCase(), b]));
  return (
    <>
      <h2>Overview</h2>
      <div class="grid">
        <article>
          <header>Node</header>
          <dl>
            <dt>identifier</dt>
            <dd class="mono" data-stat="node">
              {config.nodeIdentifier}
            </dd>
            <dt>chain id</dt>
            <dd>{config.chainId}</dd>
            <dt>messaging</dt>
            <dd class="mono">
              {config.messagingUrl}
              {config.messagingWsUrl ? ` · ${config.messagingWsUrl}` : ""}
            </dd>
            <dt>protocol version · deposit confirmations</dt>
            <dd>
              {config.protocolVersion} · {config.depositConfirmations ?? 1}
            </dd>
          </dl>
        </article>
        <article>
          <header>Contracts</header>
          <table>
            <tbody>
              {Object.entries(config.contractAddresses).map(([name, address]) => (
                <tr>
                  <td>{name}</td>
                  <td>
                    <Address value={address} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </article>
      </div>

      <h3>Money</h3>
      <div class="scroll">
        <table class="striped">
          <thead>
            <tr>
              <th>asset</th>
              <th class="num">node on-chain</th>
              <th class="num">node collateral in channels</th>
              <th class="num">users' balances</th>
              <th class="num">collateral ÷ users'</th>
            </tr>
          </thead>
          <tbody>
            {onchain.map(({ assetId, balance }) => {
              const held = inChannels.get(assetId.toLowerCase());
              return (
                <tr>
                  <td>{assetName(assetId, config)}</td>
                  <td class="num">
                    {balance === undefined ? (
                      <span class="muted">unavailable</span>
                    ) : (
                      <Amount value={balance} assetId={assetId} config={config} />
                    )}
                  </td>
                  <td class="num">
                    <Amount value={held?.node ?? 0n} assetId={assetId} config={config} />
                  </td>
                  <td class="num">
                    <Amount value={held?.users ?? 0n} assetId={assetId} config={config} />
                  </td>
                  <td class="num">
                    {held && held.users > 0n ? percent(ratio(held.node, held.users)) : "—"}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>

      <div id="live" hx-get="/dashboard/live/overview" hx-trigger="every 5s" hx-swap="innerHTML">
        <OverviewLive data={data} />
      </div>
    </>
  );
};
