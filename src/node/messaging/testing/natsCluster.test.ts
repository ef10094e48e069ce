import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect } from "@nats-io/transport-node";
import { type NatsCluster, startNatsCluster } from "./natsCluster";
import { NATS_SERVER_BIN, NATS_SERVER_MISSING } from "./natsServer";

if (!NATS_SERVER_BIN) console.warn(`\n!!! ${NATS_SERVER_MISSING}\n`);

describe.skipIf(!NATS_SERVER_BIN)("a 3-server NATS cluster", () => {
  let cluster: NatsCluster;
  beforeAll(async () => {
    cluster = await startNatsCluster();
  }, 30_000);
  afterAll(() => cluster?.stop());

  test("a message published on one server reaches a subscriber on another", async () => {
    const [a, b] = await Promise.all(
      [0, 2].map((i) => connect({ servers: cluster.urls[i] as string })),
    );
    const sub = b?.subscribe("hello", { max: 1 });
    await b?.flush();
    // Interest travels over the route: retry until it has arrived.
    const received = (async () => {
      for await (const message of sub ?? []) return message.string();
    })();
    for (let i = 0; i < 50 && sub?.getProcessed() === 0; i++) {
      a?.publish("hello", "world");
      await Bun.sleep(20);
    }
    expect(await received).toBe("world");
    await Promise.all([a?.close(), b?.close()]);
  });

  test("a client given every URL fails over when its server stops, and the server rejoins", async () => {
    const nc = await connect({ servers: cluster.urls, noRandomize: true, reconnectTimeWait: 100 });
    expect(nc.getServer()).toBe(new URL(cluster.urls[0] as string).host);
    expect(await cluster.connections(0)).toBe(1);
    await cluster.stopServer(0);
    const deadline = Date.now() + 10_000;
    while (nc.getServer() === new URL(cluster.urls[0] as string).host && Date.now() < deadline) {
      await Bun.sleep(50);
    }
    await nc.flush();
    expect(nc.getServer()).not.toBe(new URL(cluster.urls[0] as string).host);
    await cluster.startServer(0);
    const back = await connect({ servers: cluster.urls[0] as string });
    await back.close();
    await nc.close();
  }, 30_000);
});
