import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { scaleSuiteMissing } from "./missing";
import {
  balancesOf,
  connectPairs,
  expectStreamSettled,
  type Pair,
  streamPayments,
} from "./paymentStreams";
import { type ScaleStack, startScaleStack } from "./scaleStack";

/**
 * DESIGN §3, scale-out as an operator runs it: three `connext-node start` processes with one
 * key on one PostgreSQL and a 3-server NATS cluster, 10 pairs of users paying at once.
 */
const missing = scaleSuiteMissing("the scale-out cluster suite");

describe.skipIf(missing !== undefined)(
  "three node processes on PostgreSQL and a NATS cluster",
  () => {
    let scale: ScaleStack;
    let pairs: Pair[];

    beforeAll(async () => {
      scale = await startScaleStack();
      // Users' HTTP APIs spread over the three processes, as behind a reverse proxy.
      pairs = await connectPairs(scale, 10, [0, 1, 2]);
    }, 120_000);
    afterAll(() => scale?.stop());

    test("/config lists every NATS server, on every process", async () => {
      for (const node of scale.nodes) {
        const config = (await (await fetch(`${node.httpUrl}/config`)).json()) as {
          messagingUrl: string;
          messagingUrls: string[];
        };
        expect(config.messagingUrls).toEqual(scale.nats.urls);
        expect(config.messagingUrl).toBe(scale.nats.urls[0] as string);
      }
    });

    test("10 pairs pay at once: every payment completes, every channel agrees", async () => {
      const before = balancesOf(pairs);
      const stream = streamPayments(pairs, 10);
      await stream.done;
      expect(stream.retried).toEqual({});
      expect(await expectStreamSettled(scale, pairs, stream, before)).toEqual({
        completed: 100,
        cancelled: 0,
      });
    }, 60_000);
  },
);
