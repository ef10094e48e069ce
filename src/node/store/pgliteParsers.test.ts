import { describe, expect, test } from "bun:test";
import { PGlite, types } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/pglite";
import { installDrizzleParsers } from "./pgliteParsers";

const VALUES = sql`select now()::timestamptz as tz, '2026-12-05 10:00'::timestamp as ts,
  '1 day'::interval as iv, '2026-12-05'::date as d, array[1.5, 2]::numeric[] as nums,
  array['2026-12-05'::date] as ds, 7::int as n, '{"a":1}'::jsonb as j`;

async function rows(install: boolean) {
  const client = new PGlite();
  await client.waitReady;
  if (install) installDrizzleParsers(client);
  const db = drizzle({ client });
  const plain = await db.execute(VALUES);
  const inTx = await db.transaction((tx) => tx.execute(VALUES));
  await client.close();
  const strip = (r: { rows: Record<string, unknown>[] }) =>
    r.rows.map(({ tz: _now, ...rest }) => rest);
  return { plain: strip(plain), inTx: strip(inTx), tz: typeof plain.rows[0]?.tz };
}

describe("drizzle's text parsers installed once in PGlite", () => {
  test("give the same rows as passed with every query, in and out of transactions", async () => {
    const before = await rows(false);
    const after = await rows(true);
    expect(after).toEqual(before);
    expect(after.tz).toBe("string");
    expect(after.plain[0]?.nums).toBe("{1.5,2}");
  });

  test("a query with parsers of its own keeps them", async () => {
    const client = new PGlite();
    await client.waitReady;
    installDrizzleParsers(client);
    const result = await client.query<{ n: unknown }>("select 7::int as n", [], {
      parsers: { [types.INT4]: (value: string) => `int ${value}` },
    });
    expect(result.rows[0]?.n).toBe("int 7");
    await client.close();
  });
});
