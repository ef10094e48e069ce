import { getAddress } from "ethers";
import type { Logger } from "pino";
import type { ChannelDeposits } from "../../contracts-bindings";
import { errorMessage } from "./rpcErrors";

export interface DepositEvent extends ChannelDeposits {
  channelAddress: string;
  assetId: string;
}

export interface DepositWatcherOptions {
  /** Anything that reads a channel's totals; the `ChainService` in the node. */
  chain: { readDeposits(channelAddress: string, assetId: string): Promise<ChannelDeposits> };
  intervalMs: number;
  logger: Logger;
  /** Called when a total grew; a throw (or rejection) makes the next poll report it again. */
  onDeposit(event: DepositEvent): void | Promise<void>;
  /** Channel-asset pairs read at once. Default 8. */
  concurrency?: number;
}

/**
 * Polls watched channels' deposit totals and reports growth, so the engine can reconcile
 * deposits (DESIGN §4.4). A pair's first poll reports any non-zero totals: deposits made
 * while the node was down are not missed.
 *
 * @example
 * const watcher = new DepositWatcher({ chain, intervalMs: 2_000, logger, onDeposit });
 * watcher.watch(channelAddress, [NATIVE_ASSET]);
 * watcher.start();
 * await watcher.stop();
 */
export class DepositWatcher {
  /** channel (checksummed) → asset (lowercase) → the assetId as given. */
  private readonly watched = new Map<string, Map<string, string>>();
  /** `${channel}:${asset}` → the totals last reported. */
  private readonly baseline = new Map<string, ChannelDeposits>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  private inFlight: Promise<void> | undefined;
  /** Bumped by start and stop, so a timer from before a restart does not schedule again. */
  private generation = 0;

  constructor(private readonly options: DepositWatcherOptions) {}

  watch(channelAddress: string, assetIds: readonly string[]): void {
    const key = getAddress(channelAddress);
    const assets = this.watched.get(key) ?? new Map<string, string>();
    for (const assetId of assetIds) assets.set(assetId.toLowerCase(), assetId);
    this.watched.set(key, assets);
  }

  /** Stops watching the channel (all its assets, or only those given). */
  unwatch(channelAddress: string, assetIds?: readonly string[]): void {
    const key = getAddress(channelAddress);
    const assets = this.watched.get(key);
    if (!assets) return;
    const removed = assetIds?.map((id) => id.toLowerCase()) ?? [...assets.keys()];
    for (const asset of removed) {
      assets.delete(asset);
      this.baseline.delete(`${key}:${asset}`);
    }
    if (assets.size === 0) this.watched.delete(key);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.generation += 1;
    this.schedule(0, this.generation);
  }

  /** Stops polling and waits for a poll in flight to finish. */
  async stop(): Promise<void> {
    this.running = false;
    this.generation += 1;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  /** Polls every watched pair now (joining a poll already in flight). */
  poll(): Promise<void> {
    this.inFlight ??= this.pollAll().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private schedule(delayMs: number, generation: number): void {
    this.timer = setTimeout(async () => {
      await this.poll();
      if (this.running && generation === this.generation) {
        this.schedule(this.options.intervalMs, generation);
      }
    }, delayMs);
  }

  private async pollAll(): Promise<void> {
    const pairs = [...this.watched.entries()].flatMap(([channel, assets]) =>
      [...assets.values()].map((assetId) => ({ channel, assetId })),
    );
    const concurrency = Math.max(1, this.options.concurrency ?? 8);
    let next = 0;
    const worker = async () => {
      while (next < pairs.length) {
        const pair = pairs[next++] as (typeof pairs)[number];
        await this.pollPair(pair.channel, pair.assetId);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, pairs.length) }, worker));
  }

  private async pollPair(channel: string, assetId: string): Promise<void> {
    const { chain, logger, onDeposit } = this.options;
    const key = `${channel}:${assetId.toLowerCase()}`;
    let totals: ChannelDeposits;
    try {
      totals = await chain.readDeposits(channel, assetId);
    } catch (error) {
      logger.warn({ channel, assetId, err: errorMessage(error) }, "deposit poll failed");
      return;
    }
    // Unwatched while the read was out: report nothing.
    if (!this.watched.get(channel)?.has(assetId.toLowerCase())) return;
    const last = this.baseline.get(key) ?? { totalDepositsAlice: 0n, totalDepositsBob: 0n };
    const grew =
      totals.totalDepositsAlice > last.totalDepositsAlice ||
      totals.totalDepositsBob > last.totalDepositsBob;
    if (grew) {
      try {
        await onDeposit({ channelAddress: channel, assetId, ...totals });
      } catch (error) {
        // The baseline stays, so the next poll reports this deposit again.
        logger.error({ channel, assetId, err: errorMessage(error) }, "deposit handler failed");
        return;
      }
    }
    this.baseline.set(key, totals);
  }
}
