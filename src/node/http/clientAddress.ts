import type { Context } from "hono";
import { getConnInfo } from "hono/bun";

/**
 * The client's address as the server saw the connection, for per-client limits; "unknown"
 * without one (`app.request` in tests). Behind a proxy, it is the proxy's.
 */
export function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "unknown";
  }
}
