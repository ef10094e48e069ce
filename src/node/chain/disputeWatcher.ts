import { getAddress, type Log, type Provider } from "ethers";
import type { Logger } from "pino";
import {
  ChannelMastercopy__factory,
  readChannelDispute,
  TRANSFER_DEFUNDED_TOPIC,
  type TransferDefund,
  transferDefundOf,
} from "../../contracts-bindings";
import { errorMessage } from "./rpcErrors";

const CHANNEL = ChannelMastercopy__factory.createInterface();
/** Every event of a dispute's life; any of them is a reason to look at the channel again. */
const DISPUTE_TOPICS = (
  ["ChannelDisputed", "ChannelDefunded", "TransferDisputed", "TransferDefunded"] as const
).map((name) => CHANNEL.getEvent(name)?.topicHash as string);
const CHANNEL_DISPUTED = CHANNEL.getEvent("ChannelDisputed")?.topicHash as string;
const CURSOR = "dispute-watcher";

/** Where the watcher keeps what it learnt (the node's `DisputeRepository`). */
export interface DisputeRecords {
  disputedChannels(): Promise<string[]>;
  markDisputed(channelAddress: string, block: number): Promise<void>;
  markResumed(channelAddress: string, round: number): Promise<void>;
  /** The round a resume moved the channel past, if any. */
  resumedRound(channelAddress: string): Promise<number | undefined>;
  cursor(name: string): Promise<number | undefined>;
  saveCursor(name: string, block: number): Promise<void>;
}

export interface DisputeWatcherOptions {
  provider: Provider;
  records: DisputeRecords;
  /** Whether a channel (checksummed address) is one of ours. */
  isOurs(channelAddress: string): boolean;
  /** A dispute event of one of our channels arrived (or was found at start). */
  onActivity(channelAddress: string): void;
  /** A transfer of one of our channels was paid out on-chain (a claim may reveal a pre-image). */
  onTransferDefunded?(defund: TransferDefund): Promise<void>;
  intervalMs: number;
  logger: Logger;
  /** Blocks per log query. Default 5,000. */
  maxBlockRange?: number;
  /**
   * Where a first scan starts, in blocks before the head: disputes older than this were over
   * before the node could have had channels to lose. Default 100,000 (two weeks on mainnet).
   */
  initialLookbackBlocks?: number;
}

/**
 * Finds disputes on the node's channels (DESIGN §4.7) with one log query per block range for
 * all channels at once, not a read per channel. A channel seen in dispute stays in dispute:
 * the node signs nothing more on it. The scan resumes from a stored cursor after a restart.
 *
 * @example
 * const watcher = new DisputeWatcher({ provider, records, isOurs, onActivity, intervalMs: 2_000, logger });
 * await watcher.start(); // the first scan is done when this resolves
 * watcher.inDispute(channelAddress);
 */
export class DisputeWatcher {
  private readonly disputed = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  private scanning: Promise<void> | undefined;
  /** Blocks per log query: halved whenever the RPC refuses a range. */
  private range: number;

  constructor(private readonly options: DisputeWatcherOptions) {
    this.range = options.maxBlockRange ?? 5_000;
  }

  inDispute(channelAddress: string): boolean {
    return this.disputed.has(channelAddress.toLowerCase());
  }

  /** Channels seen in dispute (checksummed). */
  disputedChannels(): string[] {
    return [...this.disputed].map((address) => getAddress(address));
  }

  /** Loads what earlier runs saw and scans up to the head before resolving. */
  async start(): Promise<void> {
    for (const channel of await this.options.records.disputedChannels()) {
      this.disputed.add(channel.toLowerCase());
      this.options.onActivity(getAddress(channel));
    }
    this.running = true;
    await this.scan();
    this.schedule();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.scanning;
  }

  /**
   * Reads the channel's dispute on-chain now, for a decision that cannot wait for the next
   * scan (a deposit). True when one is on record.
   */
  async checkOnchain(channelAddress: string): Promise<boolean> {
    if (this.inDispute(channelAddress)) return true;
    const dispute = await readChannelDispute(this.options.provider, channelAddress);
    if (dispute.consensusExpiry === 0) return false;
    // A dispute the channel was resumed past is over.
    const resumed = await this.options.records.resumedRound(getAddress(channelAddress));
    if (resumed !== undefined && BigInt(resumed) === dispute.round) return false;
    await this.markDisputed(
      getAddress(channelAddress),
      await this.options.provider.getBlockNumber(),
    );
    return true;
  }

  /** The node starts a dispute itself: nothing more is signed on the channel from now. */
  async markDisputing(channelAddress: string): Promise<void> {
    await this.markDisputed(
      getAddress(channelAddress),
      await this.options.provider.getBlockNumber(),
      true,
    );
  }

  /** A resume update moved the channel past its dispute: updates are signed again. */
  async markResumed(channelAddress: string, round: number): Promise<void> {
    // At once in memory: the user's next update may follow the resume immediately.
    this.disputed.delete(channelAddress.toLowerCase());
    await this.options.records.markResumed(getAddress(channelAddress), round);
    this.options.logger.info(
      { channel: channelAddress, round },
      "channel resumed after its dispute",
    );
  }

  /** Scans new blocks now (joining a scan in flight). */
  scan(): Promise<void> {
    this.scanning ??= this.scanNewBlocks().finally(() => {
      this.scanning = undefined;
    });
    return this.scanning;
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = setTimeout(async () => {
      await this.scan().catch((error) =>
        this.options.logger.warn({ err: errorMessage(error) }, "dispute scan failed"),
      );
      this.schedule();
    }, this.options.intervalMs);
  }

  private async scanNewBlocks(): Promise<void> {
    const { provider, records } = this.options;
    const head = await provider.getBlockNumber();
    const lookback = this.options.initialLookbackBlocks ?? 100_000;
    let from = ((await records.cursor(CURSOR)) ?? Math.max(-1, head - lookback - 1)) + 1;
    while (from <= head) {
      const to = Math.min(head, from + this.range - 1);
      let logs: Log[];
      try {
        logs = await provider.getLogs({ fromBlock: from, toBlock: to, topics: [DISPUTE_TOPICS] });
      } catch (error) {
        // Many RPCs cap a log query's block range (or its result size): ask for less.
        if (this.range === 1) throw error;
        this.range = Math.max(1, Math.floor(this.range / 2));
        continue;
      }
      for (const log of logs) await this.onLog(log);
      await records.saveCursor(CURSOR, to);
      from = to + 1;
    }
  }

  private async onLog(log: Log): Promise<void> {
    const channel = getAddress(log.address);
    if (!this.options.isOurs(channel)) return;
    if (log.topics[0] === CHANNEL_DISPUTED) await this.markDisputed(channel, log.blockNumber, true);
    if (log.topics[0] === TRANSFER_DEFUNDED_TOPIC && this.options.onTransferDefunded) {
      try {
        await this.options.onTransferDefunded(await transferDefundOf(this.options.provider, log));
      } catch (error) {
        this.options.logger.error(
          { channel, err: errorMessage(error) },
          "a transfer defunded on-chain could not be handled",
        );
      }
    }
    this.options.onActivity(channel);
  }

  /** `fresh`: a ChannelDisputed event, which may start a new dispute after a resume. */
  private async markDisputed(channel: string, block: number, fresh = false): Promise<void> {
    if (this.disputed.has(channel.toLowerCase()) && !fresh) return;
    await this.options.records.markDisputed(channel, block);
    this.disputed.add(channel.toLowerCase());
    this.options.logger.warn(
      { channel, block },
      "channel in dispute: the node signs nothing on it",
    );
    this.options.onActivity(channel);
  }
}
