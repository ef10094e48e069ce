import type { MiddlewareHandler } from "hono";
import { secureHeaders } from "hono/secure-headers";

/**
 * The Content-Security-Policy of every response (issue 14 §5): scripts and styles only from
 * the node's own origin, never inline, so an injected `<script>` or `onclick=` is inert even if
 * escaping ever fails; `ws:`/`wss:` for the messaging WebSocket; no framing (clickjacking).
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/**
 * Security headers on every response of the API and the pages (the dashboard and wallet
 * routes get them by being mounted on the same app, after this middleware).
 *
 * HSTS is left to the TLS-terminating proxy: on a plain-http dev node it means nothing, and
 * with `includeSubDomains` it would reach the operator's other hosts. Cross-Origin-Resource-
 * Policy is left off: the JSON API is meant to be called from any origin (cors in api.ts).
 */
export function securityHeaders(): MiddlewareHandler {
  return secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", "data:"],
      connectSrc: ["'self'", "ws:", "wss:"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
    },
    xFrameOptions: "DENY",
    xContentTypeOptions: "nosniff",
    referrerPolicy: "no-referrer",
    strictTransportSecurity: false,
    crossOriginResourcePolicy: false,
  });
}
