import { expect, test } from "bun:test";
import { anvilMissingError } from "./anvilMissing";
import { runsAsCompiledBinary } from "./compiled";

test("from source, the advice is npm install; the binary's is Foundry's anvil; both name ETH_RPC_URL", () => {
  const fromSource = anvilMissingError(false);
  expect(fromSource.code).toBe("ANVIL_NOT_FOUND");
  expect(fromSource.exitCode).toBe(1);
  expect(fromSource.message).toContain("run `npm install`");
  const binary = anvilMissingError(true);
  expect(binary.message).toStartWith("anvil not found on PATH: install Foundry's anvil");
  expect(binary.message).not.toContain("run `npm install`");
  for (const error of [fromSource, binary]) expect(error.message).toContain("set ETH_RPC_URL");
});

test("the compiled binary is told by Bun's embedded file system paths", () => {
  expect(runsAsCompiledBinary()).toBe(false);
  expect(runsAsCompiledBinary("/$bunfs/root/connext-node")).toBe(true);
  expect(runsAsCompiledBinary("B:/~BUN/root/connext-node.exe")).toBe(true);
  expect(runsAsCompiledBinary("/home/me/connext/src/node/cli/compiled.ts")).toBe(false);
});
