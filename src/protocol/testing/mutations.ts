/**
 * Single-field mutations of a JSON message, for adversarial tests: every mutation changes the
 * message's meaning (a different value, a missing or extra field, a truncated or extended
 * payload); none is a mere re-spelling such as a change of letter case.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface Mutation {
  /** Which leaf or container to touch, taken modulo the number of candidates. */
  target: number;
  /** Which kind of change, taken modulo the kinds that apply. */
  kind: number;
  /** Free randomness for the change itself. */
  a: number;
  b: number;
}

/** Applies `mutation` to the JSON text `raw` and returns the new text, with what it did. */
export function mutate(raw: string, mutation: Mutation): { raw: string; description: string } {
  if (mutation.kind % 10 === 9) return rawMutation(raw, mutation);
  const message = JSON.parse(raw) as Json;
  const paths = collectPaths(message);
  const path = paths[mutation.target % paths.length] as (string | number)[];
  const description = structuralMutation(message, path, mutation);
  return {
    raw: JSON.stringify(message),
    description: `${description} at ${path.join(".") || "root"}`,
  };
}

function rawMutation(raw: string, { a, b }: Mutation): { raw: string; description: string } {
  switch (a % 3) {
    case 0: {
      const cut = b % raw.length;
      return { raw: raw.slice(0, cut), description: `truncated to ${cut} characters` };
    }
    case 1:
      return { raw: `${raw}${"x".repeat(1 + (b % 8))}`, description: "extended with garbage" };
    default: {
      const at = b % raw.length;
      const replacement = String.fromCharCode(33 + ((raw.charCodeAt(at) + 1 + (a % 90)) % 94));
      return {
        raw: raw.slice(0, at) + replacement + raw.slice(at + 1),
        description: `byte ${at} replaced`,
      };
    }
  }
}

function collectPaths(
  value: Json,
  path: (string | number)[] = [],
  out: (string | number)[][] = [],
) {
  out.push(path);
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) collectPaths(item, [...path, i], out);
  } else if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) collectPaths(item, [...path, key], out);
  }
  return out;
}

function structuralMutation(
  root: Json,
  path: (string | number)[],
  { kind, a, b }: Mutation,
): string {
  const parent =
    path.length === 0 ? undefined : (get(root, path.slice(0, -1)) as Record<string, Json> | Json[]);
  const key = path[path.length - 1];
  const value = get(root, path);
  const isContainer = value !== null && typeof value === "object";

  // Containers: add an unknown field or an extra element, or drop one.
  if (isContainer || kind % 3 === 0) {
    if (Array.isArray(value)) {
      if (kind % 2 === 0 && value.length > 0) {
        value.splice(a % value.length, 1);
        return "array element removed";
      }
      value.push(value.length > 0 ? structuredClone(value[a % value.length] as Json) : "0x00");
      return "array element added";
    }
    if (isContainer) {
      const object = value as Record<string, Json>;
      const keys = Object.keys(object);
      if (kind % 2 === 0 && keys.length > 0) {
        delete object[keys[a % keys.length] as string];
        return "field removed";
      }
      object[`extra${b % 100}`] = b;
      return "field added";
    }
    if (parent !== undefined && key !== undefined) {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key as string];
      return "leaf removed";
    }
  }
  if (parent === undefined || key === undefined) return "nothing";
  const changed = changeLeaf(value, a, b);
  if (Array.isArray(parent)) parent[key as number] = changed;
  else parent[key as string] = changed;
  return `leaf ${JSON.stringify(value)} → ${JSON.stringify(changed)}`;
}

function changeLeaf(value: Json, a: number, b: number): Json {
  if (typeof value === "number") {
    const delta = 1 + (b % 1000);
    return a % 2 === 0 || value < delta ? value + delta : value - delta;
  }
  if (typeof value === "boolean") return !value;
  if (typeof value !== "string") return "mutated";
  if (/^0x[0-9a-fA-F]*$/.test(value) && value.length > 2) return flipNibble(value, a, b);
  if (/^[0-9]+$/.test(value)) {
    const n = BigInt(value);
    const delta = 1n + BigInt(b % 1000);
    return (a % 2 === 0 || n < delta ? n + delta : n - delta).toString();
  }
  return `${value}${String.fromCharCode(97 + (a % 26))}`;
}

/** Replaces one hex digit with a different value (not just another letter case). */
function flipNibble(hex: string, a: number, b: number): string {
  const at = 2 + (a % (hex.length - 2));
  const current = Number.parseInt(hex[at] as string, 16);
  const next = (current + 1 + (b % 15)) % 16;
  return hex.slice(0, at) + next.toString(16) + hex.slice(at + 1);
}

function get(root: Json, path: (string | number)[]): Json {
  let node = root;
  for (const key of path) node = (node as Record<string, Json>)[key as string] as Json;
  return node;
}
