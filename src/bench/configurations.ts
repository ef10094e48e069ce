// The configurations the node benchmarks run on (routing.bench.ts, threads.bench.ts): (a) the
// embedded defaults, PGlite + the embedded broker; (b) PostgreSQL + nats-server (Debian's
// binaries; skipped with a notice when either is missing). And the machine line they print.
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { NATS_SERVER_BIN, startNatsServer } from "../node/messaging/testing/natsServer";
import {
  POSTGRES_BIN,
  postgresAvailable,
  startPostgres,
} from "../node/store/testing/postgresServer";

export interface Services {
  databaseUrl?: string;
  natsUrl?: string;
  stop(): Promise<void>;
}

export interface Configuration {
  title: string;
  /** Why it cannot run here (a missing Debian package), or undefined. */
  missing(): string[];
  services(): Promise<Services>;
}

export const CONFIGURATIONS: Configuration[] = [
  {
    title: "embedded (PGlite + embedded broker)",
    missing: () => [],
    services: async () => ({ stop: async () => {} }),
  },
  {
    title: "PostgreSQL + nats-server",
    missing: () => [
      ...(postgresAvailable()
        ? []
        : [
            `PostgreSQL server binaries not found in ${POSTGRES_BIN}: install the Debian ` +
              "package `postgresql` (sudo apt-get install postgresql), or set POSTGRES_BIN.",
          ]),
      ...(NATS_SERVER_BIN
        ? []
        : [
            "nats-server not found: install the Debian package `nats-server` " +
              "(sudo apt-get install nats-server), or set NATS_SERVER.",
          ]),
    ],
    services: async () => {
      const postgres = await startPostgres();
      try {
        const nats = await startNatsServer();
        return {
          databaseUrl: postgres.url,
          natsUrl: nats.url,
          stop: async () => {
            await nats.stop();
            await postgres.stop();
          },
        };
      } catch (error) {
        await postgres.stop();
        throw error;
      }
    },
  },
];

export function machine(): string {
  let model = cpus()[0]?.model ?? "unknown cpu";
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8")
      .split("\n")
      .find((l) => l.startsWith("model name"));
    if (line) model = line.split(":").slice(1).join(":").trim();
  } catch {
    // not Linux: keep os.cpus()'s model
  }
  return `machine: ${model}, ${navigator.hardwareConcurrency} cores, bun ${Bun.version}`;
}

export function loudNotice(lines: string[]): string {
  const bar = "!".repeat(96);
  return [bar, ...lines.map((line) => `!! ${line}`), bar].join("\n");
}
