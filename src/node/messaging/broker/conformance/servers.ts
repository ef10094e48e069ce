/**
 * The server under test: the same conformance suite runs against Debian's `nats-server` (the
 * reference) and against our embedded broker, both started here on 127.0.0.1 with the same
 * options.
 *
 * Developer switch: `CONFORMANCE_ONLY=nats-server` (or `=ours`) runs one server only. Without
 * it both run. `NATS_SERVER=/path/to/nats-server` overrides the binary looked up on the PATH
 * (pointing it at a missing file shows what a machine without nats-server does: a loud skip).
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../../../net/freePort";
import type { AllowResponses, AuthResult, Broker, BrokerOptions, ConnectOptions } from "../types";

export const HOST = "127.0.0.1";

/** A user of the permission tests: credentials and its allow-lists (never empty: see below). */
export interface TestUser {
  user: string;
  pass: string;
  /**
   * Subjects (wildcards allowed) the user may publish to / subscribe to. Keep both non-empty:
   * nats-server reads an empty allow-list as "no restriction".
   */
  publish: string[];
  subscribe: string[];
  /**
   * nats-server's `allow_responses` (a permission beside `publish` and `subscribe` in its
   * configuration; it refuses one inside `publish`), our `publish.allowResponses`.
   */
  allowResponses?: AllowResponses;
}

/** One options shape for both servers. */
export interface ServerOptions {
  /** Largest payload (nats-server's default: 1 MiB); capped at maxPendingBytes, as nats-server requires. */
  maxPayload?: number;
  /** Largest control line (nats-server's default: 4 KiB). */
  maxControlLine?: number;
  /** Bytes queued to a non-reading client before it is cut off as a slow consumer. */
  maxPendingBytes?: number;
  /** Subscriptions one connection may hold (nats-server's max_subscriptions); absent: no limit. */
  maxSubscriptions?: number;
  /** nats-server only (ours has no such knob): how long a blocked socket write may take. */
  writeDeadlineMs?: number;
  /** Server PING interval and how many PINGs may go unanswered. */
  pingIntervalMs?: number;
  maxPingsOut?: number;
  /** Absent: no authentication, everyone may do everything. */
  users?: TestUser[];
  /** With users: how long a client has to send CONNECT (nats-server's default: 2 s). */
  authTimeoutMs?: number;
}

export interface ServerUnderTest {
  readonly kind: ServerKindName;
  readonly port: number;
  readonly wsPort: number;
  /** `nats://127.0.0.1:port` */
  readonly url: string;
  /** `ws://127.0.0.1:wsPort` */
  readonly wsUrl: string;
  /** Stops the server, then starts it again with the same options on the same ports. */
  restart(): Promise<void>;
  /** Client connections the server holds now (nats-server: its /varz monitoring endpoint). */
  connections(): Promise<number>;
  stop(): Promise<void>;
}

export type ServerKindName = "nats-server" | "ours";

export interface ServerKind {
  readonly name: ServerKindName;
  /** Why this kind is skipped here (loudly), or undefined when it runs. */
  readonly skipReason: string | undefined;
  start(options?: ServerOptions): Promise<ServerUnderTest>;
}

const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

function effectiveMaxPayload(options: ServerOptions): number {
  const maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD;
  return options.maxPendingBytes === undefined
    ? maxPayload
    : Math.min(maxPayload, options.maxPendingBytes);
}

/** Resolves once something accepts TCP connections on the port; rejects after timeoutMs. */
async function waitForPort(port: number, timeoutMs: number, alive: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!alive()) throw new Error(`the server exited before listening on ${HOST}:${port}`);
    const ok = await new Promise<boolean>((resolve) => {
      Bun.connect({
        hostname: HOST,
        port,
        socket: {
          open(socket) {
            socket.end();
            resolve(true);
          },
          data() {},
          error() {
            resolve(false);
          },
          connectError() {
            resolve(false);
          },
        },
      }).catch(() => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${HOST}:${port}`);
    await Bun.sleep(10);
  }
}

/* ------------------------------------------------------------------------------------------ */
/* nats-server                                                                                  */
/* ------------------------------------------------------------------------------------------ */

/** NATS_SERVER if set (a missing file there counts as not installed), else the PATH, else sbin. */
export const NATS_SERVER_BIN: string | null = process.env.NATS_SERVER
  ? Bun.which(process.env.NATS_SERVER)
  : (Bun.which("nats-server") ??
    Bun.which("nats-server", { PATH: "/usr/sbin:/usr/local/sbin:/usr/local/bin" }));

const NATS_SERVER_MISSING = [
  "",
  "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
  "!! nats-server is NOT INSTALLED: the broker conformance suite SKIPS its reference run.",
  "!! Every case still runs against our broker, but nothing checks that nats-server agrees.",
  "!! Install the Debian package:   sudo apt-get install nats-server",
  "!! (or point NATS_SERVER at a nats-server binary)",
  "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
  "",
].join("\n");

/** The nats-server configuration equivalent to the options. */
export function natsServerConfig(
  options: ServerOptions,
  port: number,
  wsPort: number,
  monitorPort: number,
  logFile: string,
): string {
  const q = (value: string) => JSON.stringify(value);
  const lines = [
    `listen: ${q(`${HOST}:${port}`)}`,
    `log_file: ${q(logFile)}`,
    `http: ${q(`${HOST}:${monitorPort}`)}`,
    `max_payload: ${effectiveMaxPayload(options)}`,
  ];
  if (options.maxControlLine !== undefined)
    lines.push(`max_control_line: ${options.maxControlLine}`);
  if (options.maxPendingBytes !== undefined) lines.push(`max_pending: ${options.maxPendingBytes}`);
  if (options.maxSubscriptions !== undefined)
    lines.push(`max_subscriptions: ${options.maxSubscriptions}`);
  if (options.writeDeadlineMs !== undefined)
    lines.push(`write_deadline: ${q(`${options.writeDeadlineMs}ms`)}`);
  if (options.pingIntervalMs !== undefined)
    lines.push(`ping_interval: ${q(`${options.pingIntervalMs}ms`)}`);
  if (options.maxPingsOut !== undefined) lines.push(`ping_max: ${options.maxPingsOut}`);
  lines.push(`websocket { host: ${q(HOST)}, port: ${wsPort}, no_tls: true }`);
  if (options.users !== undefined) {
    const users = options.users.map(
      (u) =>
        `{ user: ${q(u.user)}, password: ${q(u.pass)}, permissions: { ` +
        `publish: { allow: ${JSON.stringify(u.publish)} }, ` +
        `subscribe: { allow: ${JSON.stringify(u.subscribe)} }` +
        `${allowResponsesConfig(u.allowResponses)} } }`,
    );
    const timeout =
      options.authTimeoutMs === undefined ? "" : `timeout: ${options.authTimeoutMs / 1000}, `;
    lines.push(`authorization { ${timeout}users: [\n  ${users.join(",\n  ")}\n] }`);
  }
  return `${lines.join("\n")}\n`;
}

/** `, allow_responses: …` for nats-server's user permissions, or nothing. */
function allowResponsesConfig(given: AllowResponses | undefined): string {
  if (given === undefined || given === false) return "";
  if (given === true) return ", allow_responses: true";
  const fields: string[] = [];
  if (given.max !== undefined) fields.push(`max: ${given.max}`);
  if (given.expiresMs !== undefined)
    fields.push(`expires: ${JSON.stringify(`${given.expiresMs}ms`)}`);
  return `, allow_responses: { ${fields.join(", ")} }`;
}

/** Every nats-server process still running, killed if the test process exits early. */
const liveProcesses = new Set<Bun.Subprocess>();
process.on("exit", () => {
  for (const proc of liveProcesses) proc.kill("SIGKILL");
});

/**
 * `bun test` runs no exit handlers, so a test process that dies (or is killed) mid-suite would
 * leave nats-server running: where util-linux's setpriv exists, the kernel kills it with us.
 */
const SETPRIV = Bun.which("setpriv");
export function natsServerCommand(bin: string, conf: string): string[] {
  return SETPRIV === null
    ? [bin, "-c", conf]
    : [SETPRIV, "--pdeathsig", "KILL", "--", bin, "-c", conf];
}

async function startNatsServer(options: ServerOptions): Promise<ServerUnderTest> {
  const bin = NATS_SERVER_BIN;
  if (bin === null) throw new Error(NATS_SERVER_MISSING);
  const dir = await mkdtemp(join(tmpdir(), "conformance-nats-"));
  const port = freePort();
  const wsPort = freePort();
  const monitorPort = freePort();
  const conf = join(dir, "nats.conf");
  const log = join(dir, "nats.log");
  await Bun.write(conf, natsServerConfig(options, port, wsPort, monitorPort, log));
  let proc: Bun.Subprocess | undefined;

  const stopProcess = async () => {
    const p = proc;
    if (p === undefined) return;
    proc = undefined;
    p.kill("SIGTERM");
    const exited = await Promise.race([
      p.exited.then(() => true),
      Bun.sleep(3000).then(() => false),
    ]);
    if (!exited) {
      p.kill("SIGKILL");
      await p.exited;
    }
    liveProcesses.delete(p);
  };

  const launch = async () => {
    const p = Bun.spawn(natsServerCommand(bin, conf), {
      stdin: "ignore",
      stdout: "ignore",
      stderr: "pipe",
    });
    proc = p;
    liveProcesses.add(p);
    try {
      const alive = () => p.exitCode === null && p.signalCode === null;
      for (const listening of [port, wsPort, monitorPort])
        await waitForPort(listening, 5000, alive);
    } catch (error) {
      await stopProcess();
      const stderr = await new Response(p.stderr as ReadableStream).text();
      const logged = existsSync(log) ? await Bun.file(log).text() : "";
      throw new Error(`nats-server did not start: ${String(error)}\n${stderr}\n${logged}`);
    }
  };

  await launch();
  return {
    kind: "nats-server",
    port,
    wsPort,
    url: `nats://${HOST}:${port}`,
    wsUrl: `ws://${HOST}:${wsPort}`,
    async connections() {
      const response = await fetch(`http://${HOST}:${monitorPort}/varz`);
      const varz = (await response.json()) as { connections: number };
      return varz.connections;
    },
    async restart() {
      await stopProcess();
      await launch();
    },
    async stop() {
      await stopProcess();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/* ------------------------------------------------------------------------------------------ */
/* ours                                                                                         */
/* ------------------------------------------------------------------------------------------ */

const OUR_INDEX = new URL("../index.ts", import.meta.url);

export type StartBroker = (options: BrokerOptions) => Promise<Broker>;

export async function loadStartBroker(): Promise<StartBroker> {
  const path = fileURLToPath(OUR_INDEX);
  if (!existsSync(path)) {
    throw new Error(
      `our broker is missing: ${path} does not exist yet (it must export startBroker). ` +
        "Run CONFORMANCE_ONLY=nats-server to check the suite against nats-server alone.",
    );
  }
  // A computed specifier, so the typecheck does not depend on the module existing yet.
  const module = (await import(OUR_INDEX.href)) as { startBroker?: unknown };
  if (typeof module.startBroker !== "function") {
    throw new Error(`our broker is incomplete: ${path} does not export a startBroker function`);
  }
  return module.startBroker as StartBroker;
}

/** The authenticate hook equivalent to nats-server's `authorization { users }` block. */
export function authenticateFromTable(users: TestUser[]) {
  return (connect: ConnectOptions): AuthResult | undefined => {
    const found = users.find((u) => u.user === connect.user && u.pass === connect.pass);
    if (found === undefined) return undefined;
    return {
      user: found.user,
      publish: {
        allow: [...found.publish],
        ...(found.allowResponses === undefined ? {} : { allowResponses: found.allowResponses }),
      },
      subscribe: { allow: [...found.subscribe] },
    };
  };
}

export function brokerOptions(options: ServerOptions, port: number, wsPort: number): BrokerOptions {
  const result: BrokerOptions = {
    host: HOST,
    port,
    websocketPort: wsPort,
    maxPayload: effectiveMaxPayload(options),
  };
  if (options.maxControlLine !== undefined) result.maxControlLine = options.maxControlLine;
  if (options.maxPendingBytes !== undefined) result.maxPendingBytes = options.maxPendingBytes;
  if (options.maxSubscriptions !== undefined) result.maxSubscriptions = options.maxSubscriptions;
  if (options.pingIntervalMs !== undefined) result.pingIntervalMs = options.pingIntervalMs;
  if (options.maxPingsOut !== undefined) result.maxPingsOut = options.maxPingsOut;
  if (options.users !== undefined) result.authenticate = authenticateFromTable(options.users);
  if (options.authTimeoutMs !== undefined) result.authTimeoutMs = options.authTimeoutMs;
  return result;
}

async function startOurs(options: ServerOptions): Promise<ServerUnderTest> {
  const startBroker = await loadStartBroker();
  let broker: Broker | undefined = await startBroker(brokerOptions(options, 0, 0));
  const port = broker.port;
  const wsUrl = broker.websocketUrl;
  if (wsUrl === undefined) throw new Error("our broker started without its WebSocket listener");
  const wsPort = Number(new URL(wsUrl).port);
  const stopBroker = async () => {
    const b = broker;
    broker = undefined;
    await b?.stop();
  };
  return {
    kind: "ours",
    port,
    wsPort,
    url: `nats://${HOST}:${port}`,
    wsUrl: `ws://${HOST}:${wsPort}`,
    async connections() {
      if (broker === undefined) throw new Error("our broker is stopped");
      return broker.connectionCount();
    },
    async restart() {
      await stopBroker();
      broker = await startBroker(brokerOptions(options, port, wsPort));
    },
    stop: stopBroker,
  };
}

/* ------------------------------------------------------------------------------------------ */
/* which servers run                                                                            */
/* ------------------------------------------------------------------------------------------ */

const ALL_KINDS: ServerKind[] = [
  {
    name: "nats-server",
    skipReason: NATS_SERVER_BIN === null ? NATS_SERVER_MISSING : undefined,
    start: (options = {}) => startNatsServer(options),
  },
  {
    name: "ours",
    // Never skipped: when the broker is missing, start() fails and so does every case.
    skipReason: undefined,
    start: (options = {}) => startOurs(options),
  },
];

function selectedKinds(): ServerKind[] {
  const only = process.env.CONFORMANCE_ONLY;
  if (only === undefined || only === "") return ALL_KINDS;
  const kinds = ALL_KINDS.filter((k) => k.name === only);
  if (kinds.length === 0) {
    throw new Error(`CONFORMANCE_ONLY=${only}: expected "nats-server" or "ours"`);
  }
  console.warn(`[conformance] CONFORMANCE_ONLY=${only}: the other server is NOT checked`);
  return kinds;
}

export const SERVER_KINDS: ServerKind[] = selectedKinds();

let warned = false;
/** Prints the loud notice for every skipped server, once per test process. */
export function warnSkipped(): void {
  if (warned) return;
  warned = true;
  for (const kind of SERVER_KINDS) if (kind.skipReason !== undefined) console.warn(kind.skipReason);
}
