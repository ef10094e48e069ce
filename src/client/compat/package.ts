import { lstat, mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { buildClient, type ClientBuild } from "../../../scripts/build-client";

export interface InstalledClient {
  build: ClientBuild;
  /** The tarball `npm pack` made of the build. */
  tarball: string;
  /** What `npm install` printed (its warnings among it). */
  npmOutput: string;
}

/**
 * Installs the freshly built client as an application would: builds the package into
 * `dir/package`, packs it with `npm pack`, and installs the tarball with `npm install` into
 * `dir/app`, an empty application (package.json only). npm takes the package's dependencies
 * from its cache when it has them, from the registry otherwise.
 */
export async function installPackedClient(dir: string): Promise<InstalledClient> {
  const app = join(dir, "app");
  await mkdir(app, { recursive: true });
  await writeFile(join(app, "package.json"), JSON.stringify({ private: true, type: "module" }));
  const build = await buildClient(join(dir, "package"));
  const packed = await npm(["pack", build.outdir, "--json", "--pack-destination", dir], dir);
  const tarball = join(dir, JSON.parse(packed)[0].filename);
  const npmOutput = await npm(
    ["install", "--prefer-offline", "--no-audit", "--no-fund", "--save-exact", tarball],
    app,
  );
  return { build, tarball, npmOutput };
}

export interface InstalledTree {
  /** Every installed package's name (nested ones too), sorted and without repeats. */
  packages: string[];
  /** Their files' sizes added up. */
  bytes: number;
}

/** What an application's node_modules holds. */
export async function installedTree(nodeModules: string): Promise<InstalledTree> {
  const packages = new Set<string>();
  let bytes = 0;
  const entries = await readdir(nodeModules, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    const path = join(entry.parentPath, entry.name);
    if (entry.isFile()) bytes += (await lstat(path)).size;
    const name = path.match(/node_modules\/((?:@[^/]+\/)?[^/@.][^/]*)$/)?.[1];
    if (name && entry.isDirectory()) packages.add(name);
  }
  return { packages: [...packages].sort(), bytes };
}

async function npm(args: string[], cwd: string): Promise<string> {
  // Run from `npm test`, this process carries npm_* variables for the repository (its
  // prefix among them); the application's npm must see none of them.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith("npm_")),
  );
  const child = Bun.spawn(["npm", ...args], { cwd, env, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  if (code !== 0) throw new Error(`npm ${args.join(" ")}: exit ${code}\n${out}${err}`);
  return args[0] === "pack" ? out : `${out}${err}`;
}
