import type { Logger } from "pino";
import { type RunningNode, startNode } from "../node";
import type { NodeSettings } from "../settings";
import { makeDataDir } from "./dataDir";
import { type Shutdown, unlessSignalled } from "./shutdown";
import { startFailure } from "./startFailure";

/**
 * Starts the node, prints where it is reachable (the one line of output `dev` and `start`
 * have), and keeps it up until a signal. Resolves with the exit code.
 */
export async function serveNode(
  label: "dev" | "start",
  settings: NodeSettings,
  io: {
    logger: Logger;
    print(line: string): void;
    shutdown: Shutdown;
    /** `dev` made ADMIN_TOKEN up: the ready line shows it, to sign in to the dashboard. */
    showAdminToken?: boolean;
  },
): Promise<number> {
  // PGlite creates its own directory but not DATA_DIR above it.
  await makeDataDir(settings.dataDir);
  const starting = startNode(settings, io.logger);
  let node: RunningNode;
  try {
    node = await unlessSignalled(io.shutdown, starting);
  } catch (error) {
    // Interrupted while starting: a node that comes up anyway is stopped right away.
    starting.then((late) => late.stop()).catch(() => {});
    // A part placed by a setting (database, ports, NATS_URL): one line naming it.
    throw startFailure(error, settings) ?? error;
  }
  io.shutdown.add("node", () => node.stop());
  io.logger.info({ identifier: node.identifier, http: node.httpUrl }, "node is up");
  const dashboard = settings.adminToken
    ? {
        url: `${settings.publicUrl ?? node.httpUrl}/dashboard`,
        ...(io.showAdminToken ? { token: settings.adminToken } : {}),
      }
    : undefined;
  io.print(readyLine(label, node, dashboard));
  await io.shutdown.signalled;
  return 0;
}

/**
 * `connext-node dev: http://… · messaging nats://… (ws://…/messaging) · dashboard http://…/dashboard`,
 * with the admin token to sign in with when `dev` made it up.
 */
export function readyLine(
  label: string,
  node: RunningNode,
  dashboard?: { url: string; token?: string },
): string {
  const ws = node.messagingWsUrl ? ` (${node.messagingWsUrl})` : "";
  const board = dashboard
    ? ` · dashboard ${dashboard.url}${dashboard.token ? ` (admin token ${dashboard.token})` : ""}`
    : "";
  return `connext-node ${label}: ${node.httpUrl} · messaging ${node.messagingUrls.join(",")}${ws}${board}`;
}
