/**
 * The one place the node's engine and the client read the time or set a timer. Everything
 * else takes a `Clock`, so tests move time forward (`ManualClock`) instead of sleeping.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /**
   * Calls `fn` once `ms` have passed on this clock. The timer never keeps a process alive on
   * its own: whoever waits for it holds something else open (a connection, a promise).
   */
  after(ms: number, fn: () => void): Timer;
}

export interface Timer {
  cancel(): void;
}

/** Whole seconds since the epoch, as the chain and the protocol count time. */
export function seconds(clock: Clock): number {
  return Math.floor(clock.now() / 1000);
}

/**
 * The machine's clock and timers.
 *
 * @example
 * const client = await ConnextClient.connect({ ...options, clock: systemClock });
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  after(ms, fn) {
    const handle = setTimeout(fn, ms);
    (handle as { unref?: () => void }).unref?.();
    return { cancel: () => clearTimeout(handle) };
  },
};

/**
 * A clock that moves only when told: `advance` runs every timer that falls due, in order,
 * each at its own time.
 *
 * @example
 * const clock = new ManualClock(1_700_000_000_000);
 * clock.after(1_000, () => console.log("a second later"));
 * clock.advance(1_000); // logs
 */
export class ManualClock implements Clock {
  private timers: { at: number; seq: number; fn: () => void }[] = [];
  private seq = 0;

  constructor(private current = 0) {}

  now(): number {
    return this.current;
  }

  after(ms: number, fn: () => void): Timer {
    const timer = { at: this.current + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    return {
      cancel: () => {
        this.timers = this.timers.filter((waiting) => waiting !== timer);
      },
    };
  }

  /** Timers waiting to fall due. */
  get pending(): number {
    return this.timers.length;
  }

  advance(ms: number): void {
    const until = this.current + ms;
    for (;;) {
      const due = this.timers
        .filter((timer) => timer.at <= until)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers.splice(this.timers.indexOf(due), 1);
      this.current = Math.max(this.current, due.at);
      due.fn();
    }
    this.current = until;
  }
}
