// `npm run bench:broker`: our embedded broker against nats-server, driven by the same client
// program (the official @nats-io/transport-node client, in this process), side by side.
//
// Both servers run outside the client program's process, so neither shares the client's
// JavaScript thread: nats-server as Debian's binary, ours as `bun broker.bench.ts --serve-ours`
// (a Bun process that only runs startBroker). `--in-process` embeds ours here instead, as the
// node does (it then competes with the clients for this thread).
//
// Environment: BENCH_SECONDS (default 2) per measurement.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { freePort } from "../../net/freePort";
import { HOST, loadStartBroker, NATS_SERVER_BIN, natsServerCommand } from "./conformance/servers";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const WARMUP_MS = 300;

/* ------------------------------------------------------------------------------------------ */
/* servers                                                                                      */
/* ------------------------------------------------------------------------------------------ */

interface Running {
  url: string;
  stop(): Promise<void>;
}

async function killAndWait(proc: Bun.Subprocess): Promise<void> {
  proc.kill("SIGTERM");
  const exited = await Promise.race([
    proc.exited.then(() => true),
    Bun.sleep(3000).then(() => false),
  ]);
  if (!exited) {
    proc.kill("SIGKILL");
    await proc.exited;
  }
}

async function startNatsServer(bin: string): Promise<Running> {
  const dir = await mkdtemp(join(tmpdir(), "bench-nats-"));
  const port = freePort();
  const conf = join(dir, "nats.conf");
  // nats-server's defaults for everything else (max_pending 64 MiB, max_payload 1 MiB).
  await Bun.write(
    conf,
    `listen: "${HOST}:${port}"\nlog_file: ${JSON.stringify(join(dir, "nats.log"))}\n`,
  );
  const proc = Bun.spawn(natsServerCommand(bin, conf), { stdout: "ignore", stderr: "inherit" });
  const url = `nats://${HOST}:${port}`;
  await waitUntilServing(url);
  return {
    url,
    stop: async () => {
      await killAndWait(proc);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function startOursInChild(): Promise<Running> {
  const proc = Bun.spawn([process.execPath, import.meta.path, "--serve-ours"], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "inherit",
  });
  const reader = proc.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("our broker's process exited before it served");
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  const { url } = JSON.parse(text.split("\n")[0] as string) as { url: string };
  return { url, stop: () => killAndWait(proc) };
}

async function startOursInProcess(): Promise<Running> {
  const startBroker = await loadStartBroker();
  const broker = await startBroker({ host: HOST, port: 0 });
  return { url: broker.url, stop: () => broker.stop() };
}

async function waitUntilServing(url: string): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      const nc = await connect({ servers: url, reconnect: false, timeout: 500 });
      await nc.close();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await Bun.sleep(20);
    }
  }
}

/* ------------------------------------------------------------------------------------------ */
/* measurements: the same client program for both servers                                       */
/* ------------------------------------------------------------------------------------------ */

interface Measurement {
  name: string;
  unit: string;
  run(url: string): Promise<number>;
}

const open = (url: string, n = 1): Promise<NatsConnection[]> =>
  Promise.all(
    Array.from({ length: n }, () => connect({ servers: url, reconnect: false, name: "bench" })),
  );

const closeAll = (conns: NatsConnection[]) => Promise.all(conns.map((nc) => nc.close()));

/** Request/reply round trips per second with `requesters` connections each looping. */
function requestReply(requesters: number): Measurement {
  return {
    name: `request/reply, ${requesters} concurrent requester${requesters > 1 ? "s" : ""}`,
    unit: "round trips/s",
    async run(url) {
      const [responder] = (await open(url)) as [NatsConnection];
      responder.subscribe("bench.echo", {
        callback: (_err, msg) => {
          msg.respond(msg.data);
        },
      });
      await responder.flush();
      const clients = await open(url, requesters);
      const payload = new Uint8Array(16);
      const loop = async (nc: NatsConnection, until: number) => {
        let n = 0;
        while (performance.now() < until) {
          await nc.request("bench.echo", payload, { timeout: 5000 });
          n++;
        }
        return n;
      };
      const warmupEnd = performance.now() + WARMUP_MS;
      await Promise.all(clients.map((nc) => loop(nc, warmupEnd)));
      const started = performance.now();
      const end = started + SECONDS * 1000;
      const counts = await Promise.all(clients.map((nc) => loop(nc, end)));
      const elapsed = (performance.now() - started) / 1000;
      await closeAll([responder, ...clients]);
      return counts.reduce((a, b) => a + b, 0) / elapsed;
    },
  };
}

/**
 * One publisher of `size`-byte messages to `subscribers` subscriber connections; the rate is
 * messages delivered per second, counted at the subscribers until all of them have everything.
 */
function publish(subscribers: number, size: number): Measurement {
  return {
    name:
      subscribers === 1
        ? `publish ${size}-byte messages, 1 subscriber`
        : `fan-out 1→${subscribers}, ${size}-byte messages`,
    unit: "msgs/s delivered",
    async run(url) {
      const subs = await open(url, subscribers);
      let delivered = 0;
      for (const nc of subs) {
        nc.subscribe("bench.pub", {
          callback: () => {
            delivered++;
          },
        });
      }
      await Promise.all(subs.map((nc) => nc.flush()));
      const [pub] = (await open(url)) as [NatsConnection];
      const payload = new Uint8Array(size).fill(97);
      const batch = 2000;
      const blast = async (ms: number) => {
        const end = performance.now() + ms;
        let sent = 0;
        while (performance.now() < end) {
          for (let i = 0; i < batch; i++) pub.publish("bench.pub", payload);
          sent += batch;
          // Bound what the client buffers: one round trip per batch, as a real publisher would.
          await pub.flush();
        }
        return sent;
      };
      const waitDelivered = async (expected: number) => {
        const deadline = performance.now() + 30_000;
        while (delivered < expected && performance.now() < deadline) await Bun.sleep(1);
        await Promise.all(subs.map((nc) => nc.flush()));
      };
      await waitDelivered((await blast(WARMUP_MS)) * subscribers);
      delivered = 0;
      const started = performance.now();
      const sent = await blast(SECONDS * 1000);
      await waitDelivered(sent * subscribers);
      const elapsed = (performance.now() - started) / 1000;
      const rate = delivered / elapsed;
      await closeAll([pub, ...subs]);
      if (delivered < sent * subscribers) {
        console.warn(`  (lost ${sent * subscribers - delivered} of ${sent * subscribers})`);
      }
      return rate;
    },
  };
}

const MEASUREMENTS: Measurement[] = [
  requestReply(1),
  requestReply(16),
  publish(1, 128),
  publish(10, 128),
];

/* ------------------------------------------------------------------------------------------ */
/* main                                                                                         */
/* ------------------------------------------------------------------------------------------ */

async function measureAll(label: string, start: () => Promise<Running>): Promise<number[]> {
  const server = await start();
  try {
    const results: number[] = [];
    for (const m of MEASUREMENTS) {
      process.stderr.write(`  ${label}: ${m.name}…\n`);
      results.push(await m.run(server.url));
    }
    return results;
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const inProcess = process.argv.includes("--in-process");
  const notes: string[] = [];
  let nats: number[] | undefined;
  let ours: number[] | undefined;

  if (NATS_SERVER_BIN === null) {
    notes.push(
      "!! nats-server is NOT INSTALLED: no reference column. Install it: sudo apt-get install nats-server",
    );
  } else {
    const version = Bun.spawnSync([NATS_SERVER_BIN, "--version"]).stdout.toString().trim();
    process.stderr.write(`${version}\n`);
    nats = await measureAll("nats-server", () => startNatsServer(NATS_SERVER_BIN as string));
  }

  try {
    await loadStartBroker();
    ours = await measureAll(inProcess ? "ours (in-process)" : "ours", () =>
      inProcess ? startOursInProcess() : startOursInChild(),
    );
  } catch (error) {
    notes.push(`our broker is not available yet: ${(error as Error).message}`);
  }

  const fmt = (n: number | undefined) =>
    n === undefined ? "—" : Math.round(n).toLocaleString("en-US");
  const rows = MEASUREMENTS.map((m, i) => {
    const a = nats?.[i];
    const b = ours?.[i];
    return {
      measurement: m.name,
      unit: m.unit,
      "nats-server": fmt(a),
      [inProcess ? "ours (in-process)" : "ours"]: fmt(b),
      "ratio ours/nats": a !== undefined && b !== undefined ? `${(b / a).toFixed(2)}×` : "—",
    };
  });
  console.log(
    `\nBroker benchmark: ${SECONDS} s per measurement, same client program (@nats-io/transport-node), ` +
      `${navigator.hardwareConcurrency} cores, Bun ${Bun.version}`,
  );
  console.table(rows);
  if (nats !== undefined && ours !== undefined) {
    // The goal: our request/reply rate within 1.5× of nats-server's (ours/nats ≥ 0.67).
    const worst = Math.min(
      (ours[0] as number) / (nats[0] as number),
      (ours[1] as number) / (nats[1] as number),
    );
    console.log(
      `request/reply goal (ours within 1.5× of nats-server, ours/nats ≥ 0.67): ` +
        `${worst >= 1 / 1.5 ? "met" : "NOT met"}, worst ours/nats ${worst.toFixed(2)}×`,
    );
  }
  for (const note of notes) console.log(note);
}

/* ------------------------------------------------------------------------------------------ */
/* entry: the benchmark, or (child mode) serve our broker until SIGTERM or stdin closes       */
/* ------------------------------------------------------------------------------------------ */

if (process.argv.includes("--serve-ours")) {
  await serveOurs();
} else {
  await main();
}

async function serveOurs(): Promise<void> {
  const startBroker = await loadStartBroker();
  const broker = await startBroker({ host: HOST, port: 0 });
  const stop = async () => {
    await broker.stop();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  console.log(JSON.stringify({ url: broker.url }));
  // Serve until the parent says stop (SIGTERM) or goes away (our stdin closes).
  for await (const _ of Bun.stdin.stream()) {
    // nothing to read: the parent never writes
  }
  await stop();
}
