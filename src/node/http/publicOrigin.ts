import type { Context, MiddlewareHandler } from "hono";
import type { ApiEnv } from "./types";

/** A DNS label: letters, digits and inner hyphens. */
const LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
/** host[:port] as a proxy forwards it: a name or IPv4, or a bracketed IPv6, and a port. */
const HOST = new RegExp(`^(?:${LABEL}(?:\\.${LABEL})*|\\[[0-9A-Fa-f:.]+\\])(?::\\d{1,5})?$`);

/**
 * The origin (`scheme://host[:port]`) a client used to reach the node. With `trustProxy`
 * (TRUST_PROXY: a TLS-terminating reverse proxy in front), the scheme and host come from
 * `X-Forwarded-Proto` and `X-Forwarded-Host` (their first values: the client's side of the
 * chain); without it, or when they are absent or malformed, from the request itself. Without
 * TRUST_PROXY the headers are ignored: anyone can send them to a node that is reached directly.
 */
export function requestOrigin(c: Context, trustProxy: boolean): string {
  const own = new URL(c.req.url);
  if (!trustProxy) return own.origin;
  const proto = first(c.req.header("X-Forwarded-Proto"))?.toLowerCase();
  const host = first(c.req.header("X-Forwarded-Host"));
  const scheme = proto === "http" || proto === "https" ? proto : own.protocol.slice(0, -1);
  const authority = host !== undefined && HOST.test(host) ? host : own.host;
  // Through URL so the default port is dropped and the host lowercased, as browsers show it;
  // what URL refuses (a port above 65535, "...") counts as no header.
  try {
    return new URL(`${scheme}://${authority}`).origin;
  } catch {
    return `${scheme}://${own.host}`;
  }
}

/**
 * Sets `c.get("origin")` for every route: where the client reached the node (see
 * `requestOrigin`), for the URLs pages and /config hand back.
 */
export function publicOrigin(trustProxy: boolean): MiddlewareHandler<ApiEnv> {
  return async function setOrigin(c, next) {
    c.set("origin", requestOrigin(c, trustProxy));
    await next();
  };
}

/** The same path on the client's origin, as a WebSocket URL (`https:` → `wss:`). */
export function webSocketUrlAt(origin: string, path: string): string {
  return `${origin.replace(/^http/, "ws")}${path}`;
}

function first(value: string | undefined): string | undefined {
  const part = value?.split(",")[0]?.trim();
  return part === undefined || part === "" ? undefined : part;
}
