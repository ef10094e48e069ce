/** @jsxImportSource hono/jsx */
import type { Context, Hono } from "hono";
import { ONCHAIN_STATUSES } from "../../store/schema";
import type { DashboardEnv } from "./auth";
import { Address, Status } from "./components";
import { time } from "./format";
import { Layout } from "./layout";
import type { DashboardDeps } from "./types";

const PAGE = 50;

type Ctx = Context<DashboardEnv>;
type OnchainStatus = (typeof ONCHAIN_STATUSES)[number];

/** The node's on-chain transactions; failed and pending ones stand out. */
export function transactionRoutes(app: Hono<DashboardEnv>, deps: DashboardDeps): void {
  app.get("/dashboard/transactions", async (c: Ctx) => {
    const statusParam = c.req.query("status") ?? "";
    const status = (ONCHAIN_STATUSES as readonly string[]).includes(statusParam)
      ? (statusParam as OnchainStatus)
      : undefined;
    const pageParam = Number(c.req.query("page") ?? "1");
    const page = Number.isSafeInteger(pageParam) && pageParam >= 1 ? pageParam : 1;
    const { rows, total } = await deps.reports.transactionsPage({
      ...(status ? { status } : {}),
      offset: (page - 1) * PAGE,
      limit: PAGE,
    });
    const pages = Math.max(1, Math.ceil(total / PAGE));
    const link = (p: number) =>
      `/dashboard/transactions?${new URLSearchParams({ ...(status ? { status } : {}), page: String(p) })}`;
    return c.html(
      <Layout
        title="On-chain transactions"
        csrf={c.get("session").csrf}
        current="/dashboard/transactions"
      >
        <h2>On-chain transactions</h2>
        <form method="get" action="/dashboard/transactions" class="filters">
          <label>
            Status
            <select name="status">
              <option value="">any</option>
              {ONCHAIN_STATUSES.map((s) => (
                <option value={s} selected={s === status}>
                  {s}
                </option>
              ))}
            </select>
          </label>
          <button type="submit">Filter</button>
        </form>
        <div class="scroll">
          <table class="striped" id="transactions">
            <thead>
              <tr>
                <th class="num">#</th>
                <th>purpose</th>
                <th>status</th>
                <th>channel</th>
                <th>hash</th>
                <th class="num">nonce</th>
                <th class="num">attempts</th>
                <th class="num">gas used</th>
                <th>updated (UTC)</th>
                <th>error</th>
              </tr>
            </thead>
            <tbody>
              {rows.length === 0 ? (
                <tr>
                  <td colspan={10} class="muted">
                    no transactions
                  </td>
                </tr>
              ) : (
                rows.map((t) => (
                  <tr
                    class={t.status === "failed" || t.status === "pending" ? t.status : undefined}
                  >
                    <td class="num">{t.id}</td>
                    <td>{t.purpose}</td>
                    <td>
                      <Status value={t.status} />
                    </td>
                    <td>
                      {t.channelAddress ? (
                        <Address
                          value={t.channelAddress}
                          href={`/dashboard/channels/${t.channelAddress}`}
                        />
                      ) : (
                        "—"
                      )}
                    </td>
                    <td>{t.transactionHash ? <Address value={t.transactionHash} /> : "—"}</td>
                    <td class="num">{t.nonce ?? "—"}</td>
                    <td class="num">{t.attempts}</td>
                    <td class="num">{t.gasUsed ?? "—"}</td>
                    <td>{time(t.updatedAt)}</td>
                    <td>{t.error ?? ""}</td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
        </div>
        <nav class="pager">
          <span>{page > 1 ? <a href={link(page - 1)}>← newer</a> : null}</span>
          <span class="muted">
            page {page} of {pages} · {total} transactions
          </span>
          <span>{page < pages ? <a href={link(page + 1)}>older →</a> : null}</span>
        </nav>
      </Layout>,
    );
  });
}
