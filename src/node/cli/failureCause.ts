/**
 * Why a connection or a listener failed, in a few words, and what kind of failure it is:
 * - `unreachable`: nothing answered where the setting points (start it, then run again): exit 1;
 * - `refused`: it answered and refused, or the port is another's: the setting must change, exit 2;
 * - `other`: anything else, told by its message: exit 1.
 */
export interface FailureCause {
  text: string;
  kind: "unreachable" | "refused" | "other";
  /** The system error code it was told by (ECONNREFUSED, EADDRINUSE…), if any. */
  code?: string;
}

/** System error codes (Node's and Bun's, postgres.js's timeout) and what they mean here. */
const SYSTEM_CODES: Record<string, Omit<FailureCause, "code">> = {
  ECONNREFUSED: { text: "connection refused", kind: "unreachable" },
  ECONNRESET: { text: "connection reset", kind: "unreachable" },
  ENOTFOUND: { text: "host not found", kind: "unreachable" },
  EAI_AGAIN: { text: "host not found", kind: "unreachable" },
  ETIMEDOUT: { text: "timed out", kind: "unreachable" },
  CONNECT_TIMEOUT: { text: "timed out", kind: "unreachable" },
  EHOSTUNREACH: { text: "host unreachable", kind: "unreachable" },
  ENETUNREACH: { text: "network unreachable", kind: "unreachable" },
  EADDRINUSE: { text: "in use by another process", kind: "refused" },
  EADDRNOTAVAIL: { text: "address not available on this machine", kind: "refused" },
  EACCES: { text: "permission denied", kind: "refused" },
  EPERM: { text: "permission denied", kind: "refused" },
};

/** PostgreSQL's SQLSTATE classes that mean the server refused this login or database. */
const REFUSING_SQLSTATES = [/^28/, /^3D000$/, /^42501$/];

/** The innermost recognisable cause of `error` (its `cause` chain, wrappers like drizzle's first). */
export function describeCause(error: unknown): FailureCause {
  const chain = causeChain(error);
  for (const link of chain) {
    const code = (link as { code?: unknown }).code;
    const known = typeof code === "string" ? SYSTEM_CODES[code] : undefined;
    if (known) return { ...known, code: code as string };
    if (link instanceof Error && link.name === "PostgresError" && typeof code === "string") {
      const refused = REFUSING_SQLSTATES.some((pattern) => pattern.test(code));
      return { text: firstLine(link.message), kind: refused ? "refused" : "other" };
    }
    // NATS: the server would not let the node in (credentials NATS_URL's server refuses).
    if (link instanceof Error && link.name === "AuthorizationError") {
      return { text: firstLine(link.message), kind: "refused" };
    }
  }
  const innermost = chain[chain.length - 1];
  return {
    text: firstLine(innermost instanceof Error ? innermost.message : String(innermost)),
    kind: "other",
  };
}

function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let link = error; link !== undefined && chain.length < 10; ) {
    chain.push(link);
    link = link instanceof Error ? link.cause : undefined;
  }
  return chain;
}

function firstLine(text: string): string {
  return text.split("\n")[0]?.trim() ?? "";
}
