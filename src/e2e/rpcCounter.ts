/**
 * A JSON-RPC proxy on 127.0.0.1 that counts the calls passing through it by method (batches
 * counted call by call): what a test puts between the node and anvil to see how many chain
 * reads an attack costs the node.
 */
export interface RpcCounter {
  /** Give this to the node instead of anvil's URL. */
  url: string;
  /** Calls so far by method. */
  counts(): Record<string, number>;
  /** The sum over `methods` so far. */
  total(methods: string[]): number;
  stop(): Promise<void>;
}

export function startRpcCounter(upstream: () => string): RpcCounter {
  const counts: Record<string, number> = {};
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const body = await request.text();
      try {
        const parsed = JSON.parse(body) as { method?: string } | { method?: string }[];
        for (const call of Array.isArray(parsed) ? parsed : [parsed]) {
          const method = call.method ?? "?";
          counts[method] = (counts[method] ?? 0) + 1;
        }
      } catch {
        counts["?"] = (counts["?"] ?? 0) + 1;
      }
      const reply = await fetch(upstream(), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      return new Response(await reply.text(), {
        status: reply.status,
        headers: { "content-type": "application/json" },
      });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    counts: () => ({ ...counts }),
    total: (methods) => methods.reduce((sum, method) => sum + (counts[method] ?? 0), 0),
    stop: async () => {
      await server.stop(true);
    },
  };
}
