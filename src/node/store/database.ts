import { PGlite } from "@electric-sql/pglite";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { type ChangeNotices, localChangeNotices, postgresChangeNotices } from "./changeNotices";
import { type LeaseHold, postgresChannelLeases } from "./channelLeases";
import { embeddedMigrationMeta, migrateFromMemory } from "./migrate";
import { EMBEDDED_MIGRATIONS } from "./migrations";
import { pgliteAssets } from "./pgliteAssets";
import { type MaintenanceReport, maintainPglite, tuneForMaintenance } from "./pgliteMaintenance";
import { installDrizzleParsers } from "./pgliteParsers";
import * as schema from "./schema";
import { postgresSenderTurns, type SenderTurns } from "./senderTurns";

/** The one database type the repositories take: PGlite and postgres.js share it. */
export type StoreDb = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface DatabaseOptions {
  /** PostgreSQL URL (postgres.js). Absent: PGlite. */
  databaseUrl?: string;
  /** PGlite's data directory. Absent with no URL: PGlite in memory (tests). */
  dataDir?: string;
  /**
   * A drizzle/ folder to migrate from with drizzle's own migrators. Absent: the migrations
   * embedded in the source (migrations.ts), which is what the compiled binary has.
   */
  migrationsFolder?: string;
}

export interface Database {
  db: StoreDb;
  kind: "pglite" | "postgres";
  /**
   * PostgreSQL only: a lock several processes on the database respect (a lease per channel,
   * holding no connection). PGlite belongs to one process, so in-process locks suffice there.
   */
  crossProcessLock?: (key: string) => Promise<LeaseHold>;
  /**
   * PGlite only: vacuum and analyze the busy tables, as autovacuum does on PostgreSQL
   * (pgliteMaintenance.ts). The node runs it every MAINTENANCE_EVERY_MS.
   */
  maintain?: () => Promise<MaintenanceReport>;
  /** Notices that settings changed: to every process on the database (PostgreSQL), or local. */
  notices: ChangeNotices;
  /** PostgreSQL only: turns at sending from the node's account, across processes. */
  senderTurns?: SenderTurns;
  close(): Promise<void>;
}

/**
 * PostgreSQL connections per process. None is held across a wait for a user: channel locks
 * are leases (channelLeases.ts), taken and given back with one statement each.
 */
const POOL_SIZE = 24;

/** The advisory lock key migrations run under (any constant no other lock uses). */
const MIGRATION_LOCK = 0x636f6e6e; // "conn"

/** Opens PGlite or PostgreSQL (DESIGN §3) and brings its schema up to date. */
export async function openDatabase(options: DatabaseOptions = {}): Promise<Database> {
  const folder = options.migrationsFolder;
  if (options.databaseUrl) {
    // Notices ("relation already exists, skipping") are drizzle's, not ours to log.
    const client = postgres(options.databaseUrl, { onnotice: () => {}, max: POOL_SIZE });
    const db = drizzlePostgres({ client, schema });
    try {
      // Node processes starting together on one database migrate one after the other.
      const lock = await client.reserve();
      try {
        await lock`select pg_advisory_lock(${MIGRATION_LOCK})`;
        if (folder) await migratePostgres(db, { migrationsFolder: folder });
        else await migrateFromMemory(db, embeddedMigrationMeta(EMBEDDED_MIGRATIONS));
      } finally {
        await lock`select pg_advisory_unlock(${MIGRATION_LOCK})`.catch(() => {});
        lock.release();
      }
    } catch (error) {
      await client.end();
      throw error;
    }
    const leases = postgresChannelLeases(client);
    return {
      db: db as unknown as StoreDb,
      kind: "postgres",
      crossProcessLock: leases,
      senderTurns: postgresSenderTurns(client),
      notices: postgresChangeNotices(client),
      // Queries still running get 5 s, then their connections are closed.
      close: () => {
        leases.stop();
        return client.end({ timeout: 5 });
      },
    };
  }
  // Handed over explicitly so PGlite also opens inside the compiled binary (pgliteAssets.ts).
  const assets = await pgliteAssets();
  const client = options.dataDir ? new PGlite(options.dataDir, assets) : new PGlite(assets);
  const db = drizzlePglite({ client, schema });
  try {
    if (folder) await migratePglite(db, { migrationsFolder: folder });
    else await migrateFromMemory(db, embeddedMigrationMeta(EMBEDDED_MIGRATIONS));
  } catch (error) {
    await client.close();
    throw error;
  }
  installDrizzleParsers(client);
  await tuneForMaintenance(client);
  // Statistics from the first query on: a restarted node's tables may be large already.
  await maintainPglite(client);
  return {
    db: db as unknown as StoreDb,
    kind: "pglite",
    maintain: () => maintainPglite(client),
    notices: localChangeNotices(),
    close: () => client.close(),
  };
}
