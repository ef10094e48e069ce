import type { OpenAPIHono } from "@hono/zod-openapi";
import { html } from "hono/html";
import { ASSETS } from "../dashboard/assets";
import { describe } from "../openapi";
import type { ApiDeps, ApiEnv } from "../types";

/** Names for the chains a node is likely to run on; any other shows its id. */
const CHAIN_NAMES: Record<number, string> = {
  1: "Ethereum",
  10: "OP Mainnet",
  137: "Polygon",
  8453: "Base",
  42161: "Arbitrum One",
  11155111: "Sepolia",
  31337: "local anvil",
};

export function chainName(chainId: number): string {
  const name = CHAIN_NAMES[chainId];
  return name === undefined ? `chain ${chainId}` : `${name} (${chainId})`;
}

/**
 * `GET /`: what a person opening the node's URL sees: which node, on which chain, and the
 * ways in (dashboard, wallet, API document). `html` escapes every value it interpolates.
 */
export function homeRoutes(app: OpenAPIHono<ApiEnv>, deps: Pick<ApiDeps, "config">): void {
  describe(app, {
    method: "get",
    path: "/",
    summary: "The landing page: the node, its chain, links to the dashboard and the wallet",
    responses: {
      200: {
        description: "an HTML page",
        content: { "text/html": { schema: { type: "string" } } },
      },
    },
  });
  app.get("/", (c) => {
    const { nodeIdentifier, chainId } = deps.config();
    return c.html(html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Connext node</title>
    <link rel="stylesheet" href="${ASSETS.pico}">
    <link rel="stylesheet" href="${ASSETS.css}">
  </head>
  <body>
    <main class="container">
      <h1>Connext node</h1>
      <dl>
        <dt>Node identifier</dt>
        <dd><code id="node-identifier">${nodeIdentifier}</code></dd>
        <dt>Chain</dt>
        <dd id="chain">${chainName(chainId)}</dd>
      </dl>
      <ul>
        <li><a href="/wallet">Wallet</a>: pay and get paid through this node</li>
        <li><a href="/dashboard">Dashboard</a>: for the node's operator</li>
        <li><a href="/openapi.json">HTTP API</a> (OpenAPI document)</li>
      </ul>
    </main>
  </body>
</html>
`);
  });
}
