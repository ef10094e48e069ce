/**
 * The suite's scaffolding: one describe block per server under test, each with its own server
 * started for the block and stopped after it, and connections (official clients and raw
 * sockets) closed after every case.
 */
import { afterAll, afterEach, beforeAll, describe } from "bun:test";
import {
  type ConnectionOptions,
  type NatsConnection,
  type Status,
  wsconnect,
} from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { RawClient, type RawOptions } from "./raw";
import {
  SERVER_KINDS,
  type ServerKindName,
  type ServerOptions,
  type ServerUnderTest,
  warnSkipped,
} from "./servers";

export interface Harness {
  /** The server of this block (started in beforeAll). */
  readonly server: ServerUnderTest;
  readonly kind: ServerKindName;
  /** An official client over TCP (`@nats-io/transport-node`), closed after the case. */
  tcp(options?: Partial<ConnectionOptions>): Promise<NatsConnection>;
  /** An official client over WebSocket (`@nats-io/nats-core`'s wsconnect), closed after the case. */
  ws(options?: Partial<ConnectionOptions>): Promise<NatsConnection>;
  /** A raw protocol socket, closed after the case. */
  raw(options?: RawOptions): Promise<RawClient>;
  /** A subject prefix no other case uses. */
  unique(prefix: string): string;
}

let counter = 0;

/** Runs body once per server under test, each in its own describe block with its own server. */
export function describeEachServer(
  title: string,
  options: ServerOptions,
  body: (h: Harness) => void,
): void {
  warnSkipped();
  for (const kind of SERVER_KINDS) {
    if (kind.skipReason !== undefined) {
      // Again after the block, so the skip is not lost in a long run's output.
      afterAll(() => {
        console.warn(
          `!! "${title}" was NOT checked against ${kind.name} (not installed): ` +
            "sudo apt-get install nats-server",
        );
      });
    }
    describe.skipIf(kind.skipReason !== undefined)(`${title} [${kind.name}]`, () => {
      let server: ServerUnderTest | undefined;
      const connections = new Set<NatsConnection>();
      const raws = new Set<RawClient>();
      const track = (nc: NatsConnection) => {
        connections.add(nc);
        return nc;
      };
      const harness: Harness = {
        get server() {
          if (server === undefined) throw new Error(`${kind.name} did not start`);
          return server;
        },
        kind: kind.name,
        tcp: async (extra = {}) =>
          track(
            await connect({ servers: harness.server.url, reconnect: false, name: title, ...extra }),
          ),
        ws: async (extra = {}) =>
          track(
            await wsconnect({
              servers: harness.server.wsUrl,
              reconnect: false,
              name: title,
              ...extra,
            }),
          ),
        raw: async (rawOptions) => {
          const raw = await RawClient.open(harness.server.port, rawOptions);
          raws.add(raw);
          return raw;
        },
        unique: (prefix) => `${prefix}.u${++counter}`,
      };

      beforeAll(async () => {
        server = await kind.start(options);
      });
      afterEach(async () => {
        for (const raw of raws) raw.end();
        raws.clear();
        const closing = [...connections].map((nc) => nc.close().catch(() => {}));
        connections.clear();
        await within(Promise.all(closing), 5000, "closing the case's connections");
      });
      afterAll(async () => {
        await server?.stop();
        server = undefined;
      });
      body(harness);
    });
  }
}

/** Resolves with p, or rejects after ms saying what timed out. */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls until condition() holds; rejects after ms with what (and detail(), if given). */
export async function until(
  condition: () => boolean,
  ms: number,
  what: string,
  detail?: () => string,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${ms} ms: ${what}${detail ? `: ${detail()}` : ""}`);
    }
    await Bun.sleep(2);
  }
}

/** The first status event of nc matching the predicate, within ms. */
export function nextStatus(
  nc: NatsConnection,
  predicate: (status: Status) => boolean,
  ms: number,
  what: string,
): Promise<Status> {
  const found = (async () => {
    for await (const status of nc.status()) {
      if (predicate(status)) return status;
    }
    throw new Error(`connection closed before ${what}`);
  })();
  return within(found, ms, what);
}

/** The errors a promise rejects with (fails if it resolves). */
export async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
  throw new Error("expected a rejection, but the promise resolved");
}

/** A pub/sub round trip from a to b on a fresh subject (both official clients). */
export async function roundTrip(
  a: NatsConnection,
  b: NatsConnection,
  prefix = "rt",
): Promise<void> {
  const subject = `${prefix}.${++counter}`;
  const got: string[] = [];
  const sub = b.subscribe(subject, {
    callback: (_err, msg) => {
      got.push(msg.string());
    },
  });
  await b.flush();
  a.publish(subject, "ping");
  await a.flush();
  await until(() => got.length === 1, 3000, `round trip on ${subject}`);
  sub.unsubscribe();
}
