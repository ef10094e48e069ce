/** @jsxImportSource hono/jsx */
import type { FC } from "hono/jsx";
import type { PaymentRow } from "../../store/reports";
import type { NodePublicConfig } from "../types";
import { assetName, shortAddress, shortUnits, time } from "./format";

/** An amount of an asset: the decimal amount, base units on hover. */
export const Amount: FC<{ value: bigint; assetId: string; config: NodePublicConfig }> = ({
  value,
  assetId,
  config,
}) => (
  <span title={`${value.toString(10)} base units`}>
    {shortUnits(value)} {assetName(assetId, config)}
  </span>
);

/** An address shortened, whole on hover, linking to its channel page when given one. */
export const Address: FC<{ value: string; href?: string }> = ({ value, href }) =>
  href ? (
    <a href={href} title={value} class="mono">
      {shortAddress(value)}
    </a>
  ) : (
    <span title={value} class="mono">
      {shortAddress(value)}
    </span>
  );

export const Status: FC<{ value: string }> = ({ value }) => (
  <span class={`status-${value}`}>{value}</span>
);

/** Payments as a table, newest first. */
export const PaymentsTable: FC<{ rows: PaymentRow[]; config: NodePublicConfig; id?: string }> = ({
  rows,
  config,
  id,
}) => (
  <div class="scroll">
    <table class="striped" id={id}>
      <thead>
        <tr>
          <th>created (UTC)</th>
          <th>payment</th>
          <th>status</th>
          <th class="num">amount</th>
          <th>from</th>
          <th>to</th>
          <th>error</th>
        </tr>
      </thead>
      <tbody>
        {rows.length === 0 ? (
          <tr>
            <td colspan={7} class="muted">
              no payments
            </td>
          </tr>
        ) : (
          rows.map((row) => (
            <tr
              class={row.status === "completed" ? undefined : row.status}
              data-payment={row.paymentId}
            >
              <td>{time(row.createdAt)}</td>
              <td>
                <a href={`/dashboard/payments/${row.paymentId}`} class="mono" title={row.paymentId}>
                  {shortAddress(row.paymentId)}
                </a>
              </td>
              <td>
                <Status value={row.status} />
              </td>
              <td class="num">
                <Amount value={row.amount} assetId={row.assetId} config={config} />
              </td>
              <td>
                <Address value={row.sender} href={`/dashboard/channels?q=${row.sender}`} />
              </td>
              <td>
                <Address value={row.recipient} href={`/dashboard/channels?q=${row.recipient}`} />
              </td>
              <td>{row.error ?? ""}</td>
            </tr>
          ))
        )}
      </tbody>
    </table>
  </div>
);
