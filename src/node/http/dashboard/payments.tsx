/** @jsxImportSource hono/jsx */
import type { Context, Hono } from "hono";
import type { PageCursor, PaymentFilter, PaymentStatusName } from "../../store/reports";
import { PAYMENT_STATUSES } from "../../store/schema";
import type { DashboardEnv } from "./auth";
import { Address, Amount, PaymentsTable, Status } from "./components";
import { csvResponse, csvRow } from "./csv";
import { assetName, isAddress, isBytes32, metaText, time } from "./format";
import { Layout } from "./layout";
import type { DashboardDeps } from "./types";

const PAGE = 50;
const CSV_PAGE = 500;

type Ctx = Context<DashboardEnv>;

interface ParsedFilter {
  filter: PaymentFilter;
  /** The query's own values, to refill the form and build links. */
  form: Record<"status" | "asset" | "user" | "from" | "to", string>;
  errors: string[];
}

/** `2026-12-05T12:00` (a datetime-local field), read as UTC. */
function parseTime(text: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?$/.test(text)) return undefined;
  const date = new Date(`${text.length === 10 ? `${text}T00:00` : text}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export function parsePaymentFilter(c: Ctx): ParsedFilter {
  const form = {
    status: c.req.query("status") ?? "",
    asset: c.req.query("asset") ?? "",
    user: (c.req.query("user") ?? "").trim(),
    from: c.req.query("from") ?? "",
    to: c.req.query("to") ?? "",
  };
  const filter: PaymentFilter = {};
  const errors: string[] = [];
  if (form.status) {
    if ((PAYMENT_STATUSES as readonly string[]).includes(form.status)) {
      filter.status = form.status as PaymentStatusName;
    } else errors.push(`status must be one of ${PAYMENT_STATUSES.join(", ")}`);
  }
  if (form.asset) {
    if (isAddress(form.asset)) filter.assetId = form.asset;
    else errors.push("asset must be an address");
  }
  if (form.user) {
    if (isAddress(form.user)) filter.user = form.user;
    else errors.push("user must be an address (0x and 40 hex digits)");
  }
  for (const key of ["from", "to"] as const) {
    if (!form[key]) continue;
    const date = parseTime(form[key]);
    if (date) filter[key] = date;
    else errors.push(`${key} must be a date and time (UTC)`);
  }
  return { filter, form, errors };
}

function parseCursor(text: string | undefined): PageCursor | undefined {
  if (!text) return undefined;
  const [createdAt, id] = text.split("_");
  if (!createdAt || !id || !isBytes32(id) || Number.isNaN(new Date(createdAt).getTime())) {
    return undefined;
  }
  return { createdAt, id };
}

/** Payments: filters, pages, look-up by id, a payment's page and the CSV export. */
export function paymentRoutes(app: Hono<DashboardEnv>, deps: DashboardDeps): void {
  app.get("/dashboard/payments", async (c: Ctx) => {
    const id = (c.req.query("id") ?? "").trim();
    if (id) {
      if (isBytes32(id)) return c.redirect(`/dashboard/payments/${id.toLowerCase()}`, 303);
    }
    const config = deps.config();
    const { filter, form, errors } = parsePaymentFilter(c);
    if (id) errors.push("a payment id is 0x and 64 hex digits");
    const cursor = parseCursor(c.req.query("after"));
    const page = errors.length
      ? { rows: [] }
      : await deps.reports.paymentsPage(filter, cursor, PAGE);
    const query = new URLSearchParams(Object.entries(form).filter(([, v]) => v !== ""));
    const nextLink = page.next
      ? `/dashboard/payments?${new URLSearchParams([...query, ["after", `${page.next.createdAt}_${page.next.id}`]])}`
      : undefined;
    return c.html(
      <Layout title="Payments" csrf={c.get("session").csrf} current="/dashboard/payments">
        <h2>Payments</h2>
        <form method="get" action="/dashboard/payments" class="filters">
          <label>
            Payment id
            <input type="search" name="id" placeholder="0x… (64 hex digits)" />
          </label>
          <button type="submit" class="secondary">
            Look up
          </button>
        </form>
        <form method="get" action="/dashboard/payments" class="filters" id="payment-filter">
          <label>
            Status
            <select name="status">
              <option value="">any</option>
              {PAYMENT_STATUSES.map((status) => (
                <option value={status} selected={form.status === status}>
                  {status}
                </option>
              ))}
            </select>
          </label>
          <label>
            Asset
            <select name="asset">
              <option value="">any</option>
              {config.supportedAssets.map((asset) => (
                <option value={asset} selected={form.asset.toLowerCase() === asset.toLowerCase()}>
                  {assetName(asset, config)}
                </option>
              ))}
            </select>
          </label>
          <label>
            User (sender or recipient)
            <input type="search" name="user" value={form.user} placeholder="0x…" />
          </label>
          <label>
            From (UTC)
            <input type="datetime-local" name="from" value={form.from} />
          </label>
          <label>
            To (UTC)
            <input type="datetime-local" name="to" value={form.to} />
          </label>
          <button type="submit">Filter</button>
          <a href={`/dashboard/payments.csv?${query}`} class="csv" id="payments-csv">
            CSV
          </a>
        </form>
        {errors.map((error) => (
          <p class="error">{error}</p>
        ))}
        <PaymentsTable rows={page.rows} config={config} id="payments" />
        <nav class="pager">
          <span>{cursor ? <a href={`/dashboard/payments?${query}`}>← newest</a> : null}</span>
          <span class="muted">{page.rows.length} shown</span>
          <span>{nextLink ? <a href={nextLink}>older →</a> : null}</span>
        </nav>
      </Layout>,
    );
  });

  app.get("/dashboard/payments.csv", (c: Ctx) => {
    const { filter, errors } = parsePaymentFilter(c);
    if (errors.length) return c.text(errors.join("; "), 400);
    let cursor: PageCursor | undefined;
    let done = false;
    return csvResponse(
      "payments.csv",
      [
        "payment_id",
        "created_at",
        "updated_at",
        "status",
        "asset_id",
        "amount",
        "sender",
        "recipient",
        "sender_transfer_id",
        "recipient_transfer_id",
        "error",
      ],
      async () => {
        if (done) return undefined;
        const page = await deps.reports.paymentsPage(filter, cursor, CSV_PAGE);
        cursor = page.next;
        if (!page.next) done = true;
        return page.rows.map((row) =>
          csvRow([
            row.paymentId,
            row.createdAt.toISOString(),
            row.updatedAt.toISOString(),
            row.status,
            row.assetId,
            row.amount.toString(10),
            row.sender,
            row.recipient,
            row.senderTransferId,
            row.recipientTransferId ?? "",
            row.error ?? "",
          ]),
        );
      },
    );
  });

  app.get("/dashboard/payments/:id", async (c: Ctx) => {
    const id = c.req.param("id") ?? "";
    const found = isBytes32(id) ? await deps.reports.paymentWithTransfers(id) : undefined;
    const csrf = c.get("session").csrf;
    if (!found) {
      return c.html(
        <Layout title="No such payment" csrf={csrf} current="/dashboard/payments">
          <h2>No payment {id.slice(0, 66)}</h2>
          <p>
            <a href="/dashboard/payments">All payments</a>
          </p>
        </Layout>,
        404,
      );
    }
    const config = deps.config();
    const { payment, transfers } = found;
    return c.html(
      <Layout title="Payment" csrf={csrf} current="/dashboard/payments">
        <h2>
          Payment <span class="mono">{payment.paymentId}</span>
        </h2>
        <dl class="grid">
          <div>
            <dt>status</dt>
            <dd>
              <Status value={payment.status} />
            </dd>
          </div>
          <div>
            <dt>amount</dt>
            <dd>
              <Amount value={payment.amount} assetId={payment.assetId} config={config} />
            </dd>
          </div>
          <div>
            <dt>from</dt>
            <dd>
              <Address value={payment.sender} href={`/dashboard/channels?q=${payment.sender}`} />
            </dd>
          </div>
          <div>
            <dt>to</dt>
            <dd>
              <Address
                value={payment.recipient}
                href={`/dashboard/channels?q=${payment.recipient}`}
              />
            </dd>
          </div>
        </dl>
        {payment.error ? <p class="error">{payment.error}</p> : null}
        <h3>Timeline (UTC)</h3>
        <ul>
          <li>{time(payment.createdAt)}: the payer's transfer reached the node, payment opened</li>
          {transfers[1] ? <li>{time(transfers[1].createdAt)}: forwarded to the payee</li> : null}
          {transfers[1]?.resolvedAt ? (
            <li>{time(transfers[1].resolvedAt)}: the payee's transfer resolved</li>
          ) : null}
          {transfers[0]?.resolvedAt ? (
            <li>{time(transfers[0].resolvedAt)}: the payer's transfer resolved</li>
          ) : null}
          <li>
            {time(payment.updatedAt)}: last change, now <Status value={payment.status} />
          </li>
        </ul>
        <h3>Transfers</h3>
        <div class="scroll">
          <table class="striped" id="payment-transfers">
            <thead>
              <tr>
                <th>side</th>
                <th>transfer</th>
                <th>channel</th>
                <th>status</th>
                <th class="num">amount</th>
                <th>nonces</th>
                <th>meta</th>
              </tr>
            </thead>
            <tbody>
              {transfers.map((t) => (
                <tr>
                  <td>{t.transferId === payment.senderTransferId ? "payer's" : "payee's"}</td>
                  <td>
                    <Address value={t.transferId} />
                  </td>
                  <td>
                    <Address
                      value={t.channelAddress}
                      href={`/dashboard/channels/${t.channelAddress}`}
                    />
                  </td>
                  <td>
                    <Status value={t.status} />
                  </td>
                  <td class="num">
                    <Amount value={t.initiatorAmount} assetId={t.assetId} config={config} />
                  </td>
                  <td>
                    {t.createdNonce}
                    {t.resolvedNonce ? ` → ${t.resolvedNonce}` : ""}
                  </td>
                  <td class="mono meta">{metaText(t.meta)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Layout>,
    );
  });
}
