/**
 * What a returning user is owed (deposits to reconcile, payments to deliver) is worked out by a
 * catch-up that reads the chain. A user's `sync` asks for one; a flood of syncs must not turn
 * into a flood of catch-ups and chain reads (issue: sync amplification). Per user: at most one
 * catch-up runs at a time, the next starts no sooner than `intervalMs` after the last one
 * started, and any number of requests meanwhile coalesce into that one trailing run. A request
 * is never lost: whatever asked during a run is covered by the run after it.
 */
export interface CatchUpOptions {
  /** The work itself; its failure is the caller's to report. */
  run(user: string): Promise<void>;
  onError(user: string, error: unknown): void;
  /** Shortest time between two catch-ups of one user. */
  intervalMs: number;
  /** Milliseconds; injectable for tests. */
  clock?: () => number;
  /** How a later run is scheduled; injectable for tests. */
  schedule?: (run: () => void, delayMs: number) => { cancel(): void };
}

interface UserState {
  user: string;
  running: Promise<void> | undefined;
  /** A request came while running or too soon: one more run is owed. */
  owed: boolean;
  lastStart: number;
  timer: { cancel(): void } | undefined;
}

export class CatchUps {
  private readonly users = new Map<string, UserState>();
  private readonly clock: () => number;
  private readonly schedule: NonNullable<CatchUpOptions["schedule"]>;
  private stopped = false;

  constructor(private readonly options: CatchUpOptions) {
    this.clock = options.clock ?? Date.now;
    this.schedule =
      options.schedule ??
      ((run, delayMs) => {
        const timer = setTimeout(run, delayMs);
        timer.unref?.();
        return { cancel: () => clearTimeout(timer) };
      });
  }

  /** Asks for a catch-up of `user`: now, or coalesced into the next one. */
  request(user: string): void {
    if (this.stopped) return;
    const key = user.toLowerCase();
    const state = this.users.get(key) ?? this.fresh(key, user);
    if (state.running || state.timer) {
      state.owed = true;
      return;
    }
    this.start(key, state);
  }

  /** How many catch-ups are running now (for tests and metrics). */
  get running(): number {
    let count = 0;
    for (const state of this.users.values()) if (state.running) count++;
    return count;
  }

  /** Resolves once no catch-up runs; none starts afterwards. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const state of this.users.values()) state.timer?.cancel();
    await Promise.all([...this.users.values()].map((state) => state.running));
  }

  private fresh(key: string, user: string): UserState {
    const state: UserState = {
      user,
      running: undefined,
      owed: false,
      lastStart: Number.NEGATIVE_INFINITY,
      timer: undefined,
    };
    this.users.set(key, state);
    return state;
  }

  private start(key: string, state: UserState): void {
    state.owed = false;
    state.lastStart = this.clock();
    state.running = this.options
      .run(state.user)
      .catch((error) => this.options.onError(state.user, error))
      .finally(() => {
        state.running = undefined;
        if (!this.stopped) this.afterInterval(key, state);
      });
  }

  /**
   * Once the interval since the last start has passed: the owed run if a request came in the
   * meantime, else the user's entry is dropped, so memory follows activity only.
   */
  private afterInterval(key: string, state: UserState): void {
    const wait = Math.max(0, state.lastStart + this.options.intervalMs - this.clock());
    state.timer = this.schedule(() => {
      state.timer = undefined;
      if (this.stopped) return;
      if (state.owed) this.start(key, state);
      else if (this.users.get(key) === state) this.users.delete(key);
    }, wait);
  }
}
