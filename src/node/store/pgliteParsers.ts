import type { PGlite, Transaction } from "@electric-sql/pglite";

/**
 * drizzle's PGlite driver passes, with every query, parsers that leave dates, intervals and
 * some arrays as PostgreSQL's text. PGlite merges per-query parsers into a fresh copy of its
 * whole parser table (a few hundred entries, one per type and array type): measured at 7 % of
 * the node's CPU under load. The same parsers, installed once in the table, give the same rows.
 */

/** The types drizzle's PGlite driver reads as text (drizzle-orm/pglite/session.js). */
const TEXT_TYPES = [
  1114, // timestamp
  1184, // timestamptz
  1186, // interval
  1082, // date
  1231, // numeric[]
  1115, // timestamp[]
  1185, // timestamptz[]
  1187, // interval[]
  1182, // date[]
] as const;

const TEXT_TYPE_KEYS = new Set<string>(TEXT_TYPES.map(String));

const asText = (value: string) => value;

type QueryOptions = Parameters<PGlite["query"]>[2];

/**
 * Installs drizzle's text parsers in `client`'s table (after PGlite read its array types), and
 * has its queries, and those of its transactions, drop per-query parsers that only repeat them.
 */
export function installDrizzleParsers(client: PGlite): void {
  for (const type of TEXT_TYPES) client.parsers[type] = asText;
  const query = client.query.bind(client);
  client.query = ((sql: string, params?: unknown[], options?: QueryOptions) =>
    query(sql, params, withoutRepeatedParsers(options))) as PGlite["query"];
  const transaction = client.transaction.bind(client);
  client.transaction = (<T>(callback: (tx: Transaction) => Promise<T>) =>
    transaction((tx) => {
      const txQuery = tx.query.bind(tx);
      tx.query = ((sql: string, params?: unknown[], options?: QueryOptions) =>
        txQuery(sql, params, withoutRepeatedParsers(options))) as Transaction["query"];
      return callback(tx);
    })) as PGlite["transaction"];
}

/** `options` without its parsers when they name only the types installed as text. */
function withoutRepeatedParsers(options: QueryOptions): QueryOptions {
  const parsers = options?.parsers;
  if (!parsers) return options;
  for (const type of Object.keys(parsers)) {
    if (!TEXT_TYPE_KEYS.has(type)) return options;
  }
  const { parsers: _repeated, ...rest } = options;
  return rest;
}
