import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatUnits, JsonRpcProvider } from "ethers";
import { devAccount, parseAddressBook, TestToken__factory } from "../../contracts-bindings";
import { type Anvil, startAnvil } from "../chain/anvil";
import { freePort } from "../net/freePort";
import { COMMAND_NAMES, SETTINGS, settingsOf } from "./settingTable";
import { CLI_FROM_SOURCE, logLines, readFirstLine, runCliProcess } from "./testing";

const cli = (args: string[], env: Record<string, string> = {}) =>
  runCliProcess(CLI_FROM_SOURCE, args, { env });
const tempDir = () => mkdtempSync(join(tmpdir(), "connext-cli-"));
const KEY = devAccount(0).privateKey;

describe("help and usage", () => {
  test("--help lists every command and every setting with its flag, variable and default", async () => {
    const run = await cli(["--help"]);
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toBe("");
    for (const name of COMMAND_NAMES) expect(run.stdout).toContain(`  ${name} `);
    for (const spec of Object.values(SETTINGS)) {
      expect(run.stdout).toMatch(new RegExp(`--${spec.flag} \\S+ +${spec.env} +default: `));
    }
  });

  for (const name of COMMAND_NAMES) {
    test(`${name} --help lists its settings`, async () => {
      const run = await cli([name, "-h"]);
      expect(run.exitCode).toBe(0);
      expect(run.stdout).toStartWith(`connext-node ${name}: `);
      for (const key of settingsOf(name)) {
        const spec = SETTINGS[key];
        expect(run.stdout).toMatch(new RegExp(`--${spec.flag} \\S+ +${spec.env} +default: `));
      }
    });
  }

  test("dev --help says where anvil comes from", async () => {
    const run = await cli(["dev", "--help"]);
    expect(run.stdout).toContain("node_modules/.bin");
    expect(run.stdout).toContain("PATH");
  });

  test("deploy --help shows its own options", async () => {
    const run = await cli(["deploy", "--help"]);
    expect(run.stdout).toContain("--out <file>");
    expect(run.stdout).toContain("--test-token");
  });

  test("--version prints the package version", async () => {
    const run = await cli(["--version"]);
    expect(run.exitCode).toBe(0);
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  test("no command prints help to stderr and exits 2", async () => {
    const run = await cli([]);
    expect(run.exitCode).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("Usage: connext-node <command>");
  });

  test("an unknown command is one line, exit 2", async () => {
    const run = await cli(["serve"]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toBe(
      'unknown command "serve": commands are dev, start, deploy, migrate, dispute, nats-config (see --help)\n',
    );
  });

  test("an unknown flag is one line, exit 2", async () => {
    const run = await cli(["dev", "--prot", "3000"]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toBe('dev: unknown option "--prot" (see connext-node dev --help)\n');
  });

  test("a flag of another command is unknown here", async () => {
    const run = await cli(["migrate", "--port", "3000"]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toBe('migrate: unknown option "--port" (see connext-node migrate --help)\n');
  });

  test("a positional argument is one line, exit 2", async () => {
    const run = await cli(["migrate", "now"]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(run.stderr).toContain('unexpected argument "now"');
  });
});

describe("settings errors", () => {
  test("start without ETH_RPC_URL exits 2 naming it", async () => {
    const run = await cli(["start"], { NODE_PRIVATE_KEY: KEY, ADDRESS_BOOK: "/nowhere.json" });
    expect(run.exitCode).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe('ETH_RPC_URL: "start" needs it (or --eth-rpc-url)\n');
  });

  test("a wrong value exits 2 with the one line naming it", async () => {
    const run = await cli(["dev", "--port", "http"]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toBe('--port: must be a port number from 0 to 65535, got "http"\n');
  });

  test("start with an unreadable address book names ADDRESS_BOOK", async () => {
    const missing = join(tempDir(), "book.json");
    const run = await cli(["start", "--address-book", missing], {
      ETH_RPC_URL: "http://127.0.0.1:1",
      NODE_PRIVATE_KEY: KEY,
    });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toBe(`ADDRESS_BOOK: cannot read ${missing} (ENOENT)\n`);
  });
});

describe("migrate", () => {
  test("creates PGlite in the data dir, applies every migration once", async () => {
    const dataDir = tempDir();
    const first = await cli(["migrate", "--data-dir", dataDir, "--log-level", "silent"]);
    expect(first.exitCode).toBe(0);
    expect(first.stderr).toBe("");
    const pglite = join(dataDir, "pglite");
    // Every migration of the journal, in order (drizzle/meta/_journal.json).
    const journal = JSON.parse(
      readFileSync(join(import.meta.dir, "../../../drizzle/meta/_journal.json"), "utf8"),
    ) as { entries: { tag: string }[] };
    const tags = journal.entries.map((entry) => entry.tag);
    expect(tags.slice(0, 4)).toEqual([
      "0000_init",
      "0001_routing",
      "0002_disputes",
      "0003_withdrawals",
    ]);
    const count = tags.length;
    expect(first.stdout).toBe(
      [
        ...tags.map((tag) => `applied ${tag}`),
        `${pglite}: schema up to date (${count} migrations, ${count} applied now)`,
        "",
      ].join("\n"),
    );
    expect(existsSync(join(pglite, "PG_VERSION"))).toBe(true);

    const second = await cli(["migrate"], { DATA_DIR: dataDir, LOG_LEVEL: "silent" });
    expect(second.exitCode).toBe(0);
    expect(second.stdout).toBe(
      `${pglite}: schema up to date (${count} migrations, 0 applied now)\n`,
    );
  });
});

describe("against anvil", () => {
  let anvil: Anvil;
  let provider: JsonRpcProvider;

  beforeAll(async () => {
    anvil = await startAnvil();
    provider = new JsonRpcProvider(anvil.rpcUrl, anvil.chainId, { staticNetwork: true });
  });

  afterAll(async () => {
    provider?.destroy();
    await anvil?.stop();
  });

  test("deploy writes a parseable address book whose contracts have code", async () => {
    const out = join(tempDir(), "nested", "book.json");
    const run = await cli(["deploy", "--test-token", "--out", out], {
      ETH_RPC_URL: anvil.rpcUrl,
      NODE_PRIVATE_KEY: KEY,
    });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toBe(`${out}\n`);
    const book = parseAddressBook(JSON.parse(readFileSync(out, "utf8")));
    expect(book.chainId).toBe(anvil.chainId);
    expect(book.testToken).toBeDefined();
    for (const [name, address] of Object.entries(book)) {
      if (name === "chainId") continue;
      expect(await provider.getCode(address as string)).not.toBe("0x");
    }
    expect(logLines(run.stderr).map((line) => line.msg)).toContain("deployed");
  });

  test("deploy writes DATA_DIR/address-book.json by default, without the token unless asked", async () => {
    const dataDir = tempDir();
    const run = await cli(["deploy", "--data-dir", dataDir, "--log-level", "warn"], {
      ETH_RPC_URL: anvil.rpcUrl,
      NODE_MNEMONIC: "test test test test test test test test test test test junk",
    });
    expect(run.exitCode).toBe(0);
    const path = join(dataDir, "address-book.json");
    expect(run.stdout).toBe(`${path}\n`);
    expect(parseAddressBook(JSON.parse(readFileSync(path, "utf8"))).testToken).toBeUndefined();
  });

  test("deploy with an unfunded key fails in one line", async () => {
    const run = await cli(["deploy", "--data-dir", tempDir()], {
      ETH_RPC_URL: anvil.rpcUrl,
      NODE_PRIVATE_KEY: `0x${"42".repeat(32)}`,
    });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(
      /^NODE_PRIVATE_KEY: 0x[0-9a-fA-F]{40} has no ETH on chain id 31337 /,
    );
    expect(run.stderr.trimEnd().split("\n")).toHaveLength(1);
  });

  test("start refuses an address book of another chain", async () => {
    const dir = tempDir();
    const deployed = await cli(["deploy", "--data-dir", dir, "--log-level", "silent"], {
      ETH_RPC_URL: anvil.rpcUrl,
      NODE_PRIVATE_KEY: KEY,
    });
    const path = deployed.stdout.trim();
    const book = JSON.parse(readFileSync(path, "utf8"));
    writeFileSync(path, JSON.stringify({ ...book, chainId: 1 }));
    const run = await cli(["start", "--address-book", path], {
      ETH_RPC_URL: anvil.rpcUrl.replace("http", "ws"),
      NODE_PRIVATE_KEY: KEY,
    });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toBe(
      `ADDRESS_BOOK: it is for chain id 1, but ETH_RPC_URL is on chain id ${anvil.chainId}\n`,
    );
  });

  test("start refuses an address book whose contracts are not on the chain", async () => {
    const path = join(tempDir(), "book.json");
    const nowhere = "0x000000000000000000000000000000000000dEaD";
    writeFileSync(
      path,
      JSON.stringify({
        chainId: anvil.chainId,
        channelFactory: nowhere,
        channelMastercopy: nowhere,
        transferRegistry: nowhere,
        hashlockTransfer: nowhere,
        withdraw: nowhere,
        threadTransfer: nowhere,
      }),
    );
    const run = await cli(["start", "--address-book", path, "--eth-rpc-url", anvil.rpcUrl], {
      NODE_PRIVATE_KEY: KEY,
    });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toBe(
      `ADDRESS_BOOK: no contract at channelFactory ${nowhere} on chain id ${anvil.chainId}\n`,
    );
  });

  test("dev on ETH_RPC_URL deploys, mints to the dev accounts and writes the address book", async () => {
    const dataDir = tempDir();
    const proc = Bun.spawn([...CLI_FROM_SOURCE, "dev"], {
      env: {
        PATH: process.env.PATH ?? "",
        ETH_RPC_URL: anvil.rpcUrl,
        DATA_DIR: dataDir,
        PORT: "0",
        NATS_PORT: "0",
      },
      stdout: "pipe",
      stderr: "pipe",
    });
    // Today startNode may refuse ("not assembled yet"); the chain work before it is what is
    // checked here, and a node that does come up is stopped with SIGINT.
    const ready = await readFirstLine(proc.stdout);
    if (ready !== null) {
      expect(ready).toMatch(/^connext-node dev: http:\/\/127\.0\.0\.1:\d+ · messaging /);
      proc.kill("SIGINT");
    }
    const exitCode = await proc.exited;
    const stderr = await new Response(proc.stderr).text();
    if (ready !== null) expect(exitCode).toBe(0);
    else expect(stderr).toContain("not assembled yet");

    const book = parseAddressBook(
      JSON.parse(readFileSync(join(dataDir, "address-book.json"), "utf8")),
    );
    expect(book.testToken).toBeDefined();
    const token = TestToken__factory.connect(book.testToken as string, provider);
    for (let index = 0; index < 10; index++) {
      const balance = await token.balanceOf(devAccount(index).address);
      expect(formatUnits(balance, 18)).toBe("1000000.0");
    }
  });

  test("start serves on a deployed address book and stops on SIGTERM", async () => {
    const dataDir = tempDir();
    const deployed = await cli(["deploy", "--data-dir", dataDir, "--log-level", "silent"], {
      ETH_RPC_URL: anvil.rpcUrl,
      NODE_PRIVATE_KEY: KEY,
    });
    const proc = Bun.spawn([...CLI_FROM_SOURCE, "start", "--port", "0", "--nats-port", "0"], {
      env: {
        PATH: process.env.PATH ?? "",
        ETH_RPC_URL: anvil.rpcUrl,
        NODE_PRIVATE_KEY: KEY,
        ADDRESS_BOOK: deployed.stdout.trim(),
        DATA_DIR: join(dataDir, "not-yet-there"),
      },
      stdout: "pipe",
      stderr: "pipe",
    });
    const ready = await readFirstLine(proc.stdout);
    if (ready === null) throw new Error(await new Response(proc.stderr).text());
    expect(ready).toMatch(/^connext-node start: http:\/\/127\.0\.0\.1:\d+ · messaging nats:\/\//);
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
    const messages = logLines(await new Response(proc.stderr).text()).map((line) => line.msg);
    expect(messages).toContain("COLLATERAL is not set: native coin only, collateral just in time");
    expect(messages).toContain("stopping");
    expect(existsSync(join(dataDir, "not-yet-there", "pglite"))).toBe(true);
  });

  test("start on an RPC that does not answer fails in one line", async () => {
    const dir = tempDir();
    const deployed = await cli(["deploy", "--data-dir", dir, "--log-level", "silent"], {
      ETH_RPC_URL: anvil.rpcUrl,
      NODE_PRIVATE_KEY: KEY,
    });
    const dead = `http://127.0.0.1:${freePort()}`;
    const run = await cli(["start", "--address-book", deployed.stdout.trim()], {
      ETH_RPC_URL: dead,
      NODE_PRIVATE_KEY: KEY,
    });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toStartWith(`ETH_RPC_URL: no answer from ${dead} (`);
    expect(run.stderr.trimEnd().split("\n")).toHaveLength(1);
  });
});
