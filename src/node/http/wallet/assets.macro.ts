// A Bun macro (imported `with { type: "macro" }` by assets.ts): it runs when assets.ts is
// transpiled, at `bun build --compile` for the binary and on first import from source, and
// what it returns is inlined as a constant. So the binary carries the wallet's script and
// styles and needs no files beside it.
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";

/** The wallet page's static files, as text. */
export interface WalletAssetTexts {
  /** src/wallet bundled for browsers (scripts/build-wallet.ts). */
  script: string;
  /** Pico CSS from node_modules. */
  pico: string;
  /** The wallet's own styles. */
  styles: string;
}

const root = join(import.meta.dir, "../../../..");

export async function walletAssetTexts(): Promise<WalletAssetTexts> {
  // Bun.build cannot run inside a macro while the bundler waits for it: a child process does it.
  const child = Bun.spawn([process.execPath, join(root, "scripts/build-wallet.ts")], {
    cwd: root,
    stdout: "pipe",
    stderr: "pipe",
  });
  const [script, errors, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  if (code !== 0) throw new Error(`building the wallet's script failed:\n${errors}`);
  const picoDir = dirname(Bun.resolveSync("@picocss/pico/package.json", root));
  const [pico, styles] = await Promise.all([
    readFile(join(picoDir, "css/pico.min.css"), "utf8"),
    readFile(join(root, "src/wallet/wallet.css"), "utf8"),
  ]);
  return { script, pico, styles };
}
