import { createHash } from "node:crypto";
import type { MigrationMeta } from "drizzle-orm/migrator";
import type { PgDialect, PgSession } from "drizzle-orm/pg-core";
import { StoreError } from "./errors";

/** drizzle-kit's journal and the SQL of each entry, as the generated migrations.ts holds them. */
export interface EmbeddedMigrations {
  journal: { entries: { tag: string; when: number; breakpoints: boolean }[] };
  sql: Record<string, string>;
}

/**
 * The same MigrationMeta list drizzle's readMigrationFiles builds from the drizzle/ folder
 * (same split, same sha256), so a database migrated from the folder and one migrated from the
 * embedded copy record identical hashes.
 */
export function embeddedMigrationMeta(embedded: EmbeddedMigrations): MigrationMeta[] {
  return embedded.journal.entries.map((entry) => {
    const query = embedded.sql[entry.tag];
    if (query === undefined) {
      throw new StoreError("MIGRATION_FAILED", `no SQL embedded for migration ${entry.tag}`);
    }
    return {
      sql: query.split("--> statement-breakpoint"),
      bps: entry.breakpoints,
      folderMillis: entry.when,
      hash: createHash("sha256").update(query).digest("hex"),
    };
  });
}

/**
 * Applies migrations that drizzle's folder migrators would, from memory. Drizzle exposes no
 * public entry for a list already read, so this calls what its migrators call.
 */
export async function migrateFromMemory(db: unknown, migrations: MigrationMeta[]): Promise<void> {
  const { dialect, session } = db as { dialect: PgDialect; session: PgSession };
  await dialect.migrate(migrations, session, { migrationsFolder: "" });
}
