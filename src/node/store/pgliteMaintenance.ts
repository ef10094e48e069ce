import type { PGlite } from "@electric-sql/pglite";

/**
 * PostgreSQL's autovacuum for PGlite, which has none: PGlite runs PostgreSQL in single-user mode,
 * so nothing collects planner statistics or clears dead rows unless the node does.
 *
 * Without statistics the planner guesses a table holds a few dozen rows, and joins that should
 * start from the few active transfers scan every completed payment instead; without vacuum,
 * every payment's updates leave dead rows and index entries behind. Both made the node's
 * per-payment work grow with the data it held (a 30-minute soak's p99 climbed 35 → 450 ms).
 */

/** The tables every payment writes, in the order they are maintained. */
export const MAINTAINED_TABLES = ["channels", "channel_updates", "transfers", "payments"] as const;

/**
 * How often a running node maintains them: often enough that each run has little to do (a
 * 30-minute soak at 51 payments/s every 10 minutes stalled payments 2.5 s per run, and the
 * node's CPU per payment grew 28 % in between).
 */
export const MAINTENANCE_EVERY_MS = 2 * 60_000;

/**
 * Settings for the maintenance (PGlite has one session, so they hold from `tuneForMaintenance`
 * on): statistics from 3,000 sampled rows instead of 30,000 (the tables' 1–3 KB json made
 * ANALYZE the bulk of a run: 180 → 18 ms for 360,000 updates), and vacuum's working memory
 * kept small, since PGlite's WebAssembly memory never shrinks back.
 */
const MAINTENANCE_SETTINGS = [
  "set default_statistics_target = 10",
  "set maintenance_work_mem = '16MB'",
];

export async function tuneForMaintenance(client: PGlite): Promise<void> {
  for (const setting of MAINTENANCE_SETTINGS) await client.exec(setting);
}

export interface MaintenanceReport {
  /** Per table, milliseconds. */
  tables: Record<string, number>;
  totalMs: number;
}

/**
 * `VACUUM (ANALYZE)` of each busy table, one statement each: PGlite runs one statement at a
 * time, so payments in between wait for one table, not for all four.
 */
export async function maintainPglite(client: PGlite): Promise<MaintenanceReport> {
  const tables: Record<string, number> = {};
  const started = performance.now();
  for (const table of MAINTAINED_TABLES) {
    const t = performance.now();
    await client.exec(`vacuum (analyze) ${table}`);
    tables[table] = Math.round(performance.now() - t);
  }
  return { tables, totalMs: Math.round(performance.now() - started) };
}

/**
 * Runs `maintain` every `everyMs` (never two at once) and hands each report or failure on.
 * Returns the stop.
 */
export function scheduleMaintenance(
  maintain: () => Promise<MaintenanceReport>,
  done: (report: MaintenanceReport | undefined, error?: unknown) => void,
  everyMs = MAINTENANCE_EVERY_MS,
): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    maintain()
      .then((report) => done(report))
      .catch((error) => done(undefined, error))
      .finally(() => {
        running = false;
      });
  }, everyMs);
  timer.unref?.();
  return () => clearInterval(timer);
}
