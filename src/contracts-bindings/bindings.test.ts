import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SHIPPED_CONTRACTS } from "./contracts";
import * as factories from "./generated/factories";

const root = join(import.meta.dir, "../..");

test("the committed bindings match the contracts as they compile now", () => {
  // Incremental: cheap when `forge test` has just built everything.
  const build = Bun.spawnSync(
    ["node_modules/.bin/forge", "build", "--skip", "test", "--skip", "script"],
    {
      cwd: root,
      stderr: "pipe",
    },
  );
  expect(build.exitCode, build.stderr.toString()).toBe(0);

  for (const name of SHIPPED_CONTRACTS) {
    const artifact = JSON.parse(
      readFileSync(join(root, "out", `${name}.sol`, `${name}.json`), "utf8"),
    );
    // biome-ignore lint/performance/noDynamicNamespaceImportAccess: a test, looking each shipped contract up by name
    const factory = factories[`${name}__factory`];
    const stale = `${name}: bindings are stale, run \`npm run build:contracts\``;
    expect(factory.bytecode, stale).toBe(artifact.bytecode.object);
    expect(JSON.parse(JSON.stringify(factory.abi)), stale).toEqual(artifact.abi);
  }
});
