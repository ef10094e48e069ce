import { expect, test } from "bun:test";
import fc from "fast-check";
import { privateKeySigner } from "../signatures";
import {
  type Action,
  ALICE_KEY,
  act,
  BOB_KEY,
  check,
  type Intent,
  latest,
  newWorld,
  type Side,
  settle,
} from "../testing/interleavings";

/**
 * Two parties (the node, alice, and a user, bob), each a conversation, driven through random
 * interleavings of proposals from both sides, deliveries, drops, duplicates, reorderings and
 * delays, reply timeouts, syncs and restarts. After every action: both sides agree on every
 * doubly-signed update they both hold, each stores only doubly-signed states, every asset is
 * conserved and no create is applied twice. At the end, with everything delivered and both
 * synced, both hold the same latest state.
 *
 * Replay a failure with the printed seed (and path):
 *   INTERLEAVINGS_SEED=<seed> INTERLEAVINGS_PATH=<path> bun test src/protocol/conversation/interleavings.test.ts
 * INTERLEAVINGS_RUNS overrides the number of schedules (1,000 by default).
 */

const SEED = Number(process.env.INTERLEAVINGS_SEED ?? 1_300_005);
const PATH = process.env.INTERLEAVINGS_PATH;
const RUNS = Number(process.env.INTERLEAVINGS_RUNS ?? 1_000);

const ALICE = privateKeySigner(ALICE_KEY).address;
const BOB = privateKeySigner(BOB_KEY).address;

const side: fc.Arbitrary<Side> = fc.constantFrom("alice", "bob");
const intent: fc.Arbitrary<Intent> = fc.oneof(
  fc.record({
    kind: fc.constant("deposit" as const),
    asset: fc.nat(1),
    amount: fc.bigInt({ min: 0n, max: 10n ** 18n }),
  }),
  fc.record({
    kind: fc.constant("create" as const),
    asset: fc.nat(1),
    amount: fc.bigInt({ min: 0n, max: 10n ** 18n }),
  }),
  fc.record({ kind: fc.constant("resolve" as const), pick: fc.nat(7), pay: fc.boolean() }),
);
const pick = fc.nat(15);

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ kind: fc.constant("propose" as const), side, intent }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("chainDeposit" as const),
      side,
      asset: fc.nat(1),
      amount: fc.bigInt({ min: 1n, max: 10n ** 18n }),
    }),
  },
  { weight: 20, arbitrary: fc.record({ kind: fc.constant("deliver" as const), pick }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("drop" as const), pick }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("duplicate" as const), pick }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("timeout" as const), side }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("sync" as const), side }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("restart" as const) }) },
);

/** Runs one schedule; throws with the world's log at the first broken promise. */
function run(schedule: Action[]): void {
  const world = newWorld(ALICE, BOB);
  const fail = (found: string[], at: string) => {
    throw new Error(`${at}: ${found.join("; ")}\n${world.log.slice(-40).join("\n")}`);
  };
  for (const [index, each] of schedule.entries()) {
    act(world, each);
    const found = check(world);
    if (found.length > 0) fail(found, `after action ${index} (${JSON.stringify(each, bigints)})`);
  }
  settle(world);
  const found = check(world);
  if (found.length > 0) fail(found, "after settling");
  const { alice, bob } = latest(world);
  if (
    alice?.nonce !== bob?.nonce ||
    alice?.latestUpdate.bobSignature !== bob?.latestUpdate.bobSignature
  ) {
    fail([`alice ends at #${alice?.nonce}, bob at #${bob?.nonce}`], "after settling");
  }
  expect(bob).toEqual(alice as NonNullable<typeof alice>);
  const views = [world.alice, world.bob].map((shell) => shell.party.conversation.view);
  expect([...(views[1]?.transfers.keys() ?? [])].sort()).toEqual(
    [...(views[0]?.transfers.keys() ?? [])].sort(),
  );
  expect(views[1]?.tree.root()).toBe(views[0]?.tree.root() as string);
}

function bigints(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

test(`two parties through ${RUNS} random interleavings agree, conserve and converge`, () => {
  console.log(`interleavings: seed ${SEED}${PATH ? `, path ${PATH}` : ""}, ${RUNS} runs`);
  const details = fc.check(
    fc.property(fc.array(action, { minLength: 10, maxLength: 80, size: "max" }), (schedule) =>
      run(schedule),
    ),
    { seed: SEED, numRuns: RUNS, ...(PATH ? { path: PATH } : {}) },
  );
  if (details.failed) {
    console.log(
      `interleavings failed: replay with INTERLEAVINGS_SEED=${details.seed} INTERLEAVINGS_PATH=${details.counterexamplePath}`,
    );
    console.log(
      String((details.errorInstance as Error | undefined)?.message ?? details.errorInstance),
    );
  }
  if (details.failed) throw new Error(fc.defaultReportMessage(details) ?? "failed");
}, 120_000);
