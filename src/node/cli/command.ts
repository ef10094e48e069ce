import type { Logger } from "pino";
import type { CliConfig, Flags } from "./config";
import type { CommandName } from "./settingTable";

/** A flag of one command that is not a setting (e.g. `deploy --out`). */
export interface CommandOption {
  type: "string" | "boolean";
  /** Shown in help after the flag, e.g. `<file>`. */
  placeholder?: string;
  defaultText?: string;
  description: string;
}

export interface CommandContext {
  config: CliConfig;
  /** Every flag given, settings and command options alike. */
  flags: Flags;
  logger: Logger;
  /** Writes one line of the command's output to stdout. */
  print(line: string): void;
}

/** One subcommand: its help and what it does. */
export interface Command {
  name: CommandName;
  /** One line for the command list. */
  summary: string;
  /** Paragraphs shown in the command's help after the summary. */
  details: string[];
  options: Record<string, CommandOption>;
  /** Resolves with the process's exit code. */
  run(context: CommandContext): Promise<number>;
}
