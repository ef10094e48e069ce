import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { waitFor } from "../expectations";
import { scaleSuiteMissing } from "./missing";
import {
  balancesOf,
  connectPairs,
  expectStreamSettled,
  type Pair,
  reconnectPairs,
  streamPayments,
  waitingForUsers,
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

  test("mid-stream: the nodes reconnect and carry on; once users return, everything settles", async () => {
    const { stream, before } = await underRestart();
    // Let what the node retries on its own finish, then see what waits for the users.
    await Bun.sleep(3_000);
    const waiting = await waitingForUsers(scale, pairs);
    pairs = await reconnectPairs(scale, pairs, [0, 1, 2]);
    const outcome = await expectStreamSettled(scale, pairs, stream, before);
    console.log(
      `PostgreSQL restart: ${JSON.stringify(outcome)}, retried ${JSON.stringify(stream.retried)}, ` +
        `waiting for the users' return ${JSON.stringify(waiting)}`,
    );
    expect(outcome.completed + outcome.cancelled).toBe(10 * PAYMENTS);
  }, 150_000);

  // BUG (src/node/engine/router.ts: resolvePayer, forward; `resume` runs only at a user's hello
  // and at start-up): work of a payment that fails because the database is away is retried only
  // when the user says hello again or a node process starts. Users whose connections never
  // dropped wait: seen as 1-3 payer transfers of completed payments still locked toward the node
  // (the payee paid, the payer not claimed: unclaimed until its expiry, the payer would be
  // refunded on top of the payee's payment), or a payment left pending, 60 s after PostgreSQL is
  // back. The test above shows it all settles once users reconnect. Unskip once such work is
  // retried on a timer (the background-work outbox being built on branch coord).
  test.skip("...and settles without the users reconnecting", async () => {
    const { stream, before } = await underRestart();
    const outcome = await expectStreamSettled(scale, pairs, stream, before);
    expect(outcome.completed + outcome.cancelled).toBe(10 * PAYMENTS);
  }, 150_000);
});
