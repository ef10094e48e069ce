/**
 * The node's broker configuration (its authenticator, with USER_LIMITS and NODE_LIMITS) in a
 * process of its own, for flood.test.ts: the process's memory is then the broker's alone, not
 * the test's clients'. Not part of the node.
 *
 * Environment: FLOOD_NODE_KEY (the node's private key, from which its messaging account derives) and
 * FLOOD_BUDGET (maxPendingBytesTotal). Over IPC it sends `{ port }` once it serves, and answers
 * `"stats"` with the broker's stats and its RSS (`"stats-gc"`: after a full collection).
 */
import { testMessagingCredentials } from "../../auth/testing";
import { startBroker } from "./index";

export interface FloodStats {
  connections: number;
  pendingBytes: number;
  peakPendingBytes: number;
  slowConsumers: number;
  rss: number;
}

const key = process.env.FLOOD_NODE_KEY;
const budget = Number(process.env.FLOOD_BUDGET);
if (key === undefined || !Number.isInteger(budget)) {
  throw new Error("floodBroker needs FLOOD_NODE_KEY and FLOOD_BUDGET");
}
const broker = await startBroker({
  host: "127.0.0.1",
  maxPendingBytesTotal: budget,
  authenticate: testMessagingCredentials(key).authenticate,
});

process.on("message", (message) => {
  if (message === "stats-gc") Bun.gc(true);
  if (message === "stats" || message === "stats-gc") {
    const stats: FloodStats = { ...broker.stats(), rss: process.memoryUsage().rss };
    process.send?.(stats);
  }
});
// The parent going away (IPC closed) ends this process.
process.on("disconnect", () => process.exit(0));
process.send?.({ port: broker.port });
