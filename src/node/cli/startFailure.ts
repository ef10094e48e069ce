import { NodeStartError } from "../startError";
import { redactCredentials } from "./config";
import { type CliError, CommandError, type CommandErrorCode, ConfigError } from "./errors";
import { describeCause } from "./failureCause";
import { pgliteDir } from "./paths";

/** Where the node was told to put its parts: the settings a start failure is named by. */
export interface StartPlacement {
  host: string;
  port: number;
  natsPort: number;
  natsUrl?: string;
  databaseUrl?: string;
  dataDir: string;
}

/**
 * The one line (and exit code) for a node that failed to start: the setting at fault and the
 * cause. Undefined for failures no setting explains (they stay fatal log lines, exit 1).
 */
export function startFailure(error: unknown, placed: StartPlacement): CliError | undefined {
  if (!(error instanceof NodeStartError)) return undefined;
  switch (error.code) {
    case "DATABASE_FAILED":
      return databaseFailure(error, placed);
    case "BROKER_LISTEN_FAILED":
      return listenFailure(error, "NATS_PORT", placed.host, placed.natsPort);
    case "HTTP_LISTEN_FAILED":
      return listenFailure(error, "PORT", placed.host, placed.port);
    case "MESSAGING_FAILED":
      // The embedded broker's own connection failing is not the operator's setting.
      if (!placed.natsUrl) return undefined;
      return reachFailure(error, "NATS_URL", redactCredentials(placed.natsUrl), {
        unreachable: "MESSAGING_UNREACHABLE",
        other: "MESSAGING_FAILED",
        // The node signs in with a JWT of the account derived from its key (DESIGN §5).
        refusedAdvice: "run it with `connext-node nats-config`'s configuration for this key",
      });
  }
}

/** DATABASE_URL that does not answer or refuses, or PGlite in DATA_DIR that does not open. */
export function databaseFailure(
  error: unknown,
  target: { databaseUrl?: string; dataDir: string },
): CliError {
  if (target.databaseUrl) {
    return reachFailure(error, "DATABASE_URL", redactCredentials(target.databaseUrl), {
      unreachable: "DATABASE_UNREACHABLE",
      other: "DATABASE_FAILED",
    });
  }
  const cause = describeCause(error);
  const line = `DATA_DIR: cannot open PGlite in ${pgliteDir(target.dataDir)} (${cause.text})`;
  return cause.kind === "refused"
    ? new ConfigError("UNUSABLE_SETTING", "DATA_DIR", line)
    : new CommandError("DATABASE_FAILED", line, { cause: error });
}

/** A server at `shown` (a URL setting) that did not answer, refused, or failed otherwise. */
function reachFailure(
  error: unknown,
  setting: string,
  shown: string,
  codes: { unreachable: CommandErrorCode; other: CommandErrorCode; refusedAdvice?: string },
): CliError {
  const cause = describeCause(error);
  switch (cause.kind) {
    case "unreachable":
      return new CommandError(
        codes.unreachable,
        `${setting}: no answer from ${shown} (${cause.text})`,
        {
          cause: error,
        },
      );
    case "refused":
      return new ConfigError(
        "UNUSABLE_SETTING",
        setting,
        `${setting}: ${shown} refused the node (${cause.text})${codes.refusedAdvice ? `; ${codes.refusedAdvice}` : ""}`,
      );
    case "other":
      return new CommandError(codes.other, `${setting}: ${shown} failed (${cause.text})`, {
        cause: error,
      });
  }
}

/** A listener on `host`:`port` that could not open: the port is taken, or the host is not ours. */
function listenFailure(
  error: unknown,
  setting: "PORT" | "NATS_PORT",
  host: string,
  port: number,
): CliError {
  const cause = describeCause(error);
  const where = `${host.includes(":") ? `[${host}]` : host}:${port}`;
  if (cause.code === "EADDRNOTAVAIL") {
    return new ConfigError(
      "UNUSABLE_SETTING",
      "HOST",
      `HOST: cannot listen on ${where} (${cause.text})`,
    );
  }
  if (cause.kind === "refused") {
    const advice =
      cause.code === "EADDRINUSE" ? `; set ${setting} to a free port, or 0 for any` : "";
    return new ConfigError(
      "UNUSABLE_SETTING",
      setting,
      `${setting}: cannot listen on ${where} (${cause.text}${advice})`,
    );
  }
  return new CommandError(
    "LISTEN_FAILED",
    `${setting}: cannot listen on ${where} (${cause.text})`,
    {
      cause: error,
    },
  );
}
