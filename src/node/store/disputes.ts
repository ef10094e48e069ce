import { eq, isNull, sql } from "drizzle-orm";
import type { StoreDb } from "./database";
import { chainCursors, channelDisputes } from "./schema";

/**
 * What the dispute watcher keeps across restarts: the channels seen in dispute and how far it
 * has scanned the chain's logs.
 *
 * @example
 * const repo = new DisputeRepository(db);
 * await repo.markDisputed(channelAddress, 1234);
 * await repo.disputedChannels(); // [channelAddress]
 */
export class DisputeRepository {
  constructor(private readonly db: StoreDb) {}

  /** Channels in dispute now: seen disputed and not resumed since. */
  async disputedChannels(): Promise<string[]> {
    const rows = await this.db
      .select({ channelAddress: channelDisputes.channelAddress })
      .from(channelDisputes)
      .where(isNull(channelDisputes.resumedRound));
    return rows.map((row) => row.channelAddress);
  }

  /** Records a channel as disputed (again, after a resume: a new dispute). */
  async markDisputed(channelAddress: string, block: number): Promise<void> {
    await this.db
      .insert(channelDisputes)
      .values({ channelAddress, firstBlock: block })
      .onConflictDoUpdate({
        target: channelDisputes.channelAddress,
        set: { firstBlock: block, resumedRound: null },
      });
  }

  /** The block of the latest ChannelDisputed event seen for the channel. */
  async lastDisputeBlock(channelAddress: string): Promise<number | undefined> {
    const [row] = await this.db
      .select({ block: channelDisputes.firstBlock })
      .from(channelDisputes)
      .where(eq(channelDisputes.channelAddress, channelAddress));
    return row?.block;
  }

  async resumedRound(channelAddress: string): Promise<number | undefined> {
    const [row] = await this.db
      .select({ round: channelDisputes.resumedRound })
      .from(channelDisputes)
      .where(eq(channelDisputes.channelAddress, channelAddress));
    return row?.round ?? undefined;
  }

  /** A resume moved the channel past the dispute of `round`. */
  async markResumed(channelAddress: string, round: number): Promise<void> {
    await this.db
      .update(channelDisputes)
      .set({ resumedRound: round })
      .where(eq(channelDisputes.channelAddress, channelAddress));
  }

  async cursor(name: string): Promise<number | undefined> {
    const [row] = await this.db
      .select({ block: chainCursors.block })
      .from(chainCursors)
      .where(eq(chainCursors.name, name));
    return row?.block;
  }

  async saveCursor(name: string, block: number): Promise<void> {
    await this.db
      .insert(chainCursors)
      .values({ name, block })
      .onConflictDoUpdate({
        target: chainCursors.name,
        set: { block: sql`excluded.block`, updatedAt: new Date() },
      });
  }
}
