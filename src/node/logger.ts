import { writeSync } from "node:fs";
import pino, { type DestinationStream, type Logger } from "pino";

/** pino's levels, quietest last; `silent` turns logging off. */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;

export type LogLevel = (typeof LOG_LEVELS)[number];

export class LoggerError extends Error {
  override readonly name = "LoggerError";
  readonly code = "INVALID_LOG_LEVEL";
}

export interface LoggerOptions {
  level: string;
  /** One readable line per event instead of JSON (for a terminal). */
  pretty?: boolean;
  /** File descriptor to write to; stderr, so stdout stays free for command output. */
  fd?: number;
}

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/**
 * The node's logger: one JSON line per event on stderr, written synchronously so nothing is
 * lost when the process exits right after logging.
 *
 * @example
 * const logger = createLogger({ level: "info" });
 * logger.info({ port: 3000 }, "listening");
 */
export function createLogger(options: LoggerOptions): Logger {
  if (!isLogLevel(options.level)) {
    throw new LoggerError(
      `log level must be one of ${LOG_LEVELS.join(", ")}, got ${JSON.stringify(options.level)}`,
    );
  }
  const fd = options.fd ?? 2;
  const destination = options.pretty
    ? prettyDestination(fd)
    : pino.destination({ dest: fd, sync: true });
  return pino({ level: options.level }, destination);
}

const LEVEL_NAMES: Record<number, string> = {
  10: "TRACE",
  20: "DEBUG",
  30: "INFO",
  40: "WARN",
  50: "ERROR",
  60: "FATAL",
};

/** `12:00:00.000 INFO  message key=value …`: pino-pretty's job in a few lines, without a worker thread. */
function prettyDestination(fd: number): DestinationStream {
  return {
    write(line: string) {
      writeSync(fd, `${prettyLine(line)}\n`);
    },
  };
}

/** Formats one of pino's JSON lines; a line that is not JSON passes through unchanged. */
export function prettyLine(line: string): string {
  let event: Record<string, unknown>;
  try {
    event = JSON.parse(line);
  } catch {
    return line.trimEnd();
  }
  const { level, time, msg, pid: _pid, hostname: _hostname, ...fields } = event;
  const clock = typeof time === "number" ? new Date(time).toISOString().slice(11, 23) : "";
  const name = (LEVEL_NAMES[level as number] ?? String(level)).padEnd(5);
  const extras = Object.entries(fields).map(([key, value]) => `${key}=${formatValue(value)}`);
  return [clock, name, msg ?? "", ...extras].filter((part) => part !== "").join(" ");
}

function formatValue(value: unknown): string {
  if (typeof value === "string") return /[\s="]/.test(value) ? JSON.stringify(value) : value;
  if (value && typeof value === "object" && "stack" in value && typeof value.stack === "string") {
    return `\n${value.stack}`;
  }
  return JSON.stringify(value);
}
