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
 * PostgreSQL restarts (a fast shutdown, then the same data directory and port) in the middle
 * of 10 pairs' payments. The node processes' pools reconnect and carry on; nothing that was
 * acknowledged is lost: every payment ends completed or refunded, none twice, money is
 * conserved and every channel agrees.
 */
const missing = scaleSuiteMissing("the PostgreSQL restart fault test");
const PAYMENTS = 20;

describe.skipIf(missing !== undefined)("PostgreSQL restarted under three node processes", () => {
  let scale: ScaleStack;
  let pairs: Pair[];

  beforeAll(async () => {
    scale = await startScaleStack();
    pairs = await connectPairs(scale, 10, [0, 1, 2]);
  }, 120_000);
  afterAll(() => scale?.stop());

  /** The stream under the restart; the settled balances are checked from `before`. */
  const underRestart = async () => {
    const before = balancesOf(pairs);
    const stream = streamPayments(pairs, PAYMENTS);
    await waitFor(() => stream.answered() >= 50, 60_000);
    await scale.postgres.stopServer();
    await Bun.sleep(2_000);
    await scale.postgres.startServer();
    await stream.done;
    for (const node of scale.nodes) expect(node.running).toBe(true);
    return { stream, before };
  };

  // Work of a payment that failed while the database was away (a forward, a payer's resolve)
  // is resumed by the engine's sweep (PaymentRouter.retryFailed), not only at a user's hello
  // or a node's start: everything settles with the users' connections never dropped.
  test("mid-stream: the nodes reconnect and carry on; everything settles without users reconnecting", async () => {
    const { stream, before } = await underRestart();
    const outcome = await expectStreamSettled(scale, pairs, stream, before);
    console.log(
      `PostgreSQL restart: ${JSON.stringify(outcome)}, retried ${JSON.stringify(stream.retried)}`,
    );
    expect(outcome.completed + outcome.cancelled).toBe(10 * PAYMENTS);
  }, 150_000);
});
