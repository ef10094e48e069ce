import type { Logger } from "pino";

const SIGNALS = ["SIGINT", "SIGTERM"] as const;

/**
 * What a long-running command started, stopped in reverse order (the node before the chain
 * it uses) when SIGINT or SIGTERM arrives or the command fails. A second signal while
 * stopping ends the process at once.
 */
export class Shutdown {
  /** Resolves with the first signal received. */
  readonly signalled: Promise<NodeJS.Signals>;
  private readonly stoppers: { name: string; stop: () => Promise<void> }[] = [];
  private readonly onSignal: (signal: NodeJS.Signals) => void;
  private received: NodeJS.Signals | undefined;
  private stopped = false;

  constructor(private readonly logger: Logger) {
    let resolveSignal!: (signal: NodeJS.Signals) => void;
    this.signalled = new Promise((resolve) => {
      resolveSignal = resolve;
    });
    this.onSignal = (signal) => {
      if (this.received) {
        this.logger.warn({ signal }, "second signal: exiting without finishing the stop");
        process.exit(130);
      }
      this.received = signal;
      this.logger.info({ signal }, "stopping");
      resolveSignal(signal);
    };
    for (const signal of SIGNALS) process.on(signal, this.onSignal);
  }

  /** The signal received so far, if any. */
  get signal(): NodeJS.Signals | undefined {
    return this.received;
  }

  /**
   * Registers something to stop; the last registered stops first. Something that finished
   * starting after everything was stopped (an interrupted setup) is stopped right away.
   */
  add(name: string, stop: () => Promise<void>): void {
    this.stoppers.push({ name, stop });
    if (this.stopped) void this.stopAll();
  }

  /** Stops everything registered, each once, logging (not throwing) a failure to stop. */
  async stopAll(): Promise<void> {
    this.stopped = true;
    for (let entry = this.stoppers.pop(); entry; entry = this.stoppers.pop()) {
      try {
        await entry.stop();
        this.logger.debug({ what: entry.name }, "stopped");
      } catch (error) {
        this.logger.error({ err: error, what: entry.name }, "failed to stop cleanly");
      }
    }
  }

  /** Removes the signal handlers; the process's defaults apply again. */
  dispose(): void {
    for (const signal of SIGNALS) process.off(signal, this.onSignal);
  }
}

/** Thrown into a command's setup when a signal arrives before it is serving. */
export class Interrupted extends Error {
  override readonly name = "Interrupted";
  readonly code = "INTERRUPTED";
}

/** Runs `setup` unless a signal comes first, in which case it rejects with `Interrupted`. */
export async function unlessSignalled<T>(shutdown: Shutdown, setup: Promise<T>): Promise<T> {
  const interrupted = shutdown.signalled.then((signal) => {
    throw new Interrupted(`interrupted by ${signal}`);
  });
  // The losing setup may still reject later; that rejection is already handled here.
  setup.catch(() => {});
  return Promise.race([setup, interrupted]);
}
