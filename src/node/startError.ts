/**
 * The part of the node that could not start. Each is placed by the operator's settings (the
 * database's URL or directory, the broker's port, NATS_URL, the API's port), so the CLI can
 * name the setting at fault; the cause is kept as the error's `cause`.
 */
export type NodeStartErrorCode =
  /** The database did not open or migrate. */
  | "DATABASE_FAILED"
  /** The embedded broker could not listen. */
  | "BROKER_LISTEN_FAILED"
  /** The messaging connection (NATS_URL or the embedded broker) did not open. */
  | "MESSAGING_FAILED"
  /** The HTTP API could not listen. */
  | "HTTP_LISTEN_FAILED";

export class NodeStartError extends Error {
  override readonly name = "NodeStartError";

  constructor(
    readonly code: NodeStartErrorCode,
    message: string,
    options: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Runs one part's start; its failure comes out as a NodeStartError naming the part. */
export async function startPart<T>(
  code: NodeStartErrorCode,
  what: string,
  start: () => T | Promise<T>,
): Promise<T> {
  try {
    return await start();
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new NodeStartError(code, `${what}: ${reason.split("\n")[0]}`, { cause });
  }
}
