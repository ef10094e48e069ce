import { ClientError } from "./errors";

/**
 * What a public method's arguments must be, checked before anything else happens so that a
 * wrong type fails with INVALID_ARGUMENT naming the argument (`context.argument`) rather than
 * deep inside the protocol as a malformed message. A trailing `?` makes an argument optional.
 */
export type ArgumentSpec = Record<string, Kind | `${Kind}?`>;

type Kind = keyof typeof KINDS;

const MAX_UINT256 = 2n ** 256n - 1n;

/** Each kind's test: what the value should have been, or undefined when it is one. */
const KINDS = {
  amount: (value: unknown) =>
    typeof value === "bigint" && value <= MAX_UINT256
      ? undefined
      : `a bigint in the asset's base units (e.g. parseEther("0.1"))${typeof value === "bigint" ? " that fits 256 bits" : ""}`,
  address: (value: unknown) =>
    typeof value === "string" && /^0x[0-9a-fA-F]{40}$/.test(value)
      ? undefined
      : "a 0x address (20 bytes of hex)",
  bytes32: (value: unknown) =>
    typeof value === "string" && /^0x[0-9a-fA-F]{64}$/.test(value)
      ? undefined
      : "32 bytes of 0x hex",
  privateKey: (value: unknown) =>
    typeof value === "string" && /^0x[0-9a-fA-F]{64}$/.test(value)
      ? undefined
      : "a private key (32 bytes of 0x hex) or a wallet holding one",
  seconds: (value: unknown) =>
    typeof value === "number" && Number.isSafeInteger(value) && value > 0
      ? undefined
      : "unix seconds (a positive integer)",
  ms: (value: unknown) =>
    typeof value === "number" && Number.isFinite(value) && value >= 0
      ? undefined
      : "a number of milliseconds",
  url: (value: unknown) => (isUrl(value) ? undefined : "an http(s) or ws(s) URL"),
} satisfies Record<string, (value: unknown) => string | undefined>;

/**
 * Throws INVALID_ARGUMENT unless `params` is an object whose fields are what `spec` says.
 *
 * @example
 * checkArguments("transfer", params, { recipient: "address", amount: "amount", paymentId: "bytes32?" });
 */
export function checkArguments(method: string, params: unknown, spec: ArgumentSpec): void {
  if (params === null || typeof params !== "object" || Array.isArray(params)) {
    throw new ClientError(
      "INVALID_ARGUMENT",
      `${method} takes an object { ${Object.keys(spec).join(", ")} }, not ${describe(params)}`,
      { argument: "params" },
    );
  }
  for (const [name, declared] of Object.entries(spec)) {
    const optional = declared.endsWith("?");
    const kind = (optional ? declared.slice(0, -1) : declared) as Kind;
    const value = (params as Record<string, unknown>)[name];
    if (optional && value === undefined) continue;
    const expected = KINDS[kind](value);
    if (expected) {
      // A key that is almost right is still a key: never echoed into a message or a log.
      const got = kind === "privateKey" ? describeSecret(value) : describe(value);
      throw new ClientError(
        "INVALID_ARGUMENT",
        `${method}: ${name} must be ${expected}, not ${got}`,
        { argument: name },
      );
    }
  }
}

function isUrl(value: unknown): boolean {
  if (typeof value !== "string") return false;
  try {
    return ["http:", "https:", "ws:", "wss:"].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

function describeSecret(value: unknown): string {
  return typeof value === "string" ? `a string of ${value.length} characters` : describe(value);
}

/** A value as an error message names it: its type, and what it is when short. */
function describe(value: unknown): string {
  if (value === undefined) return "missing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  switch (typeof value) {
    case "string":
      return `the string ${JSON.stringify(value.length > 48 ? `${value.slice(0, 45)}...` : value)}`;
    case "number":
    case "bigint":
    case "boolean":
      return `the ${typeof value} ${String(value)}`;
    default:
      return `a ${typeof value}`;
  }
}
