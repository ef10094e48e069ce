// Builds the client package into dist/client (`npm run build:client`):
//   index.js, server.js, chunks/  ESM for Node (>= 20.19) and Bun; the package's dependencies
//                                 (ethers, zod, noble) stay imports, the NATS clients are
//                                 bundled (see scripts/client-package.ts)
//   browser.js                    one self-contained ESM file for browsers: WebSocket
//                                 messaging only, no node: or bun: modules
//   types/                        declarations emitted by tsc (types/client/index.d.ts, …)
//   package.json                  "connext", whose "exports" point "connext" and
//                                 "connext/server" here, and which depends on exactly what
//                                 index.js, server.js and chunks/ import
// dist/client is then the package: install the folder, or the tarball `npm pack` makes of it.
import { mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import type { BunPlugin } from "bun";
import { checkDeclarations, clientPackageJson, externalDependencies } from "./client-package";

const root = join(import.meta.dir, "..");
const source = join(root, "src/client");

export interface ClientBuild {
  outdir: string;
  /** Every file written, relative to `outdir`, with its size in bytes. */
  files: { path: string; size: number }[];
}

/** Builds the bundles, the declarations and package.json into `outdir` (emptied first). */
export async function buildClient(outdir = join(root, "dist/client")): Promise<ClientBuild> {
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  const dependencies = new Set<string>();
  await bundle({
    entrypoints: [join(source, "index.ts"), join(source, "server.ts")],
    root: source,
    outdir,
    target: "node",
    format: "esm",
    splitting: true,
    naming: { entry: "[name].[ext]", chunk: "chunks/[name]-[hash].[ext]" },
    sourcemap: "linked",
    plugins: [bunSqliteOnlyInBun, externalDependencies(dependencies)],
  });
  await bundle({
    entrypoints: [join(source, "index.ts")],
    outdir,
    target: "browser",
    format: "esm",
    naming: { entry: "browser.[ext]" },
    minify: { whitespace: true, syntax: true, identifiers: false },
    sourcemap: "linked",
    plugins: [noTcpTransport, noNativeSecp256k1],
  });
  await checkBrowserBundle(join(outdir, "browser.js"));
  await emitDeclarations(join(outdir, "types"));
  const entries = ["index.d.ts", "server.d.ts"].map((name) => join(outdir, "types/client", name));
  await checkDeclarations(entries, dependencies);
  const packageJson = await clientPackageJson(dependencies);
  await writeFile(join(outdir, "package.json"), `${JSON.stringify(packageJson, null, 2)}\n`);
  return { outdir, files: await listFiles(outdir) };
}

async function bundle(config: Parameters<typeof Bun.build>[0]): Promise<void> {
  const result = await Bun.build({ ...config, throw: false });
  if (!result.success) {
    throw new Error(`bun build failed:\n${result.logs.map(String).join("\n")}`);
  }
}

/**
 * Browsers have no sockets: the client picks the WebSocket transport there (see
 * src/client/messaging.ts), so the TCP transport's lazy import is replaced by a module that
 * says so instead of shipping it with stubs of node:net, node:tls and node:fs.
 */
export const noTcpTransport: BunPlugin = {
  name: "no-tcp-transport",
  setup(build) {
    build.onResolve({ filter: /^@nats-io\/transport-node$/ }, () => ({
      path: "transport-node",
      namespace: "connext-browser",
    }));
    build.onLoad({ filter: /.*/, namespace: "connext-browser" }, () => ({
      loader: "js",
      contents: `export function connect() {
  throw new Error("NATS over TCP is not available in browsers: use the node's ws:// messaging URL");
}`,
    }));
  },
};

/**
 * Browsers have no native libraries: the client keeps noble's secp256k1 there, so the loader of
 * native libsecp256k1 (src/crypto/nativeSecp256k1.ts, which imports bun:ffi under Bun) is
 * replaced by one that says so, and installs nothing.
 */
export const noNativeSecp256k1: BunPlugin = {
  name: "no-native-secp256k1",
  setup(build) {
    build.onResolve({ filter: /\/crypto\/nativeSecp256k1(\.ts)?$/ }, () => ({
      path: "native-secp256k1",
      namespace: "connext-browser-secp256k1",
    }));
    build.onLoad({ filter: /.*/, namespace: "connext-browser-secp256k1" }, () => ({
      loader: "js",
      contents: `export async function useFastestSecp256k1() {
  return { reason: "a browser: secp256k1 stays noble (pure JavaScript)" };
}`,
    }));
  },
};

/**
 * `SqliteStore` uses bun:sqlite, which Node cannot even parse an import of, and it shares
 * server.js with `FileStore`, which Node needs. In this build bun:sqlite is loaded only when
 * running in Bun; elsewhere constructing a `SqliteStore` throws and says why.
 */
const bunSqliteOnlyInBun: BunPlugin = {
  name: "bun-sqlite-only-in-bun",
  setup(build) {
    build.onResolve({ filter: /^bun:sqlite$/ }, () => ({
      path: "bun-sqlite",
      namespace: "connext-node",
    }));
    // The name is a variable so that the bundler leaves this import to the runtime.
    build.onLoad({ filter: /.*/, namespace: "connext-node" }, () => ({
      loader: "js",
      contents: `const name = "bun:sqlite";
const sqlite = typeof globalThis.Bun === "undefined" ? undefined : await import(name);
export const Database = sqlite?.Database ?? class Database {
  constructor() {
    throw new Error("SqliteStore needs Bun (bun:sqlite); in Node use FileStore");
  }
};`,
    }));
  },
};

/** The browser bundle must stand alone: no imports at all, so no node: or bun: modules. */
async function checkBrowserBundle(file: string): Promise<void> {
  const code = await readFile(file, "utf8");
  const imports = [
    ...code.matchAll(/\bimport\s*\(\s*["'`]([^"'`]+)["'`]\s*\)/g),
    ...code.matchAll(/\b(?:import|export)\b[^;"'`]*?\bfrom\s*["']([^"']+)["']/g),
    ...code.matchAll(/\bimport\s*["']([^"']+)["']/g),
    ...code.matchAll(/\brequire\s*\(\s*["']([^"']+)["']\s*\)/g),
  ].map((match) => match[1]);
  if (imports.length > 0) {
    throw new Error(`${file} must be self-contained but imports ${imports.join(", ")}`);
  }
  const runtime = code.match(/["'`](?:node|bun):[a-z_/]+["'`]/);
  if (runtime) throw new Error(`${file} names a runtime module: ${runtime[0]}`);
}

/**
 * tsc emits one .d.ts per source file under `outdir` (src/ is the root, so the client's are in
 * `outdir/client`). Relative imports get explicit `.js` paths so that consumers resolving with
 * "moduleResolution": "node16"/"nodenext" find them as well as "bundler" ones do.
 */
async function emitDeclarations(outdir: string): Promise<void> {
  const tsc = join(root, "node_modules/.bin/tsc");
  const args = [
    "--ignoreConfig",
    ...["--declaration", "--emitDeclarationOnly", "--rootDir", join(root, "src")],
    ...["--outDir", outdir, "--target", "ES2022", "--module", "ESNext"],
    ...["--moduleResolution", "bundler", "--lib", "ES2022,DOM", "--types", "bun"],
    ...["--strict", "--skipLibCheck", "--resolveJsonModule", "--isolatedModules"],
    ...["--verbatimModuleSyntax", "--noUncheckedIndexedAccess"],
    join(source, "index.ts"),
    join(source, "server.ts"),
  ];
  const child = Bun.spawn([tsc, ...args], { cwd: root, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  if (code !== 0) throw new Error(`tsc could not emit declarations:\n${out}${err}`);
  for (const file of await listFiles(outdir)) {
    if (file.path.endsWith(".d.ts")) await addExtensions(join(outdir, file.path));
  }
}

async function addExtensions(file: string): Promise<void> {
  const text = await readFile(file, "utf8");
  const specifiers = new Set(
    [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)"(\.{1,2}\/[^"]*)"/g)].map(
      (match) => match[1] as string,
    ),
  );
  let rewritten = text;
  for (const specifier of specifiers) {
    if (/\.(?:js|json)$/.test(specifier)) continue;
    const target = resolve(dirname(file), specifier);
    let replacement: string;
    if (await exists(`${target}.d.ts`)) replacement = `${specifier}.js`;
    else if (await exists(join(target, "index.d.ts"))) replacement = `${specifier}/index.js`;
    else throw new Error(`${file}: cannot find the declarations of "${specifier}"`);
    rewritten = rewritten.replaceAll(`"${specifier}"`, `"${replacement}"`);
  }
  if (rewritten !== text) await writeFile(file, rewritten);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

async function listFiles(dir: string): Promise<{ path: string; size: number }[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((entry) => entry.isFile());
  return Promise.all(
    files.map(async (entry) => {
      const path = join(entry.parentPath, entry.name);
      return { path: relative(dir, path), size: (await stat(path)).size };
    }),
  );
}

if (import.meta.main) {
  const build = await buildClient();
  const shown = build.files.filter((f) => !f.path.startsWith("types/") && f.path.endsWith(".js"));
  for (const file of shown.sort((a, b) => a.path.localeCompare(b.path))) {
    const where = relative(process.cwd(), join(build.outdir, file.path));
    process.stdout.write(`${where} (${(file.size / 1e3).toFixed(0)} kB)\n`);
  }
  const types = build.files.filter((f) => f.path.endsWith(".d.ts")).length;
  process.stdout.write(`${relative(process.cwd(), join(build.outdir, "types"))}: ${types} .d.ts\n`);
}
