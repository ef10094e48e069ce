import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { ZeroAddress } from "ethers";
import { CLI_FROM_SOURCE, cliEnv, readFirstLine } from "../node/cli/testing";
import { ADMIN_TOKEN, type Stack } from "./stack";

/**
 * The stack's node as a process of its own (`connext-node start`) on the same data and ports,
 * for tests that kill it with SIGKILL: `start()` brings it up, `kill()` ends it at once.
 */
export interface NodeProcess {
  start(): Promise<void>;
  kill(): Promise<void>;
}

export async function nodeAsProcess(stack: Stack): Promise<NodeProcess> {
  const { port } = new URL(stack.node.httpUrl);
  const natsPort = new URL(stack.node.messagingUrl).port;
  await stack.node.stop();
  const bookPath = join(stack.settings.dataDir, "address-book.json");
  await writeFile(bookPath, JSON.stringify(stack.book));
  const env = {
    ETH_RPC_URL: stack.anvil.rpcUrl,
    NODE_PRIVATE_KEY: stack.settings.privateKey,
    ADDRESS_BOOK: bookPath,
    DATA_DIR: stack.settings.dataDir,
    PORT: port,
    NATS_PORT: natsPort,
    ADMIN_TOKEN,
    LOG_LEVEL: "warn",
    // A production stack: the process joins its PostgreSQL and NATS (several node processes).
    ...(stack.settings.databaseUrl ? { DATABASE_URL: stack.settings.databaseUrl } : {}),
    ...(stack.settings.natsUrl ? { NATS_URL: stack.settings.natsUrl } : {}),
    COLLATERAL: JSON.stringify({
      [ZeroAddress]: { target: "1000000000000000000", reclaimThreshold: "50000000000000000000" },
    }),
  };
  let process: Subprocess<"ignore", "pipe", "pipe"> | undefined;
  return {
    async start() {
      process = Bun.spawn([...CLI_FROM_SOURCE, "start"], {
        env: cliEnv(env),
        stdin: "ignore",
        stdout: "pipe",
        stderr: "pipe",
      });
      // Drained as it comes, so a chatty node never blocks on a full pipe; shown if it fails.
      const stderr = drain(process.stderr);
      const line = await readFirstLine(process.stdout);
      if (!line?.includes("http://")) {
        process.kill("SIGKILL");
        await process.exited;
        throw new Error(`connext-node start did not come up: ${line}\n${stderr.text}`);
      }
    },
    async kill() {
      process?.kill("SIGKILL");
      await process?.exited;
    },
  };
}

function drain(stream: ReadableStream<Uint8Array>): { text: string } {
  const sink = { text: "" };
  const decoder = new TextDecoder();
  (async () => {
    for await (const chunk of stream)
      sink.text = (sink.text + decoder.decode(chunk)).slice(-20_000);
  })().catch(() => {});
  return sink;
}
