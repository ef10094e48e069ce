import { existsSync } from "node:fs";
import { chown, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../net/freePort";

/**
 * A throwaway PostgreSQL for tests: Debian's server binaries, a fresh cluster in a temp dir,
 * listening on 127.0.0.1 on a free port, trust auth. PostgreSQL refuses to run as root, so as
 * root the cluster belongs to the `postgres` OS user and runs as it.
 */

export const POSTGRES_BIN = process.env.POSTGRES_BIN ?? "/usr/lib/postgresql/15/bin";
export const POSTGRES_MISSING =
  `PostgreSQL server binaries not found in ${POSTGRES_BIN} (install the Debian package ` +
  "`postgresql`, or set POSTGRES_BIN): the PostgreSQL half of the store tests is SKIPPED.";

export function postgresAvailable(): boolean {
  return existsSync(join(POSTGRES_BIN, "initdb")) && existsSync(join(POSTGRES_BIN, "postgres"));
}

export interface PostgresServer {
  url: string;
  stop(): Promise<void>;
}

const SETPRIV = Bun.which("setpriv");
const isRoot = process.getuid?.() === 0;

/** PostgreSQL refuses root: as `postgres` when we are root; killed by the kernel with us where setpriv exists. */
export function asServerUser(command: string[], dieWithUs = false): string[] {
  if (SETPRIV === null) return isRoot ? ["runuser", "-u", "postgres", "--", ...command] : command;
  const user = isRoot ? ["--reuid=postgres", "--regid=postgres", "--init-groups"] : [];
  const death = dieWithUs ? ["--pdeathsig", "KILL"] : [];
  return [SETPRIV, ...user, ...death, "--", ...command];
}

async function run(command: string[]): Promise<void> {
  const proc = Bun.spawn(command, { stdout: "pipe", stderr: "pipe" });
  if ((await proc.exited) !== 0) {
    const stderr = await new Response(proc.stderr).text();
    throw new Error(`${command.join(" ")} failed: ${stderr.trim()}`);
  }
}

export async function startPostgres(): Promise<PostgresServer> {
  const dir = await mkdtemp(join(tmpdir(), "store-pg-"));
  const data = join(dir, "data");
  if (isRoot) {
    const { uid, gid } = await userIds("postgres");
    await chown(dir, uid, gid);
  }
  await run(
    asServerUser([join(POSTGRES_BIN, "initdb"), "-D", data, "-U", "postgres", "-A", "trust"]),
  );
  const port = freePort();
  // The server runs in the foreground as our child (not daemonised by pg_ctl), so it dies
  // with the test process; fsync off because the cluster is thrown away.
  const server = Bun.spawn(
    asServerUser(
      [
        join(POSTGRES_BIN, "postgres"),
        "-D",
        data,
        "-p",
        String(port),
        "-k",
        dir,
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        "fsync=off",
      ],
      true,
    ),
    { stdin: "ignore", stdout: "ignore", stderr: "pipe" },
  );
  const stop = async () => {
    server.kill("SIGINT"); // fast shutdown
    await Promise.race([server.exited, Bun.sleep(5000)]);
    if (server.exitCode === null) server.kill("SIGKILL");
    await server.exited;
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitReady(port, () => server.exitCode === null);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, stop };
}

async function waitReady(port: number, alive: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error("postgres exited during start-up");
    const probe = Bun.spawn(
      [join(POSTGRES_BIN, "pg_isready"), "-h", "127.0.0.1", "-p", String(port)],
      { stdout: "ignore", stderr: "ignore" },
    );
    if ((await probe.exited) === 0) return;
    await Bun.sleep(100);
  }
  throw new Error(`postgres did not accept connections on port ${port} within 30 s`);
}

async function userIds(name: string): Promise<{ uid: number; gid: number }> {
  const ids = async (flag: string) => {
    const proc = Bun.spawn(["id", flag, name], { stdout: "pipe" });
    return Number((await new Response(proc.stdout).text()).trim());
  };
  return { uid: await ids("-u"), gid: await ids("-g") };
}
