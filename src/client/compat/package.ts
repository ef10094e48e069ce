import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { buildClient, type ClientBuild } from "../../../scripts/build-client";

const root = join(import.meta.dir, "../../..");

/**
 * Lays the freshly built client out in `dir` as an installed package would be, so that a
 * script in `dir` imports it by name ("connext", "connext/server") through package.json's
 * "exports": `dir/node_modules/connext/{package.json,dist/client}`, whose own node_modules is
 * the repository's (its dependencies, as npm would have installed them).
 */
export async function installBuiltClient(dir: string): Promise<ClientBuild> {
  const packageDir = join(dir, "node_modules/connext");
  await mkdir(packageDir, { recursive: true });
  const build = await buildClient(join(packageDir, "dist/client"));
  await writeFile(join(packageDir, "package.json"), await readFile(join(root, "package.json")));
  await symlink(join(root, "node_modules"), join(packageDir, "node_modules"), "dir");
  return build;
}
