import type { FullTransferState } from "../protocol";
import { encodeWire } from "../protocol/messaging";
import { ClientError } from "./errors";

/**
 * Most bytes of JSON (UTF-8) an application's `meta` may take. A transfer's whole meta (the
 * routing with the payer's sealed terms, under 1 KiB, plus `app`) must stay within the
 * protocol's MAX_META_BYTES (4 KiB), or the node refuses the proposal after we signed it.
 */
export const MAX_APP_META_BYTES = 3072;

/** How deep an application's meta may nest: deeper is a mistake (or a cycle), not a note. */
const MAX_DEPTH = 16;

/**
 * Checks the application's `meta` of a payment before anything is signed: a plain object of
 * JSON values (strings, finite numbers, booleans, null, arrays, plain objects; a bigint travels
 * as its decimal string) within MAX_APP_META_BYTES. What it refuses would either not arrive as
 * it was sent (an `undefined`, a `Date`, a `NaN` changes on the way) or not fit the transfer.
 * Throws INVALID_META or META_TOO_LARGE; returns the meta unchanged.
 *
 * @example
 * checkAppMeta({ invoice: "INV-42", lines: [{ sku: "tea", qty: 2 }] });
 */
export function checkAppMeta(meta: unknown): Record<string, unknown> | undefined {
  if (meta === undefined) return undefined;
  if (!isPlainObject(meta)) {
    throw new ClientError("INVALID_META", `meta must be a plain object, not ${describe(meta)}`);
  }
  const problem = problemOf(meta, "meta", 0);
  if (problem) throw new ClientError("INVALID_META", problem);
  const bytes = new TextEncoder().encode(encodeWire(meta)).byteLength;
  if (bytes > MAX_APP_META_BYTES) {
    throw new ClientError(
      "META_TOO_LARGE",
      `meta is ${bytes} bytes of JSON, more than the ${MAX_APP_META_BYTES} a payment carries: nothing was signed`,
      { bytes, maxBytes: MAX_APP_META_BYTES },
    );
  }
  return meta;
}

/** Where the first value that is not plain JSON sits, and what it is; undefined when none. */
function problemOf(value: unknown, path: string, depth: number): string | undefined {
  if (depth > MAX_DEPTH) return `${path} nests deeper than ${MAX_DEPTH} levels`;
  switch (typeof value) {
    case "string":
    case "boolean":
    case "bigint":
      return undefined;
    case "number":
      return Number.isFinite(value) ? undefined : `${path} is ${value}, which JSON cannot carry`;
    case "object": {
      if (value === null) return undefined;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const problem = problemOf(value[i], `${path}[${i}]`, depth + 1);
          if (problem) return problem;
        }
        return undefined;
      }
      if (!isPlainObject(value)) return `${path} is ${describe(value)}, not a plain object`;
      for (const [key, item] of Object.entries(value)) {
        const problem = problemOf(item, `${path}.${key}`, depth + 1);
        if (problem) return problem;
      }
      return undefined;
    }
    default:
      return `${path} is ${describe(value)}, which JSON cannot carry`;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return `a ${value.constructor?.name ?? "object"}`;
  return `a ${typeof value}`;
}

/**
 * The application's meta of a transfer, as agreed at create: the protocol keeps a resolver's
 * note apart (`resolveMeta`), so what a counterparty sends when it resolves never shows here.
 */
export function appMetaOf(transfer: FullTransferState): Record<string, unknown> | undefined {
  const app = transfer.meta?.app;
  return isPlainObject(app) ? app : undefined;
}
