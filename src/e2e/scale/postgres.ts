import { chown, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { freePort } from "../../node/net/freePort";
import { asServerUser, POSTGRES_BIN } from "../../node/store/testing/postgresServer";

/**
 * A throwaway PostgreSQL that can be stopped and started again on the same data directory
 * and port, as an operator's restart would: what the restart fault test needs (the store's
 * own test server lives and dies in one piece).
 */
export interface RestartablePostgres {
  url: string;
  /** A fast shutdown (SIGINT): sessions are cut, committed data stays. */
  stopServer(): Promise<void>;
  /** Starts it again on the same data and port; resolves once it accepts connections. */
  startServer(): Promise<void>;
  stop(): Promise<void>;
}

export class PostgresStartError extends Error {
  override name = "PostgresStartError";
}

const isRoot = process.getuid?.() === 0;

export async function startRestartablePostgres(): Promise<RestartablePostgres> {
  const dir = await mkdtemp(join(tmpdir(), "scale-pg-"));
  const data = join(dir, "data");
  if (isRoot) {
    const ids = async (flag: string) =>
      Number((await new Response(Bun.spawn(["id", flag, "postgres"]).stdout).text()).trim());
    await chown(dir, await ids("-u"), await ids("-g"));
  }
  const initdb = Bun.spawn(
    asServerUser([join(POSTGRES_BIN, "initdb"), "-D", data, "-U", "postgres", "-A", "trust"]),
    { stdout: "ignore", stderr: "pipe" },
  );
  if ((await initdb.exited) !== 0) {
    throw new PostgresStartError(`initdb failed: ${await new Response(initdb.stderr).text()}`);
  }
  const port = freePort();
  let server: Subprocess<"ignore", "ignore", "ignore"> | undefined;

  const startServer = async () => {
    if (server) return;
    // Three node processes with their pools: more connections than the default 100 allows.
    const args = ["-D", data, "-p", String(port), "-k", dir, "-c", "listen_addresses=127.0.0.1"];
    const tuning = ["-c", "max_connections=300", "-c", "fsync=off"];
    server = Bun.spawn(asServerUser([join(POSTGRES_BIN, "postgres"), ...args, ...tuning], true), {
      stdin: "ignore",
      stdout: "ignore",
      stderr: "ignore",
    });
    const running = server;
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (running.exitCode !== null) throw new PostgresStartError("postgres exited at start-up");
      const probe = Bun.spawn(
        [join(POSTGRES_BIN, "pg_isready"), "-h", "127.0.0.1", "-p", String(port)],
        { stdout: "ignore", stderr: "ignore" },
      );
      if ((await probe.exited) === 0) return;
      if (Date.now() > deadline) throw new PostgresStartError(`postgres not ready on ${port}`);
      await Bun.sleep(100);
    }
  };
  const stopServer = async () => {
    const running = server;
    server = undefined;
    if (!running) return;
    running.kill("SIGINT");
    await Promise.race([running.exited, Bun.sleep(10_000)]);
    if (running.exitCode === null) running.kill("SIGKILL");
    await running.exited;
  };
  await startServer();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stopServer,
    startServer,
    async stop() {
      await stopServer();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
