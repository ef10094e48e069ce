/** @jsxImportSource hono/jsx */
import { getAddress } from "ethers";
import type { Context, Hono } from "hono";
import type { FC } from "hono/jsx";
import type { ChannelRow, ChannelSort } from "../../store/reports";
import type { NodePublicConfig } from "../types";
import type { DashboardEnv } from "./auth";
import { Address, Amount, PaymentsTable, Status } from "./components";
import { csvResponse, csvRow } from "./csv";
import { assetName, isAddress, metaText, time } from "./format";
import { Csrf, Layout } from "./layout";
import type { DashboardDeps } from "./types";

const PAGE = 25;
const UPDATES_PAGE = 20;
const SORTS: Record<ChannelSort, string> = {
  updated: "last update",
  nonce: "nonce",
  address: "address",
};

type Ctx = Context<DashboardEnv>;

function pageNumber(text: string | undefined): number {
  const n = Number(text ?? "1");
  return Number.isSafeInteger(n) && n >= 1 ? n : 1;
}

const Balances: FC<{ row: ChannelRow; config: NodePublicConfig; side: "node" | "user" }> = ({
  row,
  config,
  side,
}) => (
  <>
    {row.assets.length === 0 ? (
      <span class="muted">—</span>
    ) : (
      row.assets.map((asset) => (
        <div>
          <Amount value={asset[side]} assetId={asset.assetId} config={config} />
        </div>
      ))
    )}
  </>
);

/** Channels: search, sort, pages, CSV; a channel's page with its history and actions. */
export function channelRoutes(app: Hono<DashboardEnv>, deps: DashboardDeps): void {
  app.get("/dashboard/channels", async (c: Ctx) => {
    const config = deps.config();
    const q = (c.req.query("q") ?? "").trim().slice(0, 100);
    const sortParam = c.req.query("sort") ?? "updated";
    const sort: ChannelSort = sortParam in SORTS ? (sortParam as ChannelSort) : "updated";
    const page = pageNumber(c.req.query("page"));
    const { rows, total } = await deps.reports.channelsPage({
      ...(q ? { search: q } : {}),
      sort,
      offset: (page - 1) * PAGE,
      limit: PAGE,
    });
    const link = (p: number) =>
      `/dashboard/channels?${new URLSearchParams({ q, sort, page: String(p) })}`;
    const pages = Math.max(1, Math.ceil(total / PAGE));
    return c.html(
      <Layout title="Channels" csrf={c.get("session").csrf} current="/dashboard/channels">
        <h2>Channels</h2>
        <form method="get" action="/dashboard/channels" class="filters">
          <label>
            User or channel address
            <input type="search" name="q" value={q} placeholder="0x…" />
          </label>
          <label>
            Sort by
            <select name="sort">
              {Object.entries(SORTS).map(([value, label]) => (
                <option value={value} selected={value === sort}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          <button type="submit">Search</button>
          <a
            href={`/dashboard/channels.csv?${new URLSearchParams({ q })}`}
            class="csv"
            id="channels-csv"
          >
            CSV
          </a>
        </form>
        <div class="scroll">
          <table class="striped" id="channels">
            <thead>
              <tr>
                <th>channel</th>
                <th>user</th>
                <th class="num">nonce</th>
                <th class="num">node's balance</th>
                <th class="num">user's balance</th>
                <th>last update (UTC)</th>
              </tr>
            </thead>
            <tbody>
              {rows.length === 0 ? (
                <tr>
                  <td colspan={6} class="muted">
                    no channels{q ? ` matching "${q}"` : ""}
                  </td>
                </tr>
              ) : (
                rows.map((row) => (
                  <tr>
                    <td>
                      <Address value={row.address} href={`/dashboard/channels/${row.address}`} />
                    </td>
                    <td>
                      <Address value={row.bob} />
                    </td>
                    <td class="num">{row.nonce}</td>
                    <td class="num">
                      <Balances row={row} config={config} side="node" />
                    </td>
                    <td class="num">
                      <Balances row={row} config={config} side="user" />
                    </td>
                    <td>{time(row.updatedAt)}</td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
        </div>
        <nav class="pager">
          <span>{page > 1 ? <a href={link(page - 1)}>← previous</a> : null}</span>
          <span class="muted">
            page {page} of {pages} · {total} channels
          </span>
          <span>{page < pages ? <a href={link(page + 1)}>next →</a> : null}</span>
        </nav>
      </Layout>,
    );
  });

  app.get("/dashboard/channels.csv", (c: Ctx) => {
    const q = (c.req.query("q") ?? "").trim().slice(0, 100);
    let after: string | undefined;
    let done = false;
    return csvResponse(
      "channels.csv",
      [
        "channel_address",
        "user",
        "nonce",
        "updated_at",
        "asset_id",
        "node_balance",
        "user_balance",
        "node_processed_deposits",
        "user_processed_deposits",
      ],
      async () => {
        if (done) return undefined;
        const rows = await deps.reports.channelsAfter(after, 500, q || undefined);
        if (rows.length < 500) done = true;
        after = rows.at(-1)?.address;
        return rows.flatMap((row) => {
          const base = [row.address, row.bob, String(row.nonce), row.updatedAt.toISOString()];
          if (row.assets.length === 0) return [csvRow([...base, "", "", "", "", ""])];
          return row.assets.map((a) =>
            csvRow([
              ...base,
              a.assetId,
              a.node.toString(10),
              a.user.toString(10),
              a.processedNode.toString(10),
              a.processedUser.toString(10),
            ]),
          );
        });
      },
    );
  });

  app.get("/dashboard/channels/:address", async (c: Ctx) => {
    const address = c.req.param("address") ?? "";
    if (!isAddress(address)) return c.notFound();
    const channel = await deps.reports.channel(address);
    if (!channel) {
      return c.html(
        <Layout title="No such channel" csrf={c.get("session").csrf}>
          <h2>No channel {address}</h2>
          <p>
            <a href="/dashboard/channels">All channels</a>
          </p>
        </Layout>,
        404,
      );
    }
    return c.html(
      <Layout
        title={`Channel ${channel.address}`}
        csrf={c.get("session").csrf}
        current="/dashboard/channels"
      >
        <ChannelPage
          channel={channel}
          deps={deps}
          csrf={c.get("session").csrf}
          page={pageNumber(c.req.query("updates"))}
          notice={c.req.query("notice")}
        />
      </Layout>,
    );
  });

  app.post("/dashboard/channels/:address/:action{topup|reclaim}", async (c: Ctx) => {
    const address = c.req.param("address") ?? "";
    const action = c.req.param("action");
    const channel = isAddress(address) ? await deps.reports.channel(address) : undefined;
    if (!channel) return c.notFound();
    const body = await c.req.parseBody();
    const assetId = typeof body.assetId === "string" ? body.assetId : "";
    if (!isAddress(assetId)) return c.text("assetId must be an address", 400);
    let notice: string;
    try {
      if (action === "topup") {
        await deps.topUp(channel.bob, getAddress(assetId));
        notice = `Topped up ${assetName(assetId, deps.config())} to its target.`;
      } else {
        const done = await deps.reclaim(channel.bob, getAddress(assetId));
        notice = done
          ? `Reclaimed ${assetName(assetId, deps.config())} above its target.`
          : "Nothing to reclaim: the node holds no more than the target.";
      }
    } catch (error) {
      notice = `Failed: ${error instanceof Error ? error.message : String(error)}`.slice(0, 300);
    }
    return c.redirect(
      `/dashboard/channels/${channel.address}?${new URLSearchParams({ notice })}`,
      303,
    );
  });
}

const ChannelPage = async ({
  channel,
  deps,
  csrf,
  page,
  notice,
}: {
  channel: ChannelRow;
  deps: DashboardDeps;
  csrf: string;
  page: number;
  notice: string | undefined;
}) => {
  const config = deps.config();
  const [updates, active, payments, transactions, dispute, deposits] = await Promise.all([
    deps.reports.channelUpdates(channel.address, (page - 1) * UPDATES_PAGE, UPDATES_PAGE),
    deps.reports.activeTransfers(channel.address),
    deps.reports.paymentsOfUser(channel.bob, 50),
    deps.reports.transactionsPage({ channelAddress: channel.address, limit: 50 }),
    deps.reports.dispute(channel.address),
    Promise.all(
      channel.assets.map(async (asset) => {
        try {
          return await deps.chainDeposits?.(channel.address, asset.assetId);
        } catch {
          return undefined;
        }
      }),
    ),
  ]);
  const pages = Math.max(1, Math.ceil(updates.total / UPDATES_PAGE));
  const assets = new Set([...channel.assets.map((a) => a.assetId), ...config.supportedAssets]);
  const policies = deps.collateral.list();
  return (
    <>
      <h2>
        Channel <span class="mono">{channel.address}</span>
      </h2>
      {notice ? (
        <p role="status" class={notice.startsWith("Failed") ? "error" : undefined}>
          {notice}
        </p>
      ) : null}
      <dl class="grid">
        <div>
          <dt>user</dt>
          <dd class="mono">{channel.bob}</dd>
        </div>
        <div>
          <dt>nonce</dt>
          <dd data-stat="nonce">{channel.nonce}</dd>
        </div>
        <div>
          <dt>dispute timeout</dt>
          <dd>{channel.timeout} s</dd>
        </div>
        <div>
          <dt>dispute</dt>
          <dd>
            {dispute === undefined ? (
              "none"
            ) : dispute.resumedRound === null ? (
              <strong class="error">in dispute since block {dispute.firstBlock}</strong>
            ) : (
              `resumed after the dispute of block ${dispute.firstBlock}`
            )}
          </dd>
        </div>
      </dl>

      <h3>Latest state</h3>
      <div class="scroll">
        <table class="striped">
          <thead>
            <tr>
              <th>asset</th>
              <th class="num">node</th>
              <th class="num">user</th>
              <th class="num">node's deposits (channel / chain)</th>
              <th class="num">user's deposits (channel / chain)</th>
              <th>collateral</th>
            </tr>
          </thead>
          <tbody>
            {[...assets].map((assetId) => {
              const i = channel.assets.findIndex(
                (a) => a.assetId.toLowerCase() === assetId.toLowerCase(),
              );
              const asset = channel.assets[i];
              const chain = i === -1 ? undefined : deposits[i];
              const policy = policies[assetId.toLowerCase()];
              return (
                <tr data-asset={assetId.toLowerCase()}>
                  <td>{assetName(assetId, config)}</td>
                  <td class="num" data-balance="node" data-value={(asset?.node ?? 0n).toString(10)}>
                    <Amount value={asset?.node ?? 0n} assetId={assetId} config={config} />
                  </td>
                  <td class="num">
                    <Amount value={asset?.user ?? 0n} assetId={assetId} config={config} />
                  </td>
                  <td class="num">
                    <Amount value={asset?.processedNode ?? 0n} assetId={assetId} config={config} />{" "}
                    /{" "}
                    {chain ? <Amount value={chain.alice} assetId={assetId} config={config} /> : "—"}
                  </td>
                  <td class="num">
                    <Amount value={asset?.processedUser ?? 0n} assetId={assetId} config={config} />{" "}
                    / {chain ? <Amount value={chain.bob} assetId={assetId} config={config} /> : "—"}
                  </td>
                  <td>
                    {policy ? (
                      <>
                        <form
                          method="post"
                          action={`/dashboard/channels/${channel.address}/topup`}
                          class="inline"
                        >
                          <Csrf token={csrf} />
                          <input type="hidden" name="assetId" value={assetId} />
                          <button
                            type="submit"
                            class="small"
                            title="Deposit up to the asset's target"
                          >
                            Top up
                          </button>
                        </form>{" "}
                        <form
                          method="post"
                          action={`/dashboard/channels/${channel.address}/reclaim`}
                          class="inline"
                        >
                          <Csrf token={csrf} />
                          <input type="hidden" name="assetId" value={assetId} />
                          <button
                            type="submit"
                            class="small secondary"
                            title="Withdraw what is above the target"
                          >
                            Reclaim
                          </button>
                        </form>
                      </>
                    ) : (
                      <span class="muted">no policy</span>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>

      <h3>Active transfers ({active.length})</h3>
      <div class="scroll">
        <table class="striped">
          <thead>
            <tr>
              <th>transfer</th>
              <th class="num">amount</th>
              <th>from</th>
              <th>created at nonce</th>
              <th>meta</th>
            </tr>
          </thead>
          <tbody>
            {active.length === 0 ? (
              <tr>
                <td colspan={5} class="muted">
                  none
                </td>
              </tr>
            ) : null}
            {active.map((t) => (
              <tr>
                <td>
                  <Address value={t.transferId} />
                </td>
                <td class="num">
                  <Amount value={t.initiatorAmount} assetId={t.assetId} config={config} />
                </td>
                <td>
                  <Address value={t.initiator} />
                </td>
                <td>{t.createdNonce}</td>
                <td class="mono meta">{metaText(t.meta)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <h3>Update history ({updates.total})</h3>
      <div class="scroll">
        <table class="striped" id="updates">
          <thead>
            <tr>
              <th class="num">nonce</th>
              <th>type</th>
              <th>asset</th>
              <th>stored (UTC)</th>
            </tr>
          </thead>
          <tbody>
            {updates.rows.map((u) => (
              <tr data-nonce={u.nonce}>
                <td class="num">{u.nonce}</td>
                <td>{u.type}</td>
                <td>{u.assetId ? assetName(u.assetId, config) : ""}</td>
                <td>{time(u.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <nav class="pager">
        <span>
          {page > 1 ? (
            <a href={`/dashboard/channels/${channel.address}?updates=${page - 1}`}>← newer</a>
          ) : null}
        </span>
        <span class="muted">
          page {page} of {pages}
        </span>
        <span>
          {page < pages ? (
            <a href={`/dashboard/channels/${channel.address}?updates=${page + 1}`}>older →</a>
          ) : null}
        </span>
      </nav>

      <h3>Payments of the user</h3>
      <PaymentsTable rows={payments} config={config} />

      <h3>On-chain transactions ({transactions.total})</h3>
      <div class="scroll">
        <table class="striped">
          <thead>
            <tr>
              <th>purpose</th>
              <th>status</th>
              <th>hash</th>
              <th>sent (UTC)</th>
              <th>error</th>
            </tr>
          </thead>
          <tbody>
            {transactions.rows.length === 0 ? (
              <tr>
                <td colspan={5} class="muted">
                  none sent for this channel
                </td>
              </tr>
            ) : null}
            {transactions.rows.map((t) => (
              <tr class={t.status === "failed" || t.status === "pending" ? t.status : undefined}>
                <td>{t.purpose}</td>
                <td>
                  <Status value={t.status} />
                </td>
                <td>{t.transactionHash ? <Address value={t.transactionHash} /> : "—"}</td>
                <td>{time(t.createdAt)}</td>
                <td>{t.error ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
};
