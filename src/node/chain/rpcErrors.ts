import type { Interface } from "ethers";

/**
 * Sorts what ethers and the RPC throw into what the sender does about it: retry, re-sync the
 * nonce, or give up. Nodes word the same condition differently, so messages are matched too.
 */

const TRANSIENT_CODES = new Set([
  // ethers
  "NETWORK_ERROR",
  "TIMEOUT",
  "SERVER_ERROR",
  // sockets (Node and Bun)
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ConnectionRefused",
  "ConnectionClosed",
  "UND_ERR_SOCKET",
]);
const TRANSIENT_TEXT =
  /rate limit|too many requests|timed? ?out|temporarily unavailable|header not found|socket hang up|connection (refused|reset|closed)|\b50[234]\b/i;
const NONCE_CODES = new Set(["NONCE_EXPIRED", "REPLACEMENT_UNDERPRICED", "TRANSACTION_REPLACED"]);
const NONCE_TEXT =
  /nonce too low|nonce has already been used|already known|already imported|replacement transaction/i;
const FUNDS_TEXT = /insufficient funds/i;

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  shortMessage?: unknown;
  data?: unknown;
  error?: ErrorLike;
  info?: { error?: ErrorLike };
  cause?: unknown;
}

function codeOf(error: unknown): string | undefined {
  const code = (error as ErrorLike | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}

/** The error's own message plus the RPC's, wherever ethers nested it. */
function textOf(error: unknown): string {
  const e = (error ?? {}) as ErrorLike;
  return [e.shortMessage, e.message, e.error?.message, e.info?.error?.message]
    .filter((part): part is string => typeof part === "string")
    .join(" | ");
}

export function isRevert(error: unknown): boolean {
  return codeOf(error) === "CALL_EXCEPTION";
}

export function isInsufficientFunds(error: unknown): boolean {
  return codeOf(error) === "INSUFFICIENT_FUNDS" || FUNDS_TEXT.test(textOf(error));
}

/** The nonce was taken, or a transaction with it is already in the pool. */
export function isNonceConflict(error: unknown): boolean {
  const code = codeOf(error);
  return (code !== undefined && NONCE_CODES.has(code)) || NONCE_TEXT.test(textOf(error));
}

/** Worth retrying after a pause: the RPC was unreachable, overloaded or timed out. */
export function isTransient(error: unknown): boolean {
  if (isRevert(error) || isNonceConflict(error) || isInsufficientFunds(error)) return false;
  const code = codeOf(error);
  if (code !== undefined && TRANSIENT_CODES.has(code)) return true;
  const cause = (error as ErrorLike | undefined)?.cause;
  if (cause && cause !== error && isTransient(cause)) return true;
  return TRANSIENT_TEXT.test(textOf(error));
}

/** A short message for logs and the transactions table. */
export function errorMessage(error: unknown): string {
  const e = (error ?? {}) as ErrorLike;
  const own = typeof e.shortMessage === "string" ? e.shortMessage : String(e.message ?? error);
  const rpc = e.error?.message ?? e.info?.error?.message;
  return typeof rpc === "string" && !own.includes(rpc) ? `${own}: ${rpc}` : own;
}

function revertData(error: unknown): string | undefined {
  const e = (error ?? {}) as ErrorLike;
  for (const data of [e.data, e.error?.data, e.info?.error?.data]) {
    if (typeof data === "string" && data.startsWith("0x") && data.length >= 10) return data;
  }
  return undefined;
}

/**
 * Names a revert with the first interface that knows its selector, e.g.
 * `WithdrawalAlreadyExecuted(0x12…)`; falls back to ethers' reason or the raw data.
 */
export function describeRevert(error: unknown, interfaces: readonly Interface[]): string {
  const data = revertData(error);
  if (data) {
    for (const iface of interfaces) {
      const parsed = parseErrorSafely(iface, data);
      if (parsed) return parsed;
    }
  }
  const reason = (error as { reason?: unknown }).reason;
  if (typeof reason === "string") return reason;
  return data ?? "no revert data";
}

function parseErrorSafely(iface: Interface, data: string): string | undefined {
  try {
    const parsed = iface.parseError(data);
    return parsed ? `${parsed.name}(${parsed.args.map(String).join(", ")})` : undefined;
  } catch {
    // A known selector with arguments that do not decode: not this interface's error.
    return undefined;
  }
}
