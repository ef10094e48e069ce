import type { z } from "zod";
import { StoreError } from "./errors";

/**
 * Protocol values to and from json columns. Bigints become decimal strings on the way in, as on the
 * wire; on the way out the protocol's wire schemas parse them back, so what the store returns
 * is validated exactly as a message from the counterparty would be.
 */
export function toJson(value: unknown): unknown {
  return JSON.parse(jsonText(value));
}

/** The same as JSON text, for a `::json` parameter of a plain SQL statement. */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, (_key, item) =>
    typeof item === "bigint" ? item.toString(10) : item,
  );
}

export function fromJson<T>(schema: z.ZodType<unknown>, value: unknown, what: string): T {
  // A driver that hands json back as text still parses.
  const json = typeof value === "string" ? JSON.parse(value) : value;
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new StoreError(
      "CORRUPT_RECORD",
      `stored ${what} is invalid at ${issue?.path.join(".") || "root"}: ${issue?.message}`,
    );
  }
  return parsed.data as T;
}
