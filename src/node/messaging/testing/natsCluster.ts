import type { Subprocess } from "bun";
import { freePort } from "../../net/freePort";
import { NATS_SERVER_BIN, NATS_SERVER_MISSING } from "./natsServer";

/**
 * A NATS cluster on loopback for tests: `size` Debian nats-server processes, each routed to
 * all the others, started only once every server sees every route. One server at a time can
 * be stopped and started again on the same ports, to see clients and nodes fail over.
 */
export interface NatsCluster {
  /** Every server's client URL, `nats://127.0.0.1:port`. */
  urls: string[];
  /** NATS_URL's form: the client URLs comma-separated. */
  natsUrl: string;
  /** Stops server `index` (SIGTERM; SIGKILL with `{ kill: true }`). */
  stopServer(index: number, options?: { kill?: boolean }): Promise<void>;
  /** Client connections server `index` holds now (its monitor's /connz). */
  connections(index: number): Promise<number>;
  /** Starts server `index` again on its ports, and waits until its routes are up. */
  startServer(index: number): Promise<void>;
  stop(): Promise<void>;
}

export interface NatsClusterOptions {
  /** Servers (default 3). */
  size?: number;
  /** A configuration file every server reads (`-c`), e.g. one with authorization in it. */
  configFile?: string;
  /** More nats-server arguments for every server. */
  extraArgs?: string[];
  /** How long to wait for a server's routes (default 15 s). */
  routeTimeoutMs?: number;
}

export class NatsClusterError extends Error {
  override name = "NatsClusterError";
}

interface Member {
  name: string;
  port: number;
  clusterPort: number;
  monitorPort: number;
  process?: Subprocess<"ignore", "ignore", "pipe">;
  /** The tail of what the running process wrote to stderr (drained, so it never blocks). */
  log: { text: string };
}

export async function startNatsCluster(options: NatsClusterOptions = {}): Promise<NatsCluster> {
  const bin = NATS_SERVER_BIN;
  if (!bin) throw new NatsClusterError(NATS_SERVER_MISSING);
  const size = options.size ?? 3;
  const members: Member[] = Array.from({ length: size }, (_, i) => ({
    name: `connext-test-${i}`,
    port: freePort(),
    clusterPort: freePort(),
    monitorPort: freePort(),
    log: { text: "" },
  }));
  const routeTimeoutMs = options.routeTimeoutMs ?? 15_000;

  const spawn = (member: Member) => {
    const routes = members
      .filter((other) => other !== member)
      .map((other) => `nats-route://127.0.0.1:${other.clusterPort}`)
      .join(",");
    member.process = Bun.spawn(
      [
        bin,
        ...(options.configFile ? ["-c", options.configFile] : []),
        ...["-n", member.name, "-a", "127.0.0.1", "-p", String(member.port)],
        ...["-m", String(member.monitorPort)],
        ...["--cluster_name", "connext-test"],
        ...["--cluster", `nats://127.0.0.1:${member.clusterPort}`, "--routes", routes],
        ...(options.extraArgs ?? []),
      ],
      { stdin: "ignore", stdout: "ignore", stderr: "pipe" },
    );
    member.log = drain(member.process.stderr);
  };
  const stopMember = async (member: Member, signal: "SIGTERM" | "SIGKILL") => {
    const proc = member.process;
    member.process = undefined;
    if (!proc) return;
    proc.kill(signal);
    await proc.exited;
  };
  // Up means: the monitor answers and this server holds a route to each of the others that
  // is running (a stopped peer is not waited for).
  const waitRoutes = async (member: Member) => {
    const deadline = Date.now() + routeTimeoutMs;
    for (;;) {
      const wanted = members.filter((m) => m !== member && m.process).length;
      const routes = await routeCount(member.monitorPort);
      if (routes !== undefined && routes >= wanted) return;
      if (member.process?.exitCode !== null || Date.now() > deadline) {
        const stderr = member.log.text ? `:\n${member.log.text.trim()}` : "";
        throw new NatsClusterError(
          `nats-server ${member.name} (port ${member.port}) did not come up with ${wanted} ` +
            `routes within ${routeTimeoutMs} ms (has ${routes ?? "no monitor"})${stderr}`,
        );
      }
      await Bun.sleep(50);
    }
  };

  const stopAll = () =>
    Promise.all(members.map((member) => stopMember(member, "SIGTERM"))).then(() => {});
  try {
    for (const member of members) spawn(member);
    for (const member of members) await waitRoutes(member);
  } catch (error) {
    await stopAll();
    throw error;
  }
  const urls = members.map((member) => `nats://127.0.0.1:${member.port}`);
  const at = (index: number): Member => {
    const member = members[index];
    if (!member) throw new NatsClusterError(`no server ${index} in a cluster of ${size}`);
    return member;
  };
  return {
    urls,
    natsUrl: urls.join(","),
    stopServer: (index, stopOptions) =>
      stopMember(at(index), stopOptions?.kill ? "SIGKILL" : "SIGTERM"),
    async connections(index) {
      const response = await fetch(`http://127.0.0.1:${at(index).monitorPort}/connz`);
      return ((await response.json()) as { num_connections: number }).num_connections;
    },
    async startServer(index) {
      const member = at(index);
      if (member.process) return;
      spawn(member);
      await waitRoutes(member);
    },
    stop: stopAll,
  };
}

/** The routes a server reports on its monitor (/routez), undefined while it does not answer. */
async function routeCount(monitorPort: number): Promise<number | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${monitorPort}/routez`, {
      signal: AbortSignal.timeout(1_000),
    });
    if (!response.ok) return undefined;
    return ((await response.json()) as { num_routes?: number }).num_routes ?? 0;
  } catch {
    return undefined;
  }
}

function drain(stream: ReadableStream<Uint8Array>): { text: string } {
  const sink = { text: "" };
  const decoder = new TextDecoder();
  (async () => {
    for await (const chunk of stream) sink.text = (sink.text + decoder.decode(chunk)).slice(-2_000);
  })().catch(() => {});
  return sink;
}
