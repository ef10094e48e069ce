import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TCPSocketListener } from "bun";
import { devAccount } from "../../contracts-bindings";
import { type Anvil, startAnvil } from "../chain/anvil";
import { startConfiguredNatsServer } from "../messaging/testing/configuredNatsServer";
import { NATS_SERVER_BIN } from "../messaging/testing/natsServer";
import { freePort } from "../net/freePort";
import { CLI_FROM_SOURCE, runCliProcess } from "./testing";

// Each failure after the settings are read is one line on stderr naming the setting and the
// cause, with the README's exit code: 1 when nothing answers, 2 when the setting must change.
const tempDir = () => mkdtempSync(join(tmpdir(), "connext-fail-"));
const KEY = devAccount(0).privateKey;

let anvil: Anvil;
let bookPath: string;
let busy: TCPSocketListener<undefined>;

beforeAll(async () => {
  anvil = await startAnvil();
  const deployed = await runCliProcess(
    CLI_FROM_SOURCE,
    ["deploy", "--data-dir", tempDir(), "--log-level", "silent"],
    { env: { ETH_RPC_URL: anvil.rpcUrl, NODE_PRIVATE_KEY: KEY } },
  );
  bookPath = deployed.stdout.trim();
  // A port another process would hold: a listener of the test's own, on loopback.
  busy = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
});

afterAll(async () => {
  busy?.stop(true);
  await anvil?.stop();
});

/** `start` on the deployed contracts with `env` on top; warnings and info stay out of stderr. */
const start = (env: Record<string, string>) =>
  runCliProcess(CLI_FROM_SOURCE, ["start"], {
    env: {
      ETH_RPC_URL: anvil.rpcUrl,
      NODE_PRIVATE_KEY: KEY,
      ADDRESS_BOOK: bookPath,
      DATA_DIR: tempDir(),
      PORT: "0",
      NATS_PORT: "0",
      LOG_LEVEL: "error",
      ...env,
    },
    timeoutMs: 30_000,
  });

describe("start fails in one line naming the setting", () => {
  test("PostgreSQL down at DATABASE_URL: exit 1", async () => {
    const port = freePort();
    const run = await start({ DATABASE_URL: `postgres://node:secret@127.0.0.1:${port}/connext` });
    expect(run.stderr).toBe(
      `DATABASE_URL: no answer from postgres://node:***@127.0.0.1:${port}/connext (connection refused)\n`,
    );
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toBe("");
  });

  test("nothing at NATS_URL: exit 1", async () => {
    const port = freePort();
    const run = await start({ NATS_URL: `nats://127.0.0.1:${port}` });
    expect(run.stderr).toBe(
      `NATS_URL: no answer from nats://127.0.0.1:${port} (connection refused)\n`,
    );
    expect(run.exitCode).toBe(1);
  });

  test.skipIf(NATS_SERVER_BIN === null)(
    "NATS_URL configured for another node's account refuses the node: exit 2",
    async () => {
      const nats = await startConfiguredNatsServer(devAccount(1).privateKey);
      try {
        const run = await start({ NATS_URL: nats.url });
        expect(run.stderr).toBe(
          `NATS_URL: ${nats.url} refused the node (Authorization Violation); run it with \`connext-node nats-config\`'s configuration for this key\n`,
        );
        expect(run.exitCode).toBe(2);
      } finally {
        await nats.stop();
      }
    },
  );

  test("PORT held by another process: exit 2", async () => {
    const run = await start({ PORT: String(busy.port) });
    expect(run.stderr).toBe(
      `PORT: cannot listen on 127.0.0.1:${busy.port} (in use by another process; set PORT to a free port, or 0 for any)\n`,
    );
    expect(run.exitCode).toBe(2);
  });

  test("NATS_PORT held by another process: exit 2", async () => {
    const run = await start({ NATS_PORT: String(busy.port) });
    expect(run.stderr).toBe(
      `NATS_PORT: cannot listen on 127.0.0.1:${busy.port} (in use by another process; set NATS_PORT to a free port, or 0 for any)\n`,
    );
    expect(run.exitCode).toBe(2);
  });

  test("a DATA_DIR that cannot be created: exit 2", async () => {
    const file = join(tempDir(), "a-file");
    await Bun.write(file, "");
    const run = await start({ DATA_DIR: join(file, "data") });
    expect(run.stderr).toStartWith(`DATA_DIR: cannot create ${join(file, "data")} (`);
    expect(run.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(run.exitCode).toBe(2);
  });
});

test("migrate with PostgreSQL down at DATABASE_URL: one line, exit 1", async () => {
  const port = freePort();
  const run = await runCliProcess(CLI_FROM_SOURCE, ["migrate"], {
    env: { DATABASE_URL: `postgres://127.0.0.1:${port}/connext`, DATA_DIR: tempDir() },
  });
  expect(run.stderr).toBe(
    `DATABASE_URL: no answer from postgres://127.0.0.1:${port}/connext (connection refused)\n`,
  );
  expect(run.exitCode).toBe(1);
});
