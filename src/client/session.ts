import { createUser, type KeyPair } from "@nats-io/nkeys";
import { type Clock, systemClock, type Timer } from "../clock";
import { ClientError } from "./errors";
import type { NodeApi } from "./nodeApi";

interface Credentials {
  token: string;
  /** The messaging JWT for this session's nkey. */
  jwt: string;
  expiresAt: number;
}

/**
 * The client's sign-in with the node, kept fresh: the API token and the messaging JWT expire
 * together (a day by default), and a reconnect after that would be refused. Both are renewed
 * halfway through their life, and the messaging connection reads the current JWT at every
 * (re)connect, signing the server's nonce with this session's nkey (generated here, never sent).
 */
export class Session {
  private timer: Timer | undefined;
  private stopped = false;

  private constructor(
    private readonly renew: () => Promise<Credentials>,
    private current: Credentials,
    private readonly nkey: KeyPair,
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
    const nkey = createUser();
    const renew = async (): Promise<Credentials> => {
      const { token, expiresAt, jwt } = await api.session(user, sign, nkey.getPublicKey());
      if (jwt === undefined) {
        throw new ClientError("AUTH_FAILED", "the node gave no messaging credentials at sign-in");
      }
      return { token, expiresAt, jwt };
    };
    return new Session(renew, await renew(), nkey, clock);
  }

  get token(): string {
    return this.current.token;
  }

  get jwt(): string {
    return this.current.jwt;
  }

  /** The nkey's seed, for `jwtAuthenticator` (it signs the server's nonce). */
  nkeySeed(): Uint8Array {
    return this.nkey.getSeed();
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
      // The node is away: try again shortly; the current credentials may still be good.
      this.schedule(30_000);
    }
  }
}
