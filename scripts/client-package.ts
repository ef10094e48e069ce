// The package.json that `npm run build:client` writes into dist/client, so that dist/client (or
// the tarball `npm pack dist/client` makes of it) is the client package on its own. The
// repository's package.json lists the node's dependencies too (PGlite, postgres, Hono, pino,
// drizzle, prom-client…); an application installing the client must get only the client's.
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { BunPlugin } from "bun";

const root = join(import.meta.dir, "..");

/**
 * Packages bundled into the client rather than installed by npm. @nats-io/nuid, which both
 * NATS clients depend on, declares Node >= 22 and so made npm warn on every install under
 * Node 20, where it runs all the same (the Node compatibility test pays over it there).
 * Bundled, the NATS clients and what they import are no longer the application's packages.
 */
const BUNDLED = new Set(["@nats-io/nats-core", "@nats-io/transport-node"]);

/**
 * The Node versions the client supports: @noble/* (>= 20.19) set the floor. The Node
 * compatibility test (src/client/compat/node.test.ts) runs the package under the machine's
 * Node if it is one of these.
 */
export const CLIENT_NODE_ENGINES = ">=20.19";

/** "@scope/name/sub/path" -> "@scope/name", "name/sub" -> "name". */
export function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return (specifier.startsWith("@") ? parts.slice(0, 2) : parts.slice(0, 1)).join("/");
}

/**
 * Leaves the packages the client's source imports to npm (recording their names in
 * `imported`), except those in `BUNDLED`; a bundled package's own imports are bundled with it.
 * What is recorded is exactly what the package must declare.
 */
export function externalDependencies(imported: Set<string>): BunPlugin {
  return {
    name: "external-dependencies",
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        if (/^(?:node|bun):/.test(args.path)) return undefined;
        if (args.importer.includes("/node_modules/")) return undefined;
        const name = packageName(args.path);
        if (BUNDLED.has(name)) return undefined;
        imported.add(name);
        return { path: args.path, external: true };
      });
    },
  };
}

/**
 * The client package's package.json: the repository's name, version and licence, `exports`
 * relative to dist/client, and as dependencies exactly `imported`, at the versions the
 * repository pins (and its lockfile tests).
 */
export async function clientPackageJson(imported: Set<string>): Promise<Record<string, unknown>> {
  const repository = JSON.parse(await readFile(join(root, "package.json"), "utf8"));
  const pinned: Record<string, string> = repository.dependencies ?? {};
  const dependencies: Record<string, string> = {};
  for (const name of [...imported].sort()) {
    const version = pinned[name];
    if (!version) {
      throw new Error(`the client imports ${name}, which package.json's "dependencies" lacks`);
    }
    dependencies[name] = version;
  }
  return {
    name: repository.name,
    version: repository.version,
    description:
      "The connext client: payment channels with a connext node, from Node, Bun or a browser.",
    license: repository.license,
    type: "module",
    main: "./index.js",
    types: "./types/client/index.d.ts",
    exports: {
      ".": {
        types: "./types/client/index.d.ts",
        browser: "./browser.js",
        default: "./index.js",
      },
      "./server": { types: "./types/client/server.d.ts", default: "./server.js" },
      "./package.json": "./package.json",
    },
    engines: { node: CLIENT_NODE_ENGINES },
    dependencies,
  };
}

/**
 * The packages the public declarations (those reachable from `entries`) import must be
 * dependencies too, or an application's type-check would miss them. Declarations no entry
 * reaches (internal modules tsc emitted along) are never read by a consumer.
 */
export async function checkDeclarations(entries: string[], dependencies: Set<string>) {
  const seen = new Set<string>();
  const queue = [...entries];
  const missing = new Set<string>();
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    // Without comments: the doc comments show imports of "connext" itself.
    const text = (await readFile(file, "utf8")).replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
    const specifiers = text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)"([^"]+)"/g);
    for (const [, specifier] of specifiers) {
      if (!specifier) continue;
      if (specifier.endsWith(".json")) continue;
      if (specifier.startsWith(".")) {
        queue.push(resolve(dirname(file), specifier.replace(/\.js$/, ".d.ts")));
      } else if (!/^(?:node|bun):/.test(specifier) && !dependencies.has(packageName(specifier))) {
        missing.add(`${packageName(specifier)} (${file})`);
      }
    }
  }
  if (missing.size > 0) {
    throw new Error(
      `the client's declarations import non-dependencies: ${[...missing].join(", ")}`,
    );
  }
}
