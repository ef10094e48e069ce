// Regenerates src/contracts-bindings from the forge build (`npm run build:contracts`).
// TypeChain's ethers-v6 target turns each shipped contract's ABI and creation bytecode into a
// typed contract and factory under src/contracts-bindings/generated, committed so that the
// package works without forge. A bun test checks they match the current forge build.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runTypeChain } from "typechain";
import { SHIPPED_CONTRACTS } from "../src/contracts-bindings/contracts";

const root = join(import.meta.dir, "..");
const forgeOut = join(root, process.env.FOUNDRY_OUT ?? "out");
// TypeChain reads artifacts as {contractName, abi, bytecode}; forge nests the bytecode.
const artifactsDir = join(root, "cache/bindings-input");
const typesDir = join(root, "src/contracts-bindings/generated");

interface ForgeArtifact {
  abi: unknown[];
  bytecode: { object: string };
}

rmSync(artifactsDir, { recursive: true, force: true });
rmSync(typesDir, { recursive: true, force: true });
mkdirSync(artifactsDir, { recursive: true });

const files: string[] = [];
for (const name of SHIPPED_CONTRACTS) {
  const artifact = JSON.parse(
    readFileSync(join(forgeOut, `${name}.sol`, `${name}.json`), "utf8"),
  ) as ForgeArtifact;
  const file = join(artifactsDir, `${name}.json`);
  const out = { contractName: name, abi: artifact.abi, bytecode: artifact.bytecode.object };
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  files.push(file);
}

const result = await runTypeChain({
  cwd: root,
  filesToProcess: files,
  allFiles: files,
  outDir: typesDir,
  target: "ethers-v6",
});
console.log(
  `bindings: ${result.filesGenerated} files for ${files.length} contracts in ${typesDir}`,
);
