import type { Provider } from "ethers";
import type { Hono } from "hono";
import type { ApiEnv } from "../types";
import { chainProxyRoutes } from "./chainProxy";
import { type DevFunding, devFunding, devFundingRoutes } from "./devFunding";
import { WALLET_CSP, walletPage } from "./page";

export { type DevFunding, type DevFundingResult, devFunding } from "./devFunding";
export { WALLET_CSP } from "./page";

/** What the wallet's routes need from the node. */
export interface WalletDeps {
  /** The node's chain, which `POST /wallet/rpc` passes the wallet's calls on to. */
  ethRpcUrl: string;
  /** `connext-node dev` only: `POST /dev/fund` and the page's "get test funds" button. */
  devFunding?: DevFunding;
}

/** The wallet's deps from the node's settings (`devFunding` is set by `dev` alone). */
export function walletDeps(
  settings: {
    ethRpcUrl: string;
    devFunding?: { privateKey: string };
    addressBook: { testToken?: string };
  },
  provider: Provider,
): WalletDeps {
  const funding = settings.devFunding;
  return {
    ethRpcUrl: settings.ethRpcUrl,
    ...(funding
      ? {
          devFunding: devFunding({
            provider,
            privateKey: funding.privateKey,
            ...(settings.addressBook.testToken
              ? { testToken: settings.addressBook.testToken }
              : {}),
          }),
        }
      : {}),
  };
}

interface Served {
  body: string;
  type: string;
}

interface Site {
  page: string;
  files: Map<string, Served>;
}

let built: Promise<Omit<Site, "page"> & { paths: Record<string, string> }> | undefined;

/** The bundled assets under content-hashed paths, built (from source) on first use. */
function assets() {
  built ??= import("./assets").then(({ walletAssets }) => {
    const files = new Map<string, Served>();
    const paths: Record<string, string> = {};
    const add = (key: string, name: string, body: string, type: string) => {
      const hash = Bun.hash(body).toString(16).padStart(16, "0").slice(0, 12);
      const path = `/wallet/assets/${hash}/${name}`;
      files.set(path, { body, type });
      paths[key] = path;
    };
    add("script", "wallet.js", walletAssets.script, "text/javascript; charset=utf-8");
    add("pico", "pico.min.css", walletAssets.pico, "text/css; charset=utf-8");
    add("styles", "wallet.css", walletAssets.styles, "text/css; charset=utf-8");
    return { files, paths };
  });
  return built;
}

/**
 * The card wallet (issue 14 §2): `GET /wallet`, its script and styles at versioned paths
 * (cached for good), `POST /wallet/rpc` (the chain, for the page), and with dev funding
 * `POST /dev/fund`.
 */
export function walletRoutes(app: Hono<ApiEnv>, deps: WalletDeps | undefined): void {
  const devFundingOn = deps?.devFunding !== undefined;
  let page: string | undefined;
  app.get("/wallet", async (c) => {
    const { paths } = await assets();
    page ??= walletPage(
      { script: paths.script ?? "", pico: paths.pico ?? "", styles: paths.styles ?? "" },
      { devFunding: devFundingOn },
    );
    return c.html(page, 200, {
      "Content-Security-Policy": WALLET_CSP,
      "X-Frame-Options": "DENY",
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "no-referrer",
      "Cache-Control": "no-cache",
    });
  });
  app.get("/wallet/", (c) => c.redirect("/wallet", 301));
  app.get("/wallet/assets/:hash/:name", async (c) => {
    const file = (await assets()).files.get(c.req.path);
    if (file === undefined) return c.notFound();
    return c.body(file.body, 200, {
      "Content-Type": file.type,
      "Cache-Control": "public, max-age=31536000, immutable",
      "X-Content-Type-Options": "nosniff",
    });
  });
  if (deps) chainProxyRoutes(app, deps.ethRpcUrl);
  if (deps?.devFunding) devFundingRoutes(app, deps.devFunding);
}
