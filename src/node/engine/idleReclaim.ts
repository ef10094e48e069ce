import type { Logger } from "pino";
import type { ChannelSigner, ChannelView, FullChannelState } from "../../protocol";
import { withdrawalDraft } from "../../protocol/withdrawals";
import type { CollateralPolicy } from "../settings";
import type { ChannelService } from "./channelService";
import { Collateral } from "./collateral";
import { worthReclaiming } from "./collateralDemand";
import { isNodeError } from "./errors";

/** A channel without an update for a while, with the node's free balance per asset. */
export interface IdleChannel {
  channelAddress: string;
  bob: string;
  /** Asset (as the channel state spells it) → the node's free balance; only non-zero ones. */
  nodeBalances: Record<string, bigint>;
}

export interface IdleReclaimOptions {
  /** Channels whose last update is older than `before` and where the node holds something. */
  idleChannels(before: Date): Promise<IdleChannel[]>;
  /** What the channel keeps of the node's balance: what its demand justifies. */
  keep(user: string, assetId: string, target: bigint): Promise<bigint>;
  /** Proposes withdrawing the node's balance above `keep`; false when there was none any more. */
  reclaim(user: string, assetId: string, keep: bigint): Promise<boolean>;
  policies: Record<string, CollateralPolicy>;
  /** A channel is idle after this long without an update; 0 turns the timer off. */
  idleSeconds: number;
  /** How often to look. */
  intervalMs: number;
  /** Milliseconds since the epoch. */
  clock: () => number;
  logger: Logger;
  /** Proposals at once (each may wait for a user's answer). Default 4. */
  concurrency?: number;
}

export const DEFAULT_IDLE_SECONDS = 86_400;
export const DEFAULT_IDLE_INTERVAL_MS = 600_000;

/**
 * Idle collateral comes back on a timer (issue 9 §6). Every `intervalMs`, for each channel
 * without an update for `idleSeconds` where the node's free balance is more than demand
 * justifies (and the excess is worth a transaction), the node proposes a Withdraw of the excess
 * to itself; the user's client countersigns it and the node sends it on-chain (the same path
 * as the reclaim above the threshold after a payment).
 *
 * A user who does not answer costs a log line and a back-off: its channel is skipped for an
 * interval, then twice as long after each further failure, up to `idleSeconds`. Getting the
 * money back from a user who never answers is a dispute.
 */
export class IdleReclaim {
  private timer: ReturnType<typeof setInterval> | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** channel → when to try again and the delay that got it there. */
  private readonly backoff = new Map<string, { until: number; delayMs: number }>();

  constructor(private readonly options: IdleReclaimOptions) {}

  start(): void {
    if (this.options.idleSeconds <= 0 || this.timer) return;
    this.stopped = false;
    this.timer = setInterval(() => void this.tick(), this.options.intervalMs);
  }

  /** Stops the timer and waits for a pass in flight (it stops between channels). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass over the idle channels; joins a pass already running. */
  tick(): Promise<void> {
    this.running ??= this.pass()
      .catch((error) => this.options.logger.warn({ err: error }, "idle reclaim pass failed"))
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  /** Channels waiting out a back-off, for tests and logs. */
  backingOff(): string[] {
    const now = this.options.clock();
    return [...this.backoff].filter(([, b]) => b.until > now).map(([channel]) => channel);
  }

  private async pass(): Promise<void> {
    const { clock, idleSeconds } = this.options;
    const now = clock();
    const idle = await this.options.idleChannels(new Date(now - idleSeconds * 1000));
    const due = idle.filter(
      (channel) => (this.backoff.get(channel.channelAddress)?.until ?? 0) <= now,
    );
    let next = 0;
    const worker = async () => {
      while (next < due.length && !this.stopped) {
        await this.reclaimChannel(due[next++] as IdleChannel);
      }
    };
    const concurrency = Math.max(1, this.options.concurrency ?? 4);
    await Promise.all(Array.from({ length: Math.min(concurrency, due.length) }, worker));
  }

  private async reclaimChannel(channel: IdleChannel): Promise<void> {
    const { logger } = this.options;
    for (const [assetId, balance] of Object.entries(channel.nodeBalances)) {
      const policy = this.options.policies[assetId.toLowerCase()];
      // An asset the node stopped carrying: its balance is left to the operator.
      if (!policy) continue;
      try {
        const keep = await this.options.keep(channel.bob, assetId, policy.target);
        if (!worthReclaiming(balance, keep, policy.target)) continue;
        if (await this.options.reclaim(channel.bob, assetId, keep)) {
          logger.info(
            { channel: channel.channelAddress, assetId, amount: String(balance - keep) },
            "idle collateral reclaim proposed",
          );
        }
        this.backoff.delete(channel.channelAddress);
      } catch (error) {
        this.backOff(channel.channelAddress, error);
        return;
      }
    }
  }

  private backOff(channelAddress: string, error: unknown): void {
    const { clock, intervalMs, idleSeconds, logger } = this.options;
    const previous = this.backoff.get(channelAddress)?.delayMs;
    const delayMs = Math.min(previous ? previous * 2 : intervalMs, idleSeconds * 1000);
    const until = clock() + delayMs;
    this.backoff.set(channelAddress, { until, delayMs });
    const away = isNodeError(error) && error.code === "PEER_UNAVAILABLE";
    logger[away ? "info" : "warn"](
      {
        channel: channelAddress,
        retryInSeconds: Math.round(delayMs / 1000),
        ...(away ? { reason: error.message } : { err: error }),
      },
      away ? "idle reclaim waits for the user" : "idle reclaim failed",
    );
  }
}

/**
 * `IdleReclaimOptions.reclaim` on the node's channels: a Withdraw of the node's free balance
 * above `keep` to the node, drafted as `Withdrawals.reclaim` drafts its own. Once the user
 * countersigns (resolves), `Withdrawals.committed` sends the commitment on-chain.
 */
export function reclaimAbove(deps: {
  channels: Pick<ChannelService, "propose">;
  signer: ChannelSigner;
  withdrawAddress: string;
}): IdleReclaimOptions["reclaim"] {
  return async (user, assetId, keep) => {
    const applied = await deps.channels.propose(user, async (view: ChannelView) => {
      const balance = Collateral.nodeBalance(view, assetId);
      if (!view.state || balance <= keep) return undefined;
      return withdrawalDraft(
        view as ChannelView & { state: FullChannelState },
        {
          assetId,
          amount: balance - keep,
          recipient: deps.signer.address,
          responder: user,
          definition: deps.withdrawAddress,
        },
        deps.signer,
      );
    });
    return applied !== undefined;
  };
}
