import type { Logger } from "pino";
import type { NodeSettings } from "./settings";

/** A node that is up: where to reach it, and how to stop it. */
export interface RunningNode {
  /** The node's identifier: its signing key's checksummed address. */
  identifier: string;
  /** `http://host:port` */
  httpUrl: string;
  /** `nats://host:port` — the embedded broker's, or NATS_URL. */
  messagingUrl: string;
  /** `ws://host:port/messaging` for browsers (embedded broker); NATS_URL's own otherwise. */
  messagingWsUrl: string | undefined;
  /** Stops taking work, finishes what is in flight, closes every resource. */
  stop(): Promise<void>;
}

/** Starts the node (DESIGN §3): database, chain service, messaging, engine and HTTP API. */
export async function startNode(settings: NodeSettings, logger: Logger): Promise<RunningNode> {
  void settings;
  void logger;
  throw new Error("startNode: not assembled yet");
}
