import { afterAll, beforeAll, expect, test } from "bun:test";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { Wallet } from "ethers";
import { USER_LIMITS } from "../../auth/brokerPermissions";
import { testMessagingCredentials } from "../../auth/testing";
import { within } from "./conformance/harness";
import { RAW_CONNECT, RawClient } from "./conformance/raw";
import type { FloodStats } from "./floodBroker";

/**
 * Issue 9, attack 8: one signed-in user opens as many connections as it may, subscribes them
 * to its own inbox, never reads, and publishes the largest messages it may as fast as the
 * broker takes them. The broker runs the node's configuration in a process of its own
 * (floodBroker.ts), so its RSS is the broker's alone.
 */

const MiB = 1024 * 1024;
/**
 * Below what the stalled connections may hold together (7 × USER_LIMITS.maxPendingBytes), so
 * the broker-wide budget, not only the per-connection limit, has to hold.
 */
const BUDGET = 8 * MiB;
/**
 * Generous, for a loaded machine: the peak measured on the 2-core development machine is
 * 35–45 MiB above the start, most of it garbage not yet collected (3–16 MiB remain after a full
 * collection). Without the limits (64 MiB per connection, no budget) the same flood peaks near
 * 570 MiB above the start.
 */
const RSS_GROWTH_BOUND = 128 * MiB;
/** The flood stops by itself once every stalled connection is cut; this is a safety stop. */
const MAX_ROUNDS = 400;

const nodeWallet = Wallet.createRandom();
const node = nodeWallet.address.toLowerCase();
const creds = testMessagingCredentials(nodeWallet.privateKey);
const alice = Wallet.createRandom().address.toLowerCase();
const mallory = Wallet.createRandom().address.toLowerCase();

/** The broker's process: IPC answers arrive in the order of the questions. */
class BrokerProcess {
  port = 0;
  private readonly proc: Bun.Subprocess;
  private readonly waiting: ((message: unknown) => void)[] = [];

  constructor() {
    this.proc = Bun.spawn(
      [process.execPath, new URL("./floodBroker.ts", import.meta.url).pathname],
      {
        env: {
          ...process.env,
          FLOOD_NODE_KEY: nodeWallet.privateKey,
          FLOOD_BUDGET: String(BUDGET),
        },
        stdin: "ignore",
        stdout: "inherit",
        stderr: "inherit",
        ipc: (message) => this.waiting.shift()?.(message),
      },
    );
  }

  async ready(): Promise<void> {
    const { port } = (await this.next()) as { port: number };
    this.port = port;
  }

  stats(gc = false): Promise<FloodStats> {
    const answer = this.next() as Promise<FloodStats>;
    this.proc.send(gc ? "stats-gc" : "stats");
    return answer;
  }

  async stop(): Promise<void> {
    this.proc.kill();
    await this.proc.exited;
  }

  private next(): Promise<unknown> {
    return within(
      new Promise((resolve) => this.waiting.push(resolve)),
      30_000,
      "an answer from the broker's process",
    );
  }
}

let broker: BrokerProcess;
const officials: NatsConnection[] = [];
const raws: RawClient[] = [];

beforeAll(async () => {
  broker = new BrokerProcess();
  await broker.ready();
}, 60_000);
afterAll(async () => {
  for (const raw of raws) raw.end();
  await Promise.all(officials.map((nc) => nc.close().catch(() => undefined)));
  await broker?.stop();
});

async function official(address: string): Promise<NatsConnection> {
  const nc = await connect({
    servers: `nats://127.0.0.1:${broker.port}`,
    ...(await creds.as(address)),
    inboxPrefix: `_inbox.${address}`,
    reconnect: false,
  });
  officials.push(nc);
  return nc;
}

async function rawAs(address: string): Promise<RawClient> {
  const raw = await RawClient.open(broker.port, {
    connect: (await creds.credentials(address)).connect,
  });
  raws.push(raw);
  return raw;
}

test("one user's flood is cut off; the budget and the broker's memory hold; an honest user is served", async () => {
  // The node answers requests; Alice asks.
  const hub = await official(node);
  hub.subscribe(`connext.${node}.*.*`, {
    callback: (_e, msg) => void msg.respond(`pong ${msg.string()}`),
  });
  await hub.flush();
  const honest = await official(alice);
  const ask = async (text: string) =>
    (await honest.request(`connext.${node}.${alice}.ping`, text, { timeout: 15_000 })).string();
  expect(await ask("before")).toBe("pong before");
  const before = await broker.stats(true);

  // Mallory: every connection it may hold but one subscribes to its inbox and stops reading;
  // the last one publishes. A ninth is refused.
  const inbox = `_inbox.${mallory}.flood`;
  const stalled: RawClient[] = [];
  for (let i = 0; i < USER_LIMITS.maxConnections - 1; i++) {
    const raw = await rawAs(mallory);
    raw.write(`SUB ${inbox} 1\r\nPING\r\n`);
    await raw.waitFor("PONG\r\n");
    raw.pause();
    stalled.push(raw);
  }
  const publisher = await rawAs(mallory);
  const ninth = await RawClient.open(broker.port, { connect: false });
  raws.push(ninth);
  ninth.mark();
  ninth.write(
    `CONNECT ${JSON.stringify({ ...RAW_CONNECT, ...(await creds.credentials(mallory)).connect(String(ninth.info.nonce)) })}\r\nPING\r\n`,
  );
  await ninth.expectClosed();
  expect(ninth.sinceMark).toBe("-ERR 'maximum account active connections exceeded'\r\n");

  // Rounds of 16 largest messages, each acknowledged by a PONG (the broker routed them), an
  // honest request beside each round, until every stalled connection is cut.
  const payload = "x".repeat(USER_LIMITS.maxPayload);
  const round = `PUB ${inbox} ${payload.length}\r\n${payload}\r\n`.repeat(16);
  let stats = before;
  let peakRss = before.rss;
  let peakPending = 0;
  let rounds = 0;
  while (stats.slowConsumers < stalled.length && rounds < MAX_ROUNDS) {
    rounds++;
    publisher.mark();
    publisher.write(`${round}PING\r\n`);
    const [answer] = await Promise.all([
      ask(`during ${rounds}`),
      publisher.waitFor("PONG\r\n", 30_000, `the PONG of round ${rounds}`),
    ]);
    expect(answer).toBe(`pong during ${rounds}`);
    stats = await broker.stats();
    peakRss = Math.max(peakRss, stats.rss);
    peakPending = Math.max(peakPending, stats.pendingBytes);
  }
  const after = await broker.stats(true);
  const published = (rounds * 16 * payload.length) / MiB;
  console.info(
    `flood: ${published} MiB published to ${stalled.length} stalled connections in ${rounds} rounds; ` +
      `${stats.slowConsumers} cut; pending peak ${(stats.peakPendingBytes / MiB).toFixed(2)} MiB ` +
      `(budget ${BUDGET / MiB} MiB); RSS before ${(before.rss / MiB).toFixed(1)} MiB, ` +
      `peak +${((peakRss - before.rss) / MiB).toFixed(1)} MiB, ` +
      `after +${((after.rss - before.rss) / MiB).toFixed(1)} MiB`,
  );

  expect(stats.slowConsumers).toBe(stalled.length);
  // Past the budget only by the -ERR line of a connection being cut.
  expect(stats.peakPendingBytes).toBeLessThanOrEqual(BUDGET + 1024);
  expect(peakPending).toBeLessThanOrEqual(BUDGET + 1024);
  expect(peakRss - before.rss).toBeLessThan(RSS_GROWTH_BOUND);

  // Each stalled connection finds, once it reads, whole messages and then the cut.
  for (const raw of stalled) {
    raw.resume();
    await raw.expectClosed(10_000);
    expect(raw.text.endsWith("-ERR 'Slow Consumer'\r\n")).toBe(true);
  }
  // Afterwards: Alice is served, the node's connection is untouched, and Mallory's places are
  // free again once its publisher leaves (hub, Alice and the new one).
  expect(await ask("after")).toBe("pong after");
  expect(hub.isClosed()).toBe(false);
  publisher.end();
  await within(
    (async () => {
      while ((await broker.stats()).connections > 2) await Bun.sleep(10);
    })(),
    10_000,
    "Mallory's connections are gone",
  );
  await rawAs(mallory);
}, 180_000);
