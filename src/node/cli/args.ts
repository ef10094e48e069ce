import { parseArgs } from "node:util";
import type { Command } from "./command";
import type { Flags } from "./config";
import { UsageError } from "./errors";
import { SETTINGS, settingsOf } from "./settingTable";

/** What the command line asks for. */
export type Invocation =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "command-help"; command: Command }
  | { kind: "run"; command: Command; flags: Flags };

/**
 * Reads `argv` (without the executable and script): a command name first, then only the
 * flags that command knows (strict), no positional arguments.
 *
 * @throws UsageError with a one-line message for an unknown command, flag or argument.
 */
export function parseCommandLine(argv: string[], commands: readonly Command[]): Invocation {
  const [first, ...rest] = argv;
  if (first === undefined || first === "--help" || first === "-h" || first === "help") {
    return { kind: "help" };
  }
  if (first === "--version" || first === "-v") return { kind: "version" };
  const command = commands.find((candidate) => candidate.name === first);
  if (!command) {
    const names = commands.map((candidate) => candidate.name).join(", ");
    const what = first.startsWith("-")
      ? `option "${first}" before a command`
      : `command "${first}"`;
    throw new UsageError("UNKNOWN_COMMAND", `unknown ${what}: commands are ${names} (see --help)`);
  }

  const flags = parseFlags(command, rest);
  if (flags.help === true) return { kind: "command-help", command };
  return { kind: "run", command, flags };
}

function parseFlags(command: Command, args: string[]): Flags {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {
    help: { type: "boolean", short: "h" },
  };
  for (const key of settingsOf(command.name)) options[SETTINGS[key].flag] = { type: "string" };
  for (const [flag, option] of Object.entries(command.options))
    options[flag] = { type: option.type };
  try {
    return { ...parseArgs({ args, options, strict: true, allowPositionals: false }).values };
  } catch (error) {
    throw new UsageError(
      usageCode(error),
      `${command.name}: ${usageMessage(error)} (see ${helpHint(command)})`,
    );
  }
}

function usageCode(error: unknown) {
  return (error as { code?: string }).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION"
    ? "UNKNOWN_OPTION"
    : "BAD_ARGUMENT";
}

/** parseArgs' messages, made one line and about this command. */
function usageMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code;
  const quoted = /'([^']*)'/.exec(message)?.[1];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && quoted) return `unknown option "${quoted}"`;
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL" && quoted) {
    return `unexpected argument "${quoted}" (this command takes only options)`;
  }
  return message.split("\n")[0] ?? message;
}

function helpHint(command: Command): string {
  return `connext-node ${command.name} --help`;
}
