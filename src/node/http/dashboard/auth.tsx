/** @jsxImportSource hono/jsx */
import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { FC } from "hono/jsx";
import { clientAddress } from "../clientAddress";
import { Layout } from "./layout";
import { type Session, type SessionStore, sameSecret } from "./sessions";
import { SignInThrottle } from "./signInThrottle";

export const COOKIE = "connext_dashboard";
const COOKIE_PATH = "/dashboard";

export interface DashboardEnv {
  /** `origin`: where the browser reached the node, set for every route (publicOrigin.ts). */
  Variables: { session: Session; origin: string };
}

type Ctx = Context<DashboardEnv>;

/** The sign-in form; `error` says why the last attempt was refused. */
export const LoginPage: FC<{ error?: string }> = ({ error }) => (
  <Layout title="Sign in">
    <article class="login">
      <h2>Sign in</h2>
      <p class="muted">
        The dashboard takes the node's <code>ADMIN_TOKEN</code> (<code>dev</code> prints one when
        none is set).
      </p>
      {error ? (
        <p class="error" role="alert" id="login-error">
          {error}
        </p>
      ) : null}
      <form method="post" action="/dashboard/login">
        <label>
          Admin token
          <input
            type="password"
            name="token"
            autocomplete="current-password"
            required
            aria-invalid={error ? "true" : undefined}
          />
        </label>
        <button type="submit">Sign in</button>
      </form>
    </article>
  </Layout>
);

/**
 * Whether the browser reached us over https: directly, or through a TLS-terminating proxy
 * when TRUST_PROXY says one is in front (the origin publicOrigin.ts worked out).
 */
function overHttps(c: Ctx): boolean {
  return originOf(c).startsWith("https:");
}

/**
 * A request from a page of another origin: its Origin header is not where the browser reached
 * us (behind a proxy, only TRUST_PROXY lets X-Forwarded-Host name that place).
 */
function crossOrigin(c: Ctx): boolean {
  const origin = c.req.header("Origin");
  if (origin === undefined) return false;
  try {
    return new URL(origin).origin !== originOf(c);
  } catch {
    return true;
  }
}

/** The node's origin as the browser sees it; the request's own when mounted without it. */
function originOf(c: Ctx): string {
  return c.get("origin") ?? new URL(c.req.url).origin;
}

/**
 * Sign-in, sign-out and the guard on every other dashboard route: a valid session cookie, and
 * on POST its CSRF token (the `X-CSRF-Token` header htmx sends, or a `_csrf` form field).
 */
export function authRoutes(
  // biome-ignore lint/suspicious/noExplicitAny: the dashboard's Hono app
  app: import("hono").Hono<any>,
  sessions: SessionStore,
  adminToken: string,
  throttle = new SignInThrottle(),
): void {
  app.get("/dashboard/login", (c: Ctx) => {
    if (sessions.get(getCookie(c, COOKIE))) return c.redirect("/dashboard", 303);
    return c.html(<LoginPage />);
  });

  app.post("/dashboard/login", async (c: Ctx) => {
    if (crossOrigin(c))
      return c.html(<LoginPage error="Refused: a form from another site." />, 403);
    const client = clientAddress(c);
    if (throttle.refused(client)) {
      const wait = throttle.retryAfterSeconds(client);
      c.header("Retry-After", String(wait));
      return c.html(<LoginPage error={`Too many failed sign-ins: try again in ${wait} s.`} />, 429);
    }
    const body = await c.req.parseBody();
    const token = typeof body.token === "string" ? body.token : "";
    if (token === "" || !sameSecret(token, adminToken)) {
      throttle.failed(client);
      return c.html(<LoginPage error="That is not this node's admin token." />, 401);
    }
    throttle.succeeded(client);
    sessions.delete(getCookie(c, COOKIE));
    const session = sessions.create();
    setCookie(c, COOKIE, session.id, {
      path: COOKIE_PATH,
      httpOnly: true,
      sameSite: "Strict",
      secure: overHttps(c),
      expires: new Date(session.expiresAt),
    });
    return c.redirect("/dashboard", 303);
  });

  app.use("/dashboard", guard(sessions));
  app.use("/dashboard/*", guard(sessions));

  app.post("/dashboard/logout", (c: Ctx) => {
    sessions.delete(c.get("session").id);
    deleteCookie(c, COOKIE, { path: COOKIE_PATH });
    return c.redirect("/dashboard/login", 303);
  });
}

/** Pages without a session go to sign-in; fragments, exports and POSTs get 401. */
function guard(sessions: SessionStore): MiddlewareHandler<DashboardEnv> {
  return async function requireSession(c, next) {
    if (c.req.path === "/dashboard/login") return next();
    const session = sessions.get(getCookie(c, COOKIE));
    if (!session) {
      const page =
        c.req.method === "GET" &&
        c.req.header("HX-Request") === undefined &&
        !c.req.path.startsWith("/dashboard/live") &&
        !c.req.path.endsWith(".csv");
      if (page) return c.redirect("/dashboard/login", 303);
      c.header("HX-Redirect", "/dashboard/login");
      return c.text("sign in first: /dashboard/login", 401);
    }
    if (c.req.method !== "GET" && c.req.method !== "HEAD") {
      const presented = c.req.header("X-CSRF-Token") ?? (await formField(c, "_csrf"));
      if (presented === undefined || !sameSecret(presented, session.csrf)) {
        return c.text("missing or wrong CSRF token: reload the page", 403);
      }
    }
    c.set("session", session);
    await next();
    // The operator's data: never kept by a browser cache or a proxy.
    c.header("Cache-Control", "no-store");
  };
}

async function formField(c: Ctx, name: string): Promise<string | undefined> {
  const type = c.req.header("Content-Type") ?? "";
  if (!type.includes("form")) return undefined;
  const body = await c.req.parseBody();
  const value = body[name];
  return typeof value === "string" ? value : undefined;
}
