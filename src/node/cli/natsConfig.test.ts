import { describe, expect, test } from "bun:test";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { devAccount } from "../../contracts-bindings";
import { natsKeysFromPrivateKey } from "../auth/natsKeys";
import { runCli } from "./run";

/** `connext-node nats-config`: the node key's account, written where asked, bad flags refused. */

const KEY = devAccount(0).privateKey;

async function run(argv: string[], env: Record<string, string> = { NODE_PRIVATE_KEY: KEY }) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const exitCode = await runCli(
    argv,
    { LOG_LEVEL: "silent", ...env },
    { stdout: (text) => void stdout.push(text), stderr: (text) => void stderr.push(text) },
  );
  return { exitCode, stdout: stdout.join(""), stderr: stderr.join("") };
}

describe("connext-node nats-config", () => {
  test("prints the configuration for the node key's account; --out writes it and prints the path", async () => {
    const keys = natsKeysFromPrivateKey(KEY);
    const printed = await run(["nats-config"]);
    expect(printed.exitCode).toBe(0);
    expect(printed.stdout).toContain(`system_account: ${keys.system.getPublicKey()}`);
    expect(printed.stdout).toContain(`  ${keys.account.getPublicKey()}: "`);
    expect(printed.stdout).toContain(`# for the node ${devAccount(0).address}`);

    const dir = await mkdtemp(join(tmpdir(), "connext-nats-config-"));
    try {
      const out = join(dir, "nats.conf");
      const written = await run([
        "nats-config",
        "--out",
        out,
        "--listen-port",
        "4333",
        "--cluster-port",
        "6333",
        "--routes",
        "10.0.0.2:6333,10.0.0.3:6333",
      ]);
      expect(written).toEqual({ exitCode: 0, stdout: `${out}\n`, stderr: "" });
      const text = await readFile(out, "utf8");
      expect(text).toContain("port: 4333");
      expect(text).toContain(
        'routes: ["nats-route://10.0.0.2:6333", "nats-route://10.0.0.3:6333"]',
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("bad invocations: one line, exit 2", async () => {
    const cases: [string[], Record<string, string> | undefined, string][] = [
      [["nats-config"], {}, "NODE_PRIVATE_KEY or NODE_MNEMONIC"],
      [["nats-config", "--routes", "a:1"], undefined, "--routes: needs --cluster-port"],
      [["nats-config", "--listen-port", "70000"], undefined, "--listen-port: must be a port"],
      [["nats-config", "--listen-host", 'a" b'], undefined, "--listen-host: no spaces"],
    ];
    for (const [argv, env, message] of cases) {
      const result = await run(argv, env);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toStartWith(message);
      expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
      expect(result.stdout).toBe("");
    }
  });
});
