import { isTransient } from "../chain/rpcErrors";

/** postgres.js's codes for a connection lost or never made. */
const DATABASE_CONNECTION_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
]);

/**
 * Whether `error` says a service the node needs was away (the chain's RPC, the database), so
 * the work that failed is worth doing again later rather than given up: a payment waits for
 * its top-up instead of being refunded at once.
 */
export function isTransientFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === "string" && DATABASE_CONNECTION_CODES.has(code)) return true;
  return isTransient(error);
}
