import { type Clock, systemClock, type Timer } from "../clock";
import type { NodeApi } from "./nodeApi";

/**
 * The client's sign-in with the node, kept fresh: the messaging token expires (a day by
 * default), and a reconnect after that would be refused. The token is renewed halfway through
 * its life, and the messaging connection reads the current one at every (re)connect.
 */
export class Session {
  private timer: Timer | undefined;
  private stopped = false;

  private constructor(
    private readonly renew: () => Promise<{ token: string; expiresAt: number }>,
    private current: { token: string; expiresAt: number },
    private readonly clock: Clock,
  ) {
    this.schedule();
  }

  static async open(
    api: NodeApi,
    user: string,
    sign: (message: string) => Promise<string>,
    clock: Clock = systemClock,
  ): Promise<Session> {
    const renew = () => api.session(user, sign);
    return new Session(renew, await renew(), clock);
  }

  get token(): string {
    return this.current.token;
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  private schedule(retryMs?: number): void {
    if (this.stopped) return;
    const halfLife = Math.max(1_000, (this.current.expiresAt - this.clock.now()) / 2);
    // A pending renewal alone does not keep a process alive (Clock timers never do).
    this.timer = this.clock.after(retryMs ?? halfLife, () => this.refresh());
  }

  private async refresh(): Promise<void> {
    try {
      this.current = await this.renew();
      this.schedule();
    } catch {
      // The node is away: try again shortly; the current token may still be good.
      this.schedule(30_000);
    }
  }
}
