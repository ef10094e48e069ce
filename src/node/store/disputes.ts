import { eq, sql } from "drizzle-orm";
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

  async disputedChannels(): Promise<string[]> {
    const rows = await this.db
      .select({ channelAddress: channelDisputes.channelAddress })
      .from(channelDisputes);
    return rows.map((row) => row.channelAddress);
  }

  /** Records a channel as disputed (once; the first block stays). */
  async markDisputed(channelAddress: string, block: number): Promise<void> {
    await this.db
      .insert(channelDisputes)
      .values({ channelAddress, firstBlock: block })
      .onConflictDoNothing();
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
