import { describe, expect, test } from "bun:test";
import { readFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * `npm ci` installs package-lock.json as it is and refuses one that lacks a package some entry
 * depends on, optional ones included: the other platforms' binaries of Biome, Foundry and Bun,
 * which npm leaves out of a lockfile written on a single platform. And the lockfile carries no
 * download addresses (.npmrc: omit-lockfile-registry-resolved), so it names no registry.
 */
interface Entry {
  resolved?: string;
  integrity?: string;
  link?: boolean;
  /** Shipped inside its parent's tarball, so checked by the parent's integrity. */
  inBundle?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

const root = join(import.meta.dir, "..");
const lock: { lockfileVersion: number; packages: Record<string, Entry> } = JSON.parse(
  await readFile(join(root, "package-lock.json"), "utf8"),
);

/** Where Node's resolution finds `name` from the package at `path`, if the lockfile has it. */
function locate(path: string, name: string): string | undefined {
  let base = path;
  for (;;) {
    const candidate = `${base ? `${base}/` : ""}node_modules/${name}`;
    if (lock.packages[candidate]) return candidate;
    if (!base) return undefined;
    const parent = base.lastIndexOf("/node_modules/");
    base = parent < 0 ? "" : base.slice(0, parent);
  }
}

describe("package-lock.json", () => {
  test("holds every package an entry depends on, other platforms' binaries too", () => {
    expect(lock.lockfileVersion).toBe(3);
    const missing: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      const wanted = { ...entry.dependencies, ...entry.optionalDependencies };
      for (const name of Object.keys(wanted)) {
        if (!locate(path, name)) missing.push(`${path || "(root)"} -> ${name}`);
      }
    }
    expect(missing).toEqual([]);
    for (const platform of ["darwin-arm64", "linux-x64", "win32-x64"]) {
      expect(lock.packages[`node_modules/@biomejs/cli-${platform}`]).toBeDefined();
    }
    expect(lock.packages["node_modules/@oven/bun-darwin-aarch64"]).toBeDefined();
    expect(lock.packages["node_modules/@foundry-rs/anvil-darwin-arm64"]).toBeDefined();
  });

  test("records no download addresses, and .npmrc keeps it so", async () => {
    const withAddress = Object.entries(lock.packages).filter(([, entry]) => entry.resolved);
    expect(withAddress.map(([path]) => path)).toEqual([]);
    const unverified = Object.entries(lock.packages).filter(
      ([path, entry]) => path !== "" && !entry.link && !entry.inBundle && !entry.integrity,
    );
    expect(unverified.map(([path]) => path)).toEqual([]);
    const npmrc = await readFile(join(root, ".npmrc"), "utf8");
    expect(npmrc).toMatch(/^omit-lockfile-registry-resolved=true$/m);
  });
});
