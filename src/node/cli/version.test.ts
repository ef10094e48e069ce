import { describe, expect, test } from "bun:test";
import packageJson from "../../../package.json";
import { runCli } from "./run";

/** runCli in this process, its output captured. */
async function run(argv: string[], env: Record<string, string> = {}) {
  let stdout = "";
  let stderr = "";
  const exitCode = await runCli(argv, env, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
  });
  return { exitCode, stdout, stderr };
}

describe("connext-node --version", () => {
  for (const flag of ["--version", "-v"]) {
    test(`${flag} prints package.json's version and exits 0`, async () => {
      expect(await run([flag])).toEqual({
        exitCode: 0,
        stdout: `${packageJson.version}\n`,
        stderr: "",
      });
    });
  }
});

describe("TRUST_PROXY", () => {
  test("a wrong value stops the node with one line naming the setting, exit 2", async () => {
    const result = await run(["start"], { TRUST_PROXY: "yes" });
    expect(result).toEqual({
      exitCode: 2,
      stdout: "",
      stderr: 'TRUST_PROXY: must be true or false (or 1 or 0), got "yes"\n',
    });
  });

  test("so does a wrong --trust-proxy", async () => {
    const result = await run(["dev", "--trust-proxy", "on"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe('--trust-proxy: must be true or false (or 1 or 0), got "on"\n');
  });
});
