import type { Context } from "hono";
import type { z } from "zod";
import { checksumAddress } from "../auth";
import { ApiError } from "./errors";

/** The path parameter `name` as a checksummed address (400 INVALID_ADDRESS otherwise). */
export function addressParam(c: Context, name = "address"): string {
  return checksumAddress(c.req.param(name) ?? "");
}

/** The body parsed as JSON and checked against `schema` (400 MALFORMED_REQUEST otherwise). */
export async function jsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await c.req.text());
  } catch {
    throw new ApiError(400, "MALFORMED_REQUEST", "the body is not JSON");
  }
  const result = schema.safeParse(parsed);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`);
    throw new ApiError(400, "MALFORMED_REQUEST", issues.join("; "));
  }
  return result.data;
}
