/** @jsxImportSource hono/jsx */
import { raw } from "hono/html";
import type { Child, FC } from "hono/jsx";
import { ASSETS } from "./assets";

const NAV = [
  ["/dashboard", "Overview"],
  ["/dashboard/channels", "Channels"],
  ["/dashboard/payments", "Payments"],
  ["/dashboard/collateral", "Collateral"],
  ["/dashboard/transactions", "On-chain"],
] as const;

/** htmx without eval or inline styles, so a CSP without `unsafe-inline`/`unsafe-eval` holds. */
const HTMX_CONFIG = JSON.stringify({
  includeIndicatorStyles: false,
  allowEval: false,
  allowScriptTags: false,
  selfRequestsOnly: true,
});

export interface LayoutProps {
  title: string;
  /** The signed-in session's CSRF token; absent on the sign-in page. */
  csrf?: string;
  /** The nav entry to mark as current. */
  current?: string;
  children?: Child;
}

/** Every dashboard page (standards mode): Pico CSS, our stylesheet, htmx, the nav and sign-out. */
export const Layout: FC<LayoutProps> = ({ title, csrf, current, children }) => (
  <>
    {raw("<!DOCTYPE html>")}
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="htmx-config" content={HTMX_CONFIG} />
        <meta name="referrer" content="same-origin" />
        <title>{`${title} · connext node`}</title>
        <link rel="stylesheet" href={ASSETS.pico} />
        <link rel="stylesheet" href={ASSETS.css} />
        <script src={ASSETS.htmx} defer />
      </head>
      <body hx-headers={csrf ? JSON.stringify({ "X-CSRF-Token": csrf }) : undefined}>
        <header class="container">
          <nav>
            <ul>
              <li>
                <strong>connext node</strong>
              </li>
            </ul>
            {csrf ? (
              <ul>
                {NAV.map(([href, label]) => (
                  <li>
                    <a href={href} aria-current={current === href ? "page" : undefined}>
                      {label}
                    </a>
                  </li>
                ))}
                <li>
                  <form method="post" action="/dashboard/logout" class="inline">
                    <input type="hidden" name="_csrf" value={csrf} />
                    <button type="submit" class="secondary outline small">
                      Sign out
                    </button>
                  </form>
                </li>
              </ul>
            ) : null}
          </nav>
        </header>
        <main class="container">{children}</main>
        <footer class="container muted">
          <small>
            <a href="/openapi.json">HTTP API (OpenAPI)</a> ·{" "}
            <a href="/metrics">Prometheus metrics</a>
          </small>
        </footer>
      </body>
    </html>
  </>
);

/** A hidden CSRF field for a form. */
export const Csrf: FC<{ token: string }> = ({ token }) => (
  <input type="hidden" name="_csrf" value={token} />
);
