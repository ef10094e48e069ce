// Bundles the card wallet's script (src/wallet/main.ts) for browsers: one self-contained ESM
// file, the client library included (WebSocket messaging only, as in dist/client/browser.js).
// The node embeds it at build time (src/node/http/wallet/assets.macro.ts runs this and inlines
// what it prints); `bun scripts/build-wallet.ts` prints the bundle to stdout.
import { join } from "node:path";
import { noNativeSecp256k1, noTcpTransport } from "./build-client";

const root = join(import.meta.dir, "..");

/** The wallet's script, minified, as one string. */
export async function buildWallet(): Promise<string> {
  const result = await Bun.build({
    entrypoints: [join(root, "src/wallet/main.ts")],
    target: "browser",
    format: "esm",
    minify: true,
    plugins: [noTcpTransport, noNativeSecp256k1],
    throw: false,
  });
  const output = result.outputs[0];
  if (!result.success || output === undefined) {
    throw new Error(`bun build of the wallet failed:\n${result.logs.map(String).join("\n")}`);
  }
  return output.text();
}

if (import.meta.main) process.stdout.write(await buildWallet());
