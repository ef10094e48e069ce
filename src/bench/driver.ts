// The bench process and its client-driver subprocess (clientDriver.ts): what they say to each
// other over Bun's IPC channel, and the bench's handle on the driver. The clients run in their
// own process so their CPU work (signing, ECIES, validation) does not share the node's event
// loop: the numbers are the node's, not the node's and 2×N clients'.
import { join } from "node:path";
import { parseEther } from "ethers";
import type { BenchAccount } from "./accounts";
import type { MinuteSummary, RunSummary } from "./stats";

/** Small against the node's 1 ETH collateral target, so top-ups mid-run are rare. */
export const AMOUNT = parseEther("0.0001");
/** Each payer's channel deposit: 20,000 payments. */
export const DEPOSIT = parseEther("2");
/** The clients' `completionTimeoutMs`. */
export const COMPLETION_TIMEOUT_MS = 5_000;

/** A run's summary as it crosses the process boundary. */
export interface RunReport {
  pairs: number;
  completed: number;
  wallMs: number;
  latenciesMs: number[];
  failures: [reason: string, count: number][];
  /** The client-driver process's CPU time over the run, milliseconds. */
  clientCpuMs?: number;
}

/** A soak minute as it crosses the process boundary. */
export interface MinuteReport extends Omit<MinuteSummary, "failures"> {
  failures: [reason: string, count: number][];
}

export type ToDriver =
  /** Connect 2×`pairs` clients (payer, payee, payer, …), deposit, one payment per pair. */
  | { type: "setup"; nodeUrl: string; ethRpcUrl: string; accounts: BenchAccount[]; pairs: number }
  /** The first `pairs` pairs pay concurrently for `seconds`. */
  | { type: "run"; pairs: number; seconds: number }
  /**
   * A soak: the first `pairs` pairs pay at `rate` payments/s in all (open loop: each payment
   * starts on schedule, round-robin over the pairs, whether or not earlier ones have ended) for
   * `minutes`; a "minute" message at the end of each minute, then the whole run's "result".
   */
  | { type: "soak"; pairs: number; minutes: number; rate: number }
  /** Each of the first `pairs` payers opens one thread of `lock` wei to its payee. */
  | { type: "openThreads"; pairs: number; lock: string }
  /** The first `pairs` pairs pay vouchers of `step` wei for `seconds`, `window` in flight each. */
  | { type: "runThreads"; pairs: number; seconds: number; window: number; step: string }
  /** Closes every open thread (payees close even pairs, payers odd) and checks the sums. */
  | { type: "closeThreads" }
  /** Close the clients and exit. */
  | { type: "stop" };

export type FromDriver =
  /** Listening: the parent may send. */
  | { type: "started" }
  | { type: "progress"; message: string }
  | { type: "ready" }
  | { type: "result"; report: RunReport }
  /** During a soak: one minute's counts (not a reply: the soak's reply is its "result"). */
  | { type: "minute"; report: MinuteReport }
  /** Threads closed; `mismatches`: one line per thread whose payee did not get what was paid. */
  | { type: "threadsClosed"; closed: number; paid: string; mismatches: string[] }
  | { type: "error"; message: string };

export function toReport(summary: RunSummary): RunReport {
  return { ...summary, failures: [...summary.failures] };
}

export function fromReport(report: RunReport): RunSummary {
  return { ...report, failures: new Map(report.failures) };
}

export function toMinuteReport(minute: MinuteSummary): MinuteReport {
  return { ...minute, failures: [...minute.failures] };
}

type Reply = Exclude<FromDriver, { type: "progress" } | { type: "error" } | { type: "minute" }>;

/**
 * The bench's end of one client-driver subprocess. One request at a time; the driver's progress
 * messages go to `onProgress`. Should the driver die, the outstanding request fails; should the
 * bench die, the driver sees its IPC channel close and exits.
 */
export class ClientDriver {
  private pending?: { resolve(reply: Reply): void; reject(error: Error): void };
  private exitedWith?: string;
  private onMinute?: (minute: MinuteSummary) => void;

  private constructor(
    private readonly child: Bun.Subprocess<"ignore", "inherit", "inherit">,
    private readonly onProgress: (message: string) => void,
  ) {}

  /** `runtimeFlags`: for bun itself, before the script (e.g. `--cpu-prof`). */
  static async start(
    onProgress: (message: string) => void,
    runtimeFlags: string[] = [],
  ): Promise<ClientDriver> {
    let driver: ClientDriver | undefined;
    const early: FromDriver[] = [];
    const child = Bun.spawn({
      cmd: [process.execPath, ...runtimeFlags, join(import.meta.dir, "clientDriver.ts")],
      stdio: ["ignore", "inherit", "inherit"],
      ipc(message: FromDriver) {
        if (driver) driver.receive(message);
        else early.push(message);
      },
      onExit(_child, exitCode, signalCode) {
        const how = signalCode ? `signal ${signalCode}` : `code ${exitCode}`;
        if (driver) driver.exited(how);
      },
    });
    driver = new ClientDriver(child, onProgress);
    const started = driver.expect("started");
    for (const message of early) driver.receive(message);
    await started;
    return driver;
  }

  get pid(): number {
    return this.child.pid;
  }

  async setup(
    nodeUrl: string,
    ethRpcUrl: string,
    accounts: BenchAccount[],
    pairs: number,
  ): Promise<void> {
    await this.request({ type: "setup", nodeUrl, ethRpcUrl, accounts, pairs }, "ready");
  }

  async run(pairs: number, seconds: number): Promise<RunSummary> {
    const reply = await this.request({ type: "run", pairs, seconds }, "result");
    return fromReport((reply as Extract<FromDriver, { type: "result" }>).report);
  }

  /** A soak (see ToDriver "soak"); `onMinute` hears each minute as it ends. */
  async soak(
    pairs: number,
    minutes: number,
    rate: number,
    onMinute: (minute: MinuteSummary) => void,
  ): Promise<RunSummary> {
    this.onMinute = onMinute;
    try {
      const reply = await this.request({ type: "soak", pairs, minutes, rate }, "result");
      return fromReport((reply as Extract<FromDriver, { type: "result" }>).report);
    } finally {
      this.onMinute = undefined;
    }
  }

  async openThreads(pairs: number, lock: bigint): Promise<void> {
    await this.request({ type: "openThreads", pairs, lock: lock.toString() }, "ready");
  }

  /** Vouchers on the first `pairs` threads for `seconds`, `window` `pay` calls in flight each. */
  async runThreads(
    pairs: number,
    seconds: number,
    window: number,
    step: bigint,
  ): Promise<RunSummary> {
    const reply = await this.request(
      { type: "runThreads", pairs, seconds, window, step: step.toString() },
      "result",
    );
    return fromReport((reply as Extract<FromDriver, { type: "result" }>).report);
  }

  async closeThreads(): Promise<{ closed: number; paid: bigint; mismatches: string[] }> {
    const reply = (await this.request({ type: "closeThreads" }, "threadsClosed")) as Extract<
      FromDriver,
      { type: "threadsClosed" }
    >;
    return { closed: reply.closed, paid: BigInt(reply.paid), mismatches: reply.mismatches };
  }

  /** Asks the driver to close its clients and exit; kills it if it has not within 10 s. */
  async stop(): Promise<void> {
    if (this.exitedWith === undefined) {
      try {
        this.child.send({ type: "stop" } satisfies ToDriver);
      } catch {
        // the channel is already closed: the driver is on its way out
      }
    }
    const timer = setTimeout(() => {
      console.error("client driver did not exit 10 s after stop: killing it");
      this.child.kill("SIGKILL");
    }, 10_000);
    try {
      await this.child.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  private request(message: ToDriver, reply: Reply["type"]): Promise<Reply> {
    const answer = this.expect(reply);
    this.child.send(message);
    return answer;
  }

  private expect(type: Reply["type"]): Promise<Reply> {
    if (this.exitedWith !== undefined) {
      return Promise.reject(new Error(`client driver exited (${this.exitedWith})`));
    }
    if (this.pending) throw new Error("client driver: one request at a time");
    return new Promise<Reply>((resolve, reject) => {
      this.pending = {
        resolve: (reply) => {
          if (reply.type === type) resolve(reply);
          else reject(new Error(`client driver answered ${reply.type}, expected ${type}`));
        },
        reject,
      };
    });
  }

  private receive(message: FromDriver): void {
    if (message.type === "progress") {
      this.onProgress(message.message);
      return;
    }
    if (message.type === "minute") {
      this.onMinute?.({ ...message.report, failures: new Map(message.report.failures) });
      return;
    }
    const pending = this.pending;
    this.pending = undefined;
    if (!pending) {
      if (message.type === "error") console.error(`client driver: ${message.message}`);
      return;
    }
    if (message.type === "error") pending.reject(new Error(`client driver: ${message.message}`));
    else pending.resolve(message);
  }

  private exited(how: string): void {
    this.exitedWith = how;
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(new Error(`client driver exited (${how})`));
  }
}
