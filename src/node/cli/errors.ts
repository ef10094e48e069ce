/** Why a setting was refused, as stable codes. */
export const CONFIG_ERROR_CODES = [
  /** A setting has a value that does not parse or is out of range. */
  "INVALID_SETTING",
  /** The command needs a setting that was not given. */
  "MISSING_SETTING",
  /** Two settings that exclude each other were both given. */
  "CONFLICTING_SETTINGS",
  /** The address book belongs to another chain than ETH_RPC_URL, or its contracts are missing. */
  "WRONG_CHAIN",
  /**
   * What a setting names refused it: its port is another process's (PORT, NATS_PORT), HOST is
   * not this machine's, PostgreSQL or NATS refused the login, DATA_DIR is not writable.
   */
  "UNUSABLE_SETTING",
] as const;

export type ConfigErrorCode = (typeof CONFIG_ERROR_CODES)[number];

/** Why the command line itself was refused. */
export const USAGE_ERROR_CODES = ["UNKNOWN_COMMAND", "UNKNOWN_OPTION", "BAD_ARGUMENT"] as const;

export type UsageErrorCode = (typeof USAGE_ERROR_CODES)[number];

/** Why a command failed while running, for failures with a cause the user can act on. */
export const COMMAND_ERROR_CODES = [
  /** ETH_RPC_URL did not answer eth_chainId. */
  "RPC_UNREACHABLE",
  /** The deploying account cannot pay for the deployment. */
  "UNFUNDED_ACCOUNT",
  /** NODE_URL did not answer. */
  "NODE_UNREACHABLE",
  /** The node refused to start the dispute (unknown channel, one running already). */
  "DISPUTE_REFUSED",
  /** `dev` has no ETH_RPC_URL and finds no anvil to start. */
  "ANVIL_NOT_FOUND",
  /** Nothing answers at DATABASE_URL. */
  "DATABASE_UNREACHABLE",
  /** The database (DATABASE_URL, or PGlite in DATA_DIR) failed to open or migrate otherwise. */
  "DATABASE_FAILED",
  /** Nothing answers at NATS_URL. */
  "MESSAGING_UNREACHABLE",
  /** NATS_URL answered but the connection failed otherwise. */
  "MESSAGING_FAILED",
  /** PORT or NATS_PORT could not be listened on, for a reason other than the setting. */
  "LISTEN_FAILED",
] as const;

export type CommandErrorCode = (typeof COMMAND_ERROR_CODES)[number];

/**
 * Every error the CLI reports as one line on stderr, with the exit code it ends with. The
 * message is that line: it names the setting or argument at fault.
 */
export abstract class CliError extends Error {
  abstract readonly code: string;
  abstract readonly exitCode: number;
}

/** A missing or wrong setting: exit 2. `setting` is its environment variable's name. */
export class ConfigError extends CliError {
  override readonly name = "ConfigError";
  readonly exitCode = 2;

  constructor(
    readonly code: ConfigErrorCode,
    readonly setting: string,
    message: string,
  ) {
    super(message);
  }
}

/** An unknown command or option, or a bad argument: exit 2. */
export class UsageError extends CliError {
  override readonly name = "UsageError";
  readonly exitCode = 2;

  constructor(
    readonly code: UsageErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A command that could not do its job for a reason outside the command line: exit 1. */
export class CommandError extends CliError {
  override readonly name = "CommandError";
  readonly exitCode = 1;

  constructor(
    readonly code: CommandErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export function isCliError(error: unknown): error is CliError {
  return error instanceof CliError;
}
