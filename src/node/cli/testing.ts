import { join } from "node:path";

/** `bun src/node/cli/main.ts`: the CLI from source. */
export const CLI_FROM_SOURCE = [process.execPath, join(import.meta.dir, "main.ts")];

/** The repository's node_modules/.bin, where anvil is installed. */
export const REPO_BIN = join(import.meta.dir, "../../../node_modules/.bin");

export interface CliRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  /** The whole environment: nothing of the test process's leaks in except PATH and HOME. */
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
}

/** Runs the CLI (`command` + `args`) to completion as a subprocess. */
export async function runCliProcess(
  command: string[],
  args: string[],
  options: CliRunOptions = {},
): Promise<CliRun> {
  const proc = Bun.spawn([...command, ...args], {
    cwd: options.cwd,
    env: cliEnv(options.env),
    stdout: "pipe",
    stderr: "pipe",
    timeout: options.timeoutMs ?? 60_000,
  });
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { exitCode, stdout, stderr };
}

/** A clean environment for the CLI, so settings in the developer's shell do not leak in. */
export function cliEnv(env: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: `${REPO_BIN}:${process.env.PATH ?? ""}`,
    HOME: process.env.HOME ?? "/tmp",
    ...env,
  };
}

/** pino's JSON lines from stderr (other lines skipped). */
export function logLines(stderr: string): Record<string, unknown>[] {
  return stderr
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The first line a stream carries, as soon as its newline arrives; null if it ends first. */
export async function readFirstLine(stream: ReadableStream<Uint8Array>): Promise<string | null> {
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of stream) {
    text += decoder.decode(chunk, { stream: true });
    const end = text.indexOf("\n");
    if (end >= 0) return text.slice(0, end);
  }
  return null;
}

/** `dev` or `start` as a process, up and serving (or exited before it was). */
export interface ServingCli {
  proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  /** The line printed once serving; null when it exited first. */
  ready: string | null;
  /** stderr so far. */
  stderr(): string;
  /** Sends SIGINT and resolves with the exit code once it has stopped. */
  stop(): Promise<number>;
}

/**
 * Spawns the CLI and waits until it prints its ready line or exits. stderr is drained as it
 * comes, so a chatty node never blocks on a full pipe.
 */
export async function spawnServing(
  command: string[],
  args: string[],
  env: Record<string, string>,
): Promise<ServingCli> {
  const proc = Bun.spawn([...command, ...args], {
    env: cliEnv(env),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let stderr = "";
  const decoder = new TextDecoder();
  const drained = (async () => {
    for await (const chunk of proc.stderr) stderr += decoder.decode(chunk, { stream: true });
  })();
  const ready = await readFirstLine(proc.stdout);
  if (ready === null) {
    await proc.exited;
    await drained;
  }
  return {
    proc,
    ready,
    stderr: () => stderr,
    async stop() {
      proc.kill("SIGINT");
      const code = await proc.exited;
      await drained;
      return code;
    },
  };
}
