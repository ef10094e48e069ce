import { resolve } from "node:path";
import { getAddress, HDNodeWallet, isAddress, Mnemonic, ZeroAddress } from "ethers";
import { z } from "zod";
import { signInOrigin } from "../auth/publicUrl";
import { LOG_LEVELS } from "../logger";
import type { CollateralPolicy, WithdrawalPolicy } from "../settings";

export const COMMAND_NAMES = [
  "dev",
  "start",
  "deploy",
  "migrate",
  "dispute",
  "nats-config",
] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

/** One setting: where it comes from, what it defaults to, how it is checked. */
export interface SettingSpec<T = unknown> {
  env: string;
  /** Long flag without the dashes. */
  flag: string;
  /** Shown in help after the flag, e.g. `<port>`. */
  placeholder: string;
  /** The default as help shows it; the value itself is applied by the config loader. */
  defaultText: string;
  description: string;
  /** Never echoed back in an error message. */
  secret?: boolean;
  commands: readonly CommandName[];
  /** Parses the raw string; issue messages read after "SETTING: ". */
  schema: z.ZodType<T, string>;
}

const ALL: readonly CommandName[] = COMMAND_NAMES;
const NODE: readonly CommandName[] = ["dev", "start"];
const CHAIN: readonly CommandName[] = ["dev", "start", "deploy"];
/** What needs the node's key: the chain's commands and the messaging account's configuration. */
const KEY: readonly CommandName[] = [...CHAIN, "nats-config"];

const portSchema = wholeNumber("must be a port number from 0 to 65535", 0, 65_535);

const urlWith = (protocols: string[], message: string) =>
  z.string().refine((value) => protocols.some((protocol) => hasProtocol(value, protocol)), {
    error: message,
  });

const wei = z
  .string({ error: "must be a decimal string of wei" })
  .regex(/^\d{1,78}$/, { error: "must be a decimal string of wei" })
  .transform((value) => BigInt(value));

const policy = z
  .strictObject(
    { target: wei, reclaimThreshold: wei },
    { error: "must be { target, reclaimThreshold }" },
  )
  .refine((value) => value.reclaimThreshold >= value.target, {
    error: "reclaimThreshold must be at least target",
  });

const assetKey = z
  .string()
  .refine((key) => key.toUpperCase() === "ETH" || isAddress(key), {
    error: 'must be an asset address (or "ETH")',
  })
  .transform((key) => (key.toUpperCase() === "ETH" ? ZeroAddress : getAddress(key)).toLowerCase());

/** A JSON object keyed by asset address (or "ETH"), each value checked by `value`. */
function jsonByAsset<T>(value: z.ZodType<T>) {
  return z
    .string()
    .transform((text, context) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        context.addIssue({ code: "custom", message: "must be JSON" });
        return z.NEVER;
      }
    })
    .pipe(
      z
        .custom<Record<string, unknown>>((parsed) => isPlainObject(parsed), {
          error: "must be a JSON object keyed by asset",
        })
        .pipe(z.record(assetKey, value)),
    );
}

const collateralSchema = jsonByAsset(policy).transform(
  (value): Record<string, CollateralPolicy> => value,
);

const withdrawalPolicy = z.strictObject(
  { minimum: wei, fee: wei },
  { error: "must be { minimum, fee }" },
);

const withdrawalsSchema = jsonByAsset(withdrawalPolicy).transform(
  (value): Record<string, WithdrawalPolicy> => value,
);

/** Every setting the CLI reads, in the order help lists them. */
export const SETTINGS = {
  port: spec({
    env: "PORT",
    flag: "port",
    placeholder: "<port>",
    defaultText: "3000",
    description: "HTTP API (and WebSocket messaging) port on HOST; 0 picks a free one.",
    commands: NODE,
    schema: portSchema,
  }),
  host: spec({
    env: "HOST",
    flag: "host",
    placeholder: "<address>",
    defaultText: "127.0.0.1",
    description: "Address the HTTP API listens on; 0.0.0.0 to accept other machines.",
    commands: NODE,
    schema: z
      .string()
      .regex(/^[A-Za-z0-9.:[\]-]+$/, { error: "must be a host name or IP address" }),
  }),
  publicUrl: spec({
    env: "PUBLIC_URL",
    flag: "public-url",
    placeholder: "<url>",
    defaultText: "http://HOST:PORT, where it listens",
    description:
      "The node's URL as clients reach it; sign-in messages name its host (EIP-4361 domain).",
    commands: NODE,
    schema: z
      .string()
      .refine((value) => signInOrigin(value) !== undefined, {
        error: "must be an http(s) URL with a host and no credentials, query or fragment",
      })
      .transform((value) => (signInOrigin(value) as { uri: string }).uri),
  }),
  trustProxy: spec({
    env: "TRUST_PROXY",
    flag: "trust-proxy",
    placeholder: "<true|false>",
    defaultText: "false",
    description:
      "A reverse proxy in front sets X-Forwarded-Proto/Host: the URLs the node hands back follow them.",
    commands: NODE,
    schema: z
      .enum(["true", "false", "1", "0"], { error: "must be true or false (or 1 or 0)" })
      .transform((value) => value === "true" || value === "1"),
  }),
  dataDir: spec({
    env: "DATA_DIR",
    flag: "data-dir",
    placeholder: "<dir>",
    defaultText: ".connext",
    description: "Directory for the embedded database and the dev address book.",
    commands: ALL,
    schema: z
      .string()
      .min(1, { error: "must be a directory path" })
      .transform((path) => resolve(path)),
  }),
  databaseUrl: spec({
    env: "DATABASE_URL",
    flag: "database-url",
    placeholder: "<url>",
    defaultText: "PGlite in DATA_DIR/pglite",
    description: "PostgreSQL to use instead of the embedded PGlite.",
    commands: ["dev", "start", "migrate"],
    // No host required: `postgres:///db?host=/run/postgresql` reaches a Unix socket.
    schema: z.string().refine((value) => /^postgres(ql)?:\/\//.test(value) && URL.canParse(value), {
      error: "must be a postgres:// or postgresql:// URL",
    }),
  }),
  natsUrl: spec({
    env: "NATS_URL",
    flag: "nats-url",
    placeholder: "<url>",
    defaultText: "the embedded broker",
    description: "NATS server or cluster (comma-separated nats:// or tls:// URLs).",
    commands: NODE,
    schema: z
      .string()
      .refine(
        (value) =>
          value
            .split(",")
            .every((part) => hasProtocol(part.trim(), "nats:") || hasProtocol(part.trim(), "tls:")),
        { error: "must be nats:// or tls:// URLs, comma-separated" },
      ),
  }),
  natsPort: spec({
    env: "NATS_PORT",
    flag: "nats-port",
    placeholder: "<port>",
    defaultText: "4222",
    description: "The embedded broker's TCP port on HOST; 0 picks a free one.",
    commands: NODE,
    schema: portSchema,
  }),
  ethRpcUrl: spec({
    env: "ETH_RPC_URL",
    flag: "eth-rpc-url",
    placeholder: "<url>",
    defaultText: "dev: a local anvil; required otherwise",
    description: "Ethereum JSON-RPC endpoint (http(s) or ws(s)).",
    commands: CHAIN,
    schema: urlWith(["http:", "https:", "ws:", "wss:"], "must be an http(s) or ws(s) URL"),
  }),
  privateKey: spec({
    env: "NODE_PRIVATE_KEY",
    flag: "private-key",
    placeholder: "<hex>",
    defaultText: "dev: anvil account 0; required otherwise (or a mnemonic)",
    description: "The node's signing key: its address is the node's identifier.",
    secret: true,
    commands: KEY,
    schema: z
      .string()
      .regex(/^(0x)?[0-9a-fA-F]{64}$/, { error: "must be 32 bytes as 64 hex digits", abort: true })
      .refine(isSigningKey, { error: "is not a valid secp256k1 private key" })
      .transform((key) => (key.startsWith("0x") ? key : `0x${key}`).toLowerCase()),
  }),
  mnemonic: spec({
    env: "NODE_MNEMONIC",
    flag: "mnemonic",
    placeholder: "<words>",
    defaultText: "none (exclusive with NODE_PRIVATE_KEY)",
    description: "BIP-39 phrase instead of a key: the node signs with its account 0.",
    secret: true,
    commands: KEY,
    schema: z
      .string()
      .transform((phrase) => phrase.trim().split(/\s+/).join(" "))
      .refine((phrase) => Mnemonic.isValidMnemonic(phrase), {
        error: "must be a valid BIP-39 mnemonic",
      })
      .transform((phrase) => HDNodeWallet.fromPhrase(phrase).privateKey),
  }),
  addressBook: spec({
    env: "ADDRESS_BOOK",
    flag: "address-book",
    placeholder: "<file>",
    defaultText: "dev: deploys and writes DATA_DIR/address-book.json; required by start",
    description: "JSON file naming the contracts on the chain (as `deploy` writes it).",
    commands: NODE,
    schema: z
      .string()
      .min(1, { error: "must be a file path" })
      .transform((path) => resolve(path)),
  }),
  nodeUrl: spec({
    env: "NODE_URL",
    flag: "node-url",
    placeholder: "<url>",
    defaultText: "http://127.0.0.1:3000",
    description: "The running node's HTTP API, whose admin routes `dispute` calls.",
    commands: ["dispute"],
    schema: urlWith(["http:", "https:"], "must be an http(s) URL"),
  }),
  adminToken: spec({
    env: "ADMIN_TOKEN",
    flag: "admin-token",
    placeholder: "<token>",
    defaultText: "none: admin routes and the dashboard are off (`dev` makes one up and prints it)",
    description:
      "Bearer token for the admin routes, and what the dashboard (/dashboard) signs in with (16 characters or more).",
    secret: true,
    commands: [...NODE, "dispute"],
    schema: z.string().regex(/^\S{16,}$/, { error: "must be at least 16 characters, no spaces" }),
  }),
  metricsToken: spec({
    env: "METRICS_TOKEN",
    flag: "metrics-token",
    placeholder: "<token>",
    defaultText: "none: /metrics is public",
    description: "Bearer token GET /metrics must carry (16 characters or more).",
    secret: true,
    commands: NODE,
    schema: z.string().regex(/^\S{16,}$/, { error: "must be at least 16 characters, no spaces" }),
  }),
  logLevel: spec({
    env: "LOG_LEVEL",
    flag: "log-level",
    placeholder: "<level>",
    defaultText: "info",
    description: `One of ${LOG_LEVELS.join(", ")}.`,
    commands: ALL,
    schema: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(", ")}` }),
  }),
  confirmations: spec({
    env: "CONFIRMATIONS",
    flag: "confirmations",
    placeholder: "<blocks>",
    defaultText: "1",
    description: "Blocks to wait for before a transaction counts as mined.",
    commands: NODE,
    schema: wholeNumber("must be a whole number of blocks from 1 to 1000", 1, 1000),
  }),
  collateral: spec({
    env: "COLLATERAL",
    flag: "collateral",
    placeholder: "<json>",
    defaultText: "dev: ETH 1/5 ETH, test token 1000/5000; start: none",
    description:
      'Per asset, wei as strings: {"<asset or ETH>": {"target": "…", "reclaimThreshold": "…"}}.',
    commands: NODE,
    schema: collateralSchema,
  }),
  collateralIdleSeconds: spec({
    env: "COLLATERAL_IDLE_SECONDS",
    flag: "collateral-idle-seconds",
    placeholder: "<seconds>",
    defaultText: "86400 (a day)",
    description:
      "A channel without an update this long gives back the collateral its demand does not justify; 0: never.",
    commands: NODE,
    schema: wholeNumber("must be a whole number of seconds from 0 to 31536000", 0, 31_536_000),
  }),
  collateralRequestIntervalSeconds: spec({
    env: "COLLATERAL_REQUEST_INTERVAL_SECONDS",
    flag: "collateral-request-interval",
    placeholder: "<seconds>",
    defaultText: "60",
    description: "A user may ask for collateral once per asset in this many seconds; 0: no limit.",
    commands: NODE,
    schema: wholeNumber("must be a whole number of seconds from 0 to 86400", 0, 86_400),
  }),
  withdrawals: spec({
    env: "WITHDRAWALS",
    flag: "withdrawals",
    placeholder: "<json>",
    defaultText:
      "dev: ETH 0.001 / 0.0001 ETH, test token 1 / 0.1; start: the native coin 0.001 / 0.0001",
    description:
      'Per asset, wei as strings: {"<asset or ETH>": {"minimum": "…", "fee": "…"}}: the least a user withdraws and the fee the node keeps for its gas.',
    commands: NODE,
    schema: withdrawalsSchema,
  }),
  withdrawalsPerHour: spec({
    env: "WITHDRAWALS_PER_HOUR",
    flag: "withdrawals-per-hour",
    placeholder: "<count>",
    defaultText: "10",
    description: "Withdrawals one user may make in any hour; 0: no limit.",
    commands: NODE,
    schema: wholeNumber("must be a whole number of withdrawals from 0 to 100000", 0, 100_000),
  }),
};

export type SettingKey = keyof typeof SETTINGS;

/** The settings `command` reads, in help order. */
export function settingsOf(command: CommandName): SettingKey[] {
  return (Object.keys(SETTINGS) as SettingKey[]).filter((key) =>
    SETTINGS[key].commands.includes(command),
  );
}

function spec<T>(value: SettingSpec<T>): SettingSpec<T> {
  return value;
}

function wholeNumber(message: string, min: number, max: number) {
  return z
    .string()
    .regex(/^\d{1,10}$/, { error: message, abort: true })
    .transform(Number)
    .refine((value) => value >= min && value <= max, { error: message });
}

function hasProtocol(value: string, protocol: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === protocol && url.host !== "";
  } catch {
    return false;
  }
}

/** secp256k1's group order: a private key is a number from 1 to n - 1. */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

function isSigningKey(key: string): boolean {
  const value = BigInt(key.startsWith("0x") ? key : `0x${key}`);
  return value > 0n && value < SECP256K1_N;
}

function isPlainObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
