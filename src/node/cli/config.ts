import { resolve } from "node:path";
import type { z } from "zod";
import type { AddressBook } from "../../contracts-bindings";
import type { LogLevel } from "../logger";
import type { CollateralPolicy, NodeSettings, WithdrawalPolicy } from "../settings";
import { ConfigError } from "./errors";
import {
  type CommandName,
  SETTINGS,
  type SettingKey,
  type SettingSpec,
  settingsOf,
} from "./settingTable";

/** Flag values as node:util parseArgs returns them, keyed by long flag name. */
export type Flags = Record<string, string | boolean | undefined>;
export type Env = Record<string, string | undefined>;

/** The settings a command reads, validated, with defaults applied where there are any. */
export interface CliConfig {
  host: string;
  port: number;
  /** Normalised (no trailing slash); absent: the URL the node listens on. */
  publicUrl?: string;
  /** Take scheme and host from X-Forwarded-Proto/Host (TRUST_PROXY). */
  trustProxy: boolean;
  /** Absolute. */
  dataDir: string;
  databaseUrl?: string;
  natsUrl?: string;
  natsPort: number;
  ethRpcUrl?: string;
  /** From NODE_PRIVATE_KEY or NODE_MNEMONIC (account 0), 0x-prefixed. */
  privateKey?: string;
  /** Absolute path of the address book file. */
  addressBookPath?: string;
  adminToken?: string;
  /** The running node's HTTP API (`dispute`). */
  nodeUrl: string;
  metricsToken?: string;
  logLevel: LogLevel;
  confirmations: number;
  /** Absent: the command's default (see `dev` and `start`). */
  collateral?: Record<string, CollateralPolicy>;
  /** Absent: the node's default (a day). */
  collateralIdleSeconds?: number;
  /** Absent: the node's default (60 s). */
  collateralRequestIntervalSeconds?: number;
  /** Absent: the command's default (see `dev` and `start`). */
  withdrawals?: Record<string, WithdrawalPolicy>;
  /** Absent: the node's default (10). */
  withdrawalsPerHour?: number;
}

export const DEFAULTS = {
  host: "127.0.0.1",
  port: 3000,
  dataDir: ".connext",
  natsPort: 4222,
  logLevel: "info",
  confirmations: 1,
  nodeUrl: "http://127.0.0.1:3000",
} as const;

/**
 * Reads the settings `command` uses from flags and environment (a flag wins over its
 * variable; an empty variable counts as unset) and validates each. Settings other commands
 * use are not read, so a stray variable cannot break an unrelated command.
 *
 * @throws ConfigError naming the first setting that is wrong, in one line.
 * @example
 * const config = loadConfig("start", { port: "8080" }, process.env);
 */
export function loadConfig(command: CommandName, flags: Flags, env: Env): CliConfig {
  const used = new Set(settingsOf(command));
  const read = <K extends SettingKey>(key: K) =>
    used.has(key) ? parseSetting(SETTINGS[key] as SettingSpec<Parsed<K>>, flags, env) : undefined;

  return {
    host: read("host") ?? DEFAULTS.host,
    port: read("port") ?? DEFAULTS.port,
    publicUrl: read("publicUrl"),
    trustProxy: read("trustProxy") ?? false,
    dataDir: read("dataDir") ?? resolve(DEFAULTS.dataDir),
    databaseUrl: read("databaseUrl"),
    natsUrl: read("natsUrl"),
    natsPort: read("natsPort") ?? DEFAULTS.natsPort,
    ethRpcUrl: read("ethRpcUrl"),
    privateKey: used.has("privateKey") ? readKey(flags, env) : undefined,
    addressBookPath: read("addressBook"),
    adminToken: read("adminToken"),
    nodeUrl: read("nodeUrl") ?? DEFAULTS.nodeUrl,
    metricsToken: read("metricsToken"),
    logLevel: read("logLevel") ?? DEFAULTS.logLevel,
    confirmations: read("confirmations") ?? DEFAULTS.confirmations,
    collateral: read("collateral"),
    collateralIdleSeconds: read("collateralIdleSeconds"),
    collateralRequestIntervalSeconds: read("collateralRequestIntervalSeconds"),
    withdrawals: read("withdrawals"),
    withdrawalsPerHour: read("withdrawalsPerHour"),
  };
}

type Parsed<K extends SettingKey> = (typeof SETTINGS)[K] extends SettingSpec<infer T> ? T : never;

/** The value `command` cannot run without; a one-line ConfigError when it is absent. */
export function requireSetting<
  K extends "ethRpcUrl" | "privateKey" | "addressBookPath" | "adminToken",
>(config: CliConfig, key: K, command: CommandName): NonNullable<CliConfig[K]> {
  const value = config[key];
  if (value !== undefined) return value as NonNullable<CliConfig[K]>;
  if (key === "privateKey") {
    const { privateKey: k, mnemonic: m } = SETTINGS;
    throw new ConfigError(
      "MISSING_SETTING",
      k.env,
      `${k.env} or ${m.env}: "${command}" needs the node's key (or --${k.flag} / --${m.flag})`,
    );
  }
  const spec =
    key === "addressBookPath" ? SETTINGS.addressBook : SETTINGS[key as "ethRpcUrl" | "adminToken"];
  throw new ConfigError(
    "MISSING_SETTING",
    spec.env,
    `${spec.env}: "${command}" needs it (or --${spec.flag})`,
  );
}

/** The node's settings once the command has its chain, key and address book. */
export function toNodeSettings(
  config: CliConfig,
  chain: {
    ethRpcUrl: string;
    privateKey: string;
    addressBook: AddressBook;
    collateral: Record<string, CollateralPolicy>;
    withdrawals: Record<string, WithdrawalPolicy>;
  },
): NodeSettings {
  return {
    host: config.host,
    port: config.port,
    publicUrl: config.publicUrl,
    trustProxy: config.trustProxy,
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl,
    natsUrl: config.natsUrl,
    natsPort: config.natsPort,
    adminToken: config.adminToken,
    metricsToken: config.metricsToken,
    logLevel: config.logLevel,
    confirmations: config.confirmations,
    collateralIdleSeconds: config.collateralIdleSeconds,
    collateralRequestIntervalSeconds: config.collateralRequestIntervalSeconds,
    withdrawalsPerHour: config.withdrawalsPerHour,
    ...chain,
  };
}

function parseSetting<T>(spec: SettingSpec<T>, flags: Flags, env: Env): T | undefined {
  const given = pick(spec, flags, env);
  if (!given) return undefined;
  const result = spec.schema.safeParse(given.raw);
  if (result.success) return result.data;
  throw new ConfigError("INVALID_SETTING", spec.env, describe(spec, given, result.error));
}

interface Given {
  raw: string;
  /** `PORT` or `--port`: how the user named it. */
  from: string;
}

function pick(spec: SettingSpec, flags: Flags, env: Env): Given | undefined {
  const flag = flags[spec.flag];
  if (typeof flag === "string") return { raw: flag, from: `--${spec.flag}` };
  const value = env[spec.env];
  if (value !== undefined && value !== "") return { raw: value, from: spec.env };
  return undefined;
}

/** `SETTING: what is wrong, got "value"`, one line; secrets are never echoed. */
function describe(spec: SettingSpec, given: Given, error: z.ZodError): string {
  // A bad record key comes wrapped: its own message is the useful one.
  const first = error.issues[0];
  const inner = first?.code === "invalid_key" ? first.issues[0] : undefined;
  const issue = inner && first ? { ...inner, path: first.path } : first;
  const path = issue?.path.length ? `${issue.path.map(String).join(".")}: ` : "";
  const message = `${given.from}: ${path}${issue?.message ?? "is not valid"}`;
  if (spec.secret) return `${message} (value not shown)`;
  if (path) return message;
  return `${message}, got ${JSON.stringify(redactCredentials(given.raw))}`;
}

/** `scheme://user:secret@host` → `scheme://user:***@host`, so a password never reaches a log. */
export function redactCredentials(value: string): string {
  return value.replace(/(\/\/[^:/@\s]*:)[^@/\s]*@/g, "$1***@");
}

/**
 * The key comes from NODE_PRIVATE_KEY or NODE_MNEMONIC, never both. Flags win over the
 * environment as a pair: `--private-key` overrides a NODE_MNEMONIC in the environment.
 */
function readKey(flags: Flags, env: Env): string | undefined {
  const { privateKey: key, mnemonic } = SETTINGS;
  const fromFlags = typeof flags[key.flag] === "string" || typeof flags[mnemonic.flag] === "string";
  const sources: Flags = fromFlags ? flags : {};
  const environment: Env = fromFlags ? {} : env;
  const givenKey = pick(key, sources, environment);
  const givenMnemonic = pick(mnemonic, sources, environment);
  if (givenKey && givenMnemonic) {
    throw new ConfigError(
      "CONFLICTING_SETTINGS",
      key.env,
      `${givenKey.from}, ${givenMnemonic.from}: give the node's key one way, not both`,
    );
  }
  if (givenKey) return parseSetting(key, sources, environment);
  if (givenMnemonic) return parseSetting(mnemonic, sources, environment);
  return undefined;
}
