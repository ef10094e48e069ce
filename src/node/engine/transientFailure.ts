import { isProtocolError } from "../../protocol/errors";
import { isTransient } from "../chain/rpcErrors";
import { isNodeError } from "./errors";

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
  // A user's answer is a decision, not an outage, whatever its words ("…timeout…").
  if (isNodeError(error) && error.code === "PEER_REJECTED") return false;
  if (isProtocolError(error)) return false;
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === "string" && DATABASE_CONNECTION_CODES.has(code)) return true;
  return isTransient(error);
}
