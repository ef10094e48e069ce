import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { freePort } from "../net/freePort";

/** A running local anvil chain. */
export interface Anvil {
  /** JSON-RPC over HTTP, on loopback. */
  rpcUrl: string;
  port: number;
  chainId: number;
  /** Stops the chain and waits for the process to exit. */
  stop(): Promise<void>;
}

export interface StartAnvilOptions {
  /** Port on 127.0.0.1; a free one is picked when absent. */
  port?: number;
  chainId?: number;
  /** Seconds between blocks; absent means a block per transaction. */
  blockTime?: number;
  /** How long to wait for the RPC to answer. */
  startTimeoutMs?: number;
  /**
   * A file the chain is loaded from when it exists and written to when anvil stops (anvil's
   * `--state`), so a restarted anvil carries on the same chain: same genesis, blocks, contracts.
   */
  statePath?: string;
  /** With `statePath`: also write it every this many seconds, so a killed anvil loses little. */
  stateIntervalSeconds?: number;
}

/** ANVIL_NOT_FOUND: no binary anywhere it is looked for; ANVIL_START_FAILED: it did not come up. */
export type AnvilErrorCode = "ANVIL_NOT_FOUND" | "ANVIL_START_FAILED";

export class AnvilError extends Error {
  override readonly name = "AnvilError";

  constructor(
    readonly code: AnvilErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Where the anvil binary is: node_modules/.bin (from the working directory or this file up), or PATH. */
export function findAnvil(): string {
  const candidates: string[] = [];
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    candidates.push(join(dir, "node_modules/.bin/anvil"));
    if (dirname(dir) === dir) break;
  }
  for (let dir = import.meta.dir; ; dir = dirname(dir)) {
    candidates.push(join(dir, "node_modules/.bin/anvil"));
    if (dirname(dir) === dir) break;
  }
  const found = candidates.find((path) => existsSync(path)) ?? Bun.which("anvil");
  if (!found) {
    // What to do about it depends on how the caller runs (from source or a compiled binary).
    throw new AnvilError("ANVIL_NOT_FOUND", "anvil not found in node_modules/.bin or on PATH");
  }
  return found;
}

/** Starts anvil on loopback and resolves once its RPC answers. */
export async function startAnvil(options: StartAnvilOptions = {}): Promise<Anvil> {
  const port = options.port ?? freePort();
  const chainId = options.chainId ?? 31337;
  const args = [findAnvil(), "--host", "127.0.0.1", "--port", String(port)];
  args.push("--chain-id", String(chainId), "--silent");
  if (options.blockTime) args.push("--block-time", String(options.blockTime));
  if (options.statePath) {
    args.push("--state", options.statePath);
    if (options.stateIntervalSeconds) {
      args.push("--state-interval", String(options.stateIntervalSeconds));
    }
  }

  const proc = Bun.spawn(args, { stdout: "ignore", stderr: "pipe" });
  const rpcUrl = `http://127.0.0.1:${port}`;
  const stop = async () => {
    proc.kill();
    await proc.exited;
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 15_000);
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) {
      const stderr = await new Response(proc.stderr).text();
      throw new AnvilError(
        "ANVIL_START_FAILED",
        `anvil exited with code ${proc.exitCode}: ${stderr.trim()}`,
      );
    }
    if (await rpcAnswers(rpcUrl)) return { rpcUrl, port, chainId, stop };
    await Bun.sleep(50);
  }
  await stop();
  throw new AnvilError(
    "ANVIL_START_FAILED",
    `anvil did not answer on ${rpcUrl} within the start timeout`,
  );
}

/** Whether a JSON-RPC endpoint answers `eth_chainId`. */
export async function rpcAnswers(rpcUrl: string): Promise<boolean> {
  try {
    const response = await fetch(rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
    });
    return response.ok;
  } catch {
    return false;
  }
}
