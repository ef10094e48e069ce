import { existsSync, readdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import postgres from "postgres";
import { openDatabase } from "../../store/database";
import { EMBEDDED_MIGRATIONS } from "../../store/migrations";
import { pgliteAssets } from "../../store/pgliteAssets";
import type { Command } from "../command";
import { redactCredentials } from "../config";
import { makeDataDir } from "../dataDir";
import { pgliteDir } from "../paths";
import { databaseFailure } from "../startFailure";

// drizzle's bookkeeping table: one row per applied migration, created_at = the journal's `when`.
const LAST_APPLIED = "select max(created_at) as last from drizzle.__drizzle_migrations";

export const migrateCommand: Command = {
  name: "migrate",
  summary: "bring the database schema up to date and exit",
  details: [
    "Applies the migrations embedded in this binary that the database lacks, to DATABASE_URL or",
    "to PGlite in DATA_DIR/pglite, prints each one applied, then closes. `dev` and `start` migrate",
    "on their own; this is for doing it ahead of a deployment.",
  ],
  options: {},
  async run({ config, logger, print }) {
    const target = config.databaseUrl
      ? { databaseUrl: config.databaseUrl }
      : { dataDir: pgliteDir(config.dataDir) };
    const where = config.databaseUrl ? redactCredentials(config.databaseUrl) : target.dataDir;

    // PGlite creates its own directory but not the ones above it.
    await makeDataDir(config.dataDir);
    let last: number | undefined;
    try {
      last = await lastApplied(target);
      const database = await openDatabase(target);
      await database.close();
    } catch (error) {
      throw databaseFailure(error, config);
    }

    // The rule drizzle's migrator applies: everything newer than the last recorded migration.
    const entries = EMBEDDED_MIGRATIONS.journal.entries;
    const applied = entries.filter((entry) => last === undefined || entry.when > last);
    for (const entry of applied) print(`applied ${entry.tag}`);
    print(
      `${where}: schema up to date (${entries.length} migrations, ${applied.length} applied now)`,
    );
    logger.info({ database: where, applied: applied.map((entry) => entry.tag) }, "migrated");
    return 0;
  },
};

/** The journal time of the newest migration the database records; undefined for a new one. */
async function lastApplied(target: {
  databaseUrl?: string;
  dataDir?: string;
}): Promise<number | undefined> {
  if (target.databaseUrl) {
    const client = postgres(target.databaseUrl, { onnotice: () => {}, max: 1 });
    try {
      const rows = await client.unsafe(LAST_APPLIED);
      return toTime(rows[0]?.last);
    } catch (error) {
      if (isMissingRelation(error)) return undefined;
      throw error;
    } finally {
      await client.end();
    }
  }
  const dir = target.dataDir as string;
  if (!existsSync(dir) || readdirSync(dir).length === 0) return undefined;
  const client = new PGlite(dir, await pgliteAssets());
  try {
    const result = await client.query<{ last: unknown }>(LAST_APPLIED);
    return toTime(result.rows[0]?.last);
  } catch (error) {
    if (isMissingRelation(error)) return undefined;
    throw error;
  } finally {
    await client.close();
  }
}

function toTime(value: unknown): number | undefined {
  return value === null || value === undefined ? undefined : Number(value);
}

/** undefined_table or invalid_schema_name: nothing was ever migrated here. */
function isMissingRelation(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === "42P01" || code === "3F000";
}
