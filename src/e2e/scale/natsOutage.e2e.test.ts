import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { waitFor } from "../expectations";
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
 * One of the three NATS servers stops in the middle of 10 pairs' payments and comes back.
 * Clients and node processes on it fail over to the others (they were given every server by
 * NATS_URL and /config), and nothing is lost: every payment ends completed or refunded, none
 * twice, every channel agrees.
 */
const missing = scaleSuiteMissing("the NATS server outage fault test");
const PAYMENTS = 20;

describe.skipIf(missing !== undefined)("one NATS server of three stopped and restarted", () => {
  let scale: ScaleStack;
  let pairs: Pair[];

  beforeAll(async () => {
    scale = await startScaleStack();
    pairs = await connectPairs(scale, 10, [0, 1, 2]);
  }, 120_000);
  afterAll(() => scale?.stop());

  test("mid-stream: everybody reconnects, nothing is lost", async () => {
    // The server with the most connections (the NATS client picks one at random).
    const counts = await Promise.all(scale.nats.urls.map((_, i) => scale.nats.connections(i)));
    const victim = counts.indexOf(Math.max(...counts));
    expect(counts[victim]).toBeGreaterThan(0);

    const before = balancesOf(pairs);
    const stream = streamPayments(pairs, PAYMENTS);
    await waitFor(() => stream.answered() >= 50, 60_000);
    await scale.nats.stopServer(victim);
    await Bun.sleep(3_000);
    await scale.nats.startServer(victim);
    await stream.done;
    const outcome = await expectStreamSettled(scale, pairs, stream, before);
    console.log(
      `NATS outage (server ${victim}, ${counts[victim]} connections): ` +
        `${JSON.stringify(outcome)}, retried ${JSON.stringify(stream.retried)}`,
    );
    expect(outcome.completed + outcome.cancelled).toBe(10 * PAYMENTS);
    // Payments after the outage still flow, through whichever servers.
    const after = balancesOf(pairs);
    const more = streamPayments(pairs, 2);
    await more.done;
    await expectStreamSettled(scale, pairs, more, after).catch((error) => {
      throw new Error(`after the outage: ${error}`);
    });
  }, 150_000);
});
