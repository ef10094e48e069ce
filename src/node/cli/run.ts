import { writeSync } from "node:fs";
import type { Logger } from "pino";
import packageJson from "../../../package.json";
import { createLogger } from "../logger";
import { parseCommandLine } from "./args";
import type { Command } from "./command";
import { deployCommand } from "./commands/deploy";
import { devCommand } from "./commands/dev";
import { disputeCommand } from "./commands/dispute";
import { migrateCommand } from "./commands/migrate";
import { natsConfigCommand } from "./commands/natsConfig";
import { startCommand } from "./commands/start";
import { type Env, loadConfig } from "./config";
import { isCliError } from "./errors";
import { commandHelp, mainHelp } from "./help";
import { Interrupted } from "./shutdown";

export const COMMANDS: readonly Command[] = [
  devCommand,
  startCommand,
  deployCommand,
  migrateCommand,
  disputeCommand,
  natsConfigCommand,
];

export const VERSION: string = packageJson.version;

/** Where the CLI writes: stdout for command output, stderr for errors (and logs). */
export interface CliOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

// Synchronous, so nothing is lost when the process exits right after.
const processOutput: CliOutput = {
  stdout: (text) => writeSync(1, text),
  stderr: (text) => writeSync(2, text),
};

/**
 * Runs `connext-node` with `argv` (the arguments after the executable and script) and
 * resolves with the exit code: 0 done, 1 failed while running, 2 bad command line or
 * settings, 130 interrupted before serving.
 *
 * @example
 * process.exitCode = await runCli(process.argv.slice(2), process.env);
 */
export async function runCli(
  argv: string[],
  env: Env,
  output: CliOutput = processOutput,
): Promise<number> {
  let logger: Logger | undefined;
  try {
    const invocation = parseCommandLine(argv, COMMANDS);
    switch (invocation.kind) {
      case "help":
        // Bare `connext-node` is a mistake worth exit 2; `--help` is not.
        if (argv.length === 0) {
          output.stderr(mainHelp(VERSION, COMMANDS));
          return 2;
        }
        output.stdout(mainHelp(VERSION, COMMANDS));
        return 0;
      case "version":
        output.stdout(`${VERSION}\n`);
        return 0;
      case "command-help":
        output.stdout(commandHelp(invocation.command));
        return 0;
      case "run": {
        const { command, flags } = invocation;
        const config = loadConfig(command.name, flags, env);
        logger = createLogger({ level: config.logLevel, pretty: process.stderr.isTTY === true });
        const print = (line: string) => output.stdout(`${line}\n`);
        return await command.run({ config, flags, logger, print });
      }
    }
  } catch (error) {
    if (isCliError(error)) {
      output.stderr(`${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof Interrupted) return 130;
    if (logger) {
      // Not under `err`: pino would re-serialize the summary as an Error.
      logger.fatal({ error: summarizeError(error) }, errorLine(error));
    } else {
      output.stderr(`${errorLine(error)}\n`);
    }
    return 1;
  }
}

const MAX_MESSAGE = 300;

/** The first line of an error's message, short: ethers puts whole transactions in its messages. */
export function errorLine(error: unknown): string {
  const short = (error as { shortMessage?: unknown }).shortMessage;
  const message =
    typeof short === "string" ? short : error instanceof Error ? error.message : String(error);
  const line = message.split("\n")[0] ?? message;
  return line.length > MAX_MESSAGE ? `${line.slice(0, MAX_MESSAGE)}…` : line;
}

/** What the fatal log line carries: the short message, the code and the call stack. */
function summarizeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const code = (error as { code?: unknown }).code;
  const frames = error.stack?.split("\n").filter((line) => line.trimStart().startsWith("at "));
  return { type: error.name, code, message: errorLine(error), stack: frames?.join("\n") };
}
