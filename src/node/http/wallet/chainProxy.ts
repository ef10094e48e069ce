import type { Hono } from "hono";
import { CallBudget } from "../callBudget";
import { clientAddress } from "../clientAddress";
import type { ApiEnv } from "../types";

/** What a wallet in a browser needs from the chain: reads, gas prices, and its own signed transactions. */
export const WALLET_RPC_METHODS: ReadonlySet<string> = new Set([
  "eth_chainId",
  "net_version",
  "eth_blockNumber",
  "eth_getBalance",
  "eth_getCode",
  "eth_getStorageAt",
  "eth_call",
  "eth_estimateGas",
  "eth_gasPrice",
  "eth_maxPriorityFeePerGas",
  "eth_feeHistory",
  "eth_getTransactionCount",
  "eth_getTransactionByHash",
  "eth_getTransactionReceipt",
  "eth_getBlockByNumber",
  "eth_getBlockByHash",
  "eth_getLogs",
  "eth_sendRawTransaction",
]);

/** Most calls in one batch: ethers' default (it batches what it sends within 10 ms). */
export const MAX_RPC_BATCH = 100;
const RPC_TIMEOUT_MS = 15_000;

interface RpcCall {
  jsonrpc?: unknown;
  id?: unknown;
  method?: unknown;
}

/**
 * `POST /wallet/rpc`: the node's chain (ETH_RPC_URL) on the page's own origin, for the wallet's
 * client (deposits, balances, dispute reads). A browser cannot reach a chain on the operator's
 * loopback, and a strict Content-Security-Policy (`connect-src 'self'`) keeps it to its origin.
 * Only the methods above pass: nothing that signs with the RPC's own accounts
 * (`eth_sendTransaction`, `eth_sign`) or changes the chain's state (`anvil_*`, `evm_*`).
 */
export function chainProxyRoutes(
  app: Hono<ApiEnv>,
  ethRpcUrl: string,
  // Generous for a wallet (two on one address poll well under it); bounds what a script costs.
  budget = new CallBudget(600, 100),
): void {
  app.post("/wallet/rpc", async (c) => {
    let body: unknown;
    try {
      body = JSON.parse(await c.req.text());
    } catch {
      return c.json(rpcError(null, -32700, "the body is not JSON"), 400);
    }
    const calls: RpcCall[] = Array.isArray(body) ? body : [body];
    if (calls.length === 0 || calls.length > MAX_RPC_BATCH) {
      return c.json(rpcError(null, -32600, `a batch holds 1 to ${MAX_RPC_BATCH} calls`), 400);
    }
    if (!budget.take(clientAddress(c), calls.length)) {
      return c.json(rpcError(null, -32005, "too many calls from this address: slow down"), 429);
    }
    for (const call of calls) {
      if (typeof call !== "object" || call === null || typeof call.method !== "string") {
        return c.json(rpcError(null, -32600, "each call needs a method"), 400);
      }
      if (!WALLET_RPC_METHODS.has(call.method)) {
        const refusal = rpcError(
          call.id ?? null,
          -32601,
          `${call.method} is not available through the node`,
        );
        return c.json(Array.isArray(body) ? [refusal] : refusal, 403);
      }
    }
    const upstream = await fetch(ethRpcUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(RPC_TIMEOUT_MS),
    }).catch(() => undefined);
    if (upstream === undefined) {
      return c.json(rpcError(null, -32603, "the chain did not answer"), 502);
    }
    return new Response(await upstream.text(), {
      status: upstream.status,
      headers: { "Content-Type": "application/json", "Cache-Control": "no-store" },
    });
  });
}

function rpcError(id: unknown, code: number, message: string) {
  return { jsonrpc: "2.0", id, error: { code, message } };
}
