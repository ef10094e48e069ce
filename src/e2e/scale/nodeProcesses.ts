import { readFileSync } from "node:fs";
import type { Subprocess } from "bun";
import { CLI_FROM_SOURCE, cliEnv, readFirstLine } from "../../node/cli/testing";

/**
 * One `connext-node start` process of a scale-out deployment: its own HTTP port and data
 * directory, the shared database and NATS cluster from `env`. A child process, so a test can
 * SIGKILL it and start it again on the same port.
 */
export interface NodeProcess {
  readonly index: number;
  readonly httpUrl: string;
  readonly running: boolean;
  start(): Promise<void>;
  /** SIGKILL: no shutdown, work in flight is cut off. */
  kill(): Promise<void>;
  /** SIGTERM: a clean shutdown. */
  stop(): Promise<void>;
  /** The process's CPU time so far (user + system), from /proc; 0 when not running. */
  cpuMs(): number;
  /** The tail of its stderr (its logs), for a failure's message. */
  log(): string;
}

export class NodeProcessError extends Error {
  override name = "NodeProcessError";
}

const START_TIMEOUT_MS = 30_000;

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks. */
const TICKS_PER_SECOND = 100;

export function nodeProcess(index: number, port: number, env: Record<string, string>): NodeProcess {
  let proc: Subprocess<"ignore", "pipe", "pipe"> | undefined;
  const stderr = { text: "" };
  return {
    index,
    httpUrl: `http://127.0.0.1:${port}`,
    get running() {
      return proc !== undefined && alive(proc);
    },
    async start() {
      if (proc && alive(proc)) return;
      const started = Bun.spawn([...CLI_FROM_SOURCE, "start"], {
        env: cliEnv({ ...env, PORT: String(port), HOST: "127.0.0.1" }),
        stdin: "ignore",
        stdout: "pipe",
        stderr: "pipe",
      });
      proc = started;
      drainInto(started.stderr, stderr);
      // Bounded: a node that hangs at start-up fails the test with its log, not a timeout.
      const line = await Promise.race([
        readFirstLine(started.stdout),
        Bun.sleep(START_TIMEOUT_MS).then(() => `no ready line within ${START_TIMEOUT_MS} ms`),
      ]);
      if (!line?.includes("http://")) {
        started.kill("SIGKILL");
        await started.exited;
        throw new NodeProcessError(`node ${index} did not come up: ${line}\n${stderr.text}`);
      }
    },
    async kill() {
      proc?.kill("SIGKILL");
      await proc?.exited;
    },
    async stop() {
      proc?.kill("SIGTERM");
      await proc?.exited;
    },
    cpuMs() {
      if (!proc || !alive(proc)) return 0;
      try {
        // Fields after the command's closing parenthesis; utime and stime are the 12th, 13th.
        const stat = readFileSync(`/proc/${proc.pid}/stat`, "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
      } catch {
        return 0;
      }
    },
    log: () => stderr.text,
  };
}

/** Not exited: a process killed by a signal has no exit code, only a signal code. */
function alive(proc: Subprocess): boolean {
  return proc.exitCode === null && proc.signalCode === null;
}

function drainInto(stream: ReadableStream<Uint8Array>, sink: { text: string }): void {
  const decoder = new TextDecoder();
  (async () => {
    for await (const chunk of stream)
      sink.text = (sink.text + decoder.decode(chunk)).slice(-20_000);
  })().catch(() => {});
}
