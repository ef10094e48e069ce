/** @jsxImportSource hono/jsx */
import type { Context, Hono } from "hono";
import type { FC } from "hono/jsx";
import { CollateralPolicyError } from "../../engine/collateralPolicies";
import type { AssetBalances } from "../../store/reports";
import type { AdminCollateralPolicy, NodePublicConfig } from "../types";
import type { DashboardEnv } from "./auth";
import { Address, Amount } from "./components";
import { assetName, isAddress, percent, ratio } from "./format";
import { Csrf, Layout } from "./layout";
import type { DashboardDeps } from "./types";

type Ctx = Context<DashboardEnv>;

const AMOUNT = /^\d{1,78}$/;

const PolicyRow: FC<{
  assetId: string;
  policy: AdminCollateralPolicy;
  held: AssetBalances | undefined;
  config: NodePublicConfig;
  csrf: string;
  message?: string;
}> = ({ assetId, policy, held, config, csrf, message }) => {
  const id = `policy-${assetId.toLowerCase()}`;
  return (
    <tr id={id}>
      <td>
        {assetName(assetId, config)}
        <br />
        <small class="muted">
          <Address value={assetId} />
        </small>
      </td>
      <td class="policy">
        <form
          method="post"
          action={`/dashboard/collateral/${assetId}`}
          hx-post={`/dashboard/collateral/${assetId}`}
          hx-target={`#${id}`}
          hx-swap="outerHTML"
          class="policy-form"
        >
          <Csrf token={csrf} />
          <label>
            target <small class="muted">(base units)</small>
            <input name="target" value={policy.target.toString(10)} inputmode="numeric" required />
            <small>
              <Amount value={policy.target} assetId={assetId} config={config} />
            </small>
          </label>
          <label>
            reclaim above <small class="muted">(base units)</small>
            <input
              name="reclaimThreshold"
              value={policy.reclaimThreshold.toString(10)}
              inputmode="numeric"
              required
            />
            <small>
              <Amount value={policy.reclaimThreshold} assetId={assetId} config={config} />
            </small>
          </label>
          <button type="submit" class="small">
            Save
          </button>
          {message ? (
            <small role="status" class={message.startsWith("Saved") ? "up" : "error"}>
              {message}
            </small>
          ) : null}
        </form>
      </td>
      <td class="num">
        <Amount value={held?.node ?? 0n} assetId={assetId} config={config} />
        <br />
        <small class="muted">in {held?.channels ?? 0} channels</small>
      </td>
      <td class="num">
        <Amount value={held?.users ?? 0n} assetId={assetId} config={config} />
      </td>
      <td class="num">{held && held.users > 0n ? percent(ratio(held.node, held.users)) : "—"}</td>
    </tr>
  );
};

/** Collateral policies per asset, edited in place; the same storage as /admin/collateral. */
export function collateralRoutes(app: Hono<DashboardEnv>, deps: DashboardDeps): void {
  const held = async () =>
    new Map((await deps.reports.channelBalances()).map((b) => [b.assetId.toLowerCase(), b]));

  app.get("/dashboard/collateral", async (c: Ctx) => {
    const config = deps.config();
    const csrf = c.get("session").csrf;
    const balances = await held();
    const policies = Object.entries(deps.collateral.list()).sort(([a], [b]) => (a < b ? -1 : 1));
    return c.html(
      <Layout title="Collateral" csrf={csrf} current="/dashboard/collateral">
        <h2>Collateral</h2>
        <p class="muted">
          Before forwarding a payment the node deposits into the payee's channel what demand
          justifies, up to the asset's target; a channel holding more than the reclaim threshold
          gives the excess back. The ratio is the node's collateral over the users' balances.
        </p>
        <div class="scroll">
          <table class="striped" id="collateral">
            <thead>
              <tr>
                <th>asset</th>
                <th>policy: target and reclaim threshold</th>
                <th class="num">node's collateral</th>
                <th class="num">users' balances</th>
                <th class="num">ratio</th>
              </tr>
            </thead>
            <tbody>
              {policies.map(([assetId, policy]) => (
                <PolicyRow
                  assetId={assetId}
                  policy={policy}
                  held={balances.get(assetId)}
                  config={config}
                  csrf={csrf}
                />
              ))}
            </tbody>
          </table>
        </div>
      </Layout>,
    );
  });

  app.post("/dashboard/collateral/:assetId", async (c: Ctx) => {
    const assetId = (c.req.param("assetId") ?? "").toLowerCase();
    if (!isAddress(assetId)) return c.text("not an asset address", 400);
    const body = await c.req.parseBody();
    const target = typeof body.target === "string" ? body.target.trim() : "";
    const reclaim = typeof body.reclaimThreshold === "string" ? body.reclaimThreshold.trim() : "";
    let message: string;
    let status: 200 | 400 = 200;
    if (!AMOUNT.test(target) || !AMOUNT.test(reclaim)) {
      message = "Both must be whole numbers of base units.";
      status = 400;
    } else {
      try {
        await deps.collateral.set(assetId, {
          target: BigInt(target),
          reclaimThreshold: BigInt(reclaim),
        });
        message = "Saved.";
      } catch (error) {
        if (!(error instanceof CollateralPolicyError)) throw error;
        message = error.message;
        status = 400;
      }
    }
    if (c.req.header("HX-Request") === undefined) {
      return c.redirect("/dashboard/collateral", 303);
    }
    const policy = deps.collateral.list()[assetId];
    if (!policy) return c.text(message, status);
    const config = deps.config();
    // htmx swaps 200s only: a refusal comes back as 200 with its message in the row.
    return c.html(
      <PolicyRow
        assetId={assetId}
        policy={
          status === 200
            ? policy
            : {
                target: AMOUNT.test(target) ? BigInt(target) : policy.target,
                reclaimThreshold: AMOUNT.test(reclaim) ? BigInt(reclaim) : policy.reclaimThreshold,
              }
        }
        held={(await held()).get(assetId)}
        config={config}
        csrf={c.get("session").csrf}
        message={message}
      />,
    );
  });
}
