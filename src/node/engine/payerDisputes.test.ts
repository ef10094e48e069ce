import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import pino from "pino";
import { hashlock } from "../../protocol";
import { HASHLOCK_ADDRESS } from "../../protocol/testing/twoParties";
import { type Database, openDatabase } from "../store/database";
import { type PayerDisputeOutcome, PayerDisputes } from "./payerDisputes";
import { DEFAULT_ROUTING_RULES } from "./routingRules";
import {
  bytes32,
  MIRROR_EXPIRY,
  type RoutingHub,
  resolvesTo,
  routingHub,
  type User,
} from "./testing/routingHub";

/**
 * The node's own dispute of a payer that does not settle a payment its payee was paid
 * (SECURITY rule 23), on the routing hub's real stores (PGlite) and ManualClock: which
 * payments the sweep finds, when it asks for the dispute, and that it asks once. The dispute
 * itself is faked; the e2e `attacks/silentPayer` runs it on anvil.
 */

let database: Database;
let hub: RoutingHub;
/** The disputes the sweep asked for: channel and transfer ids. */
let asked: { channelAddress: string; transferIds: string[] }[];
/** What the next asks come to (default: started). */
let outcome: () => Promise<PayerDisputeOutcome>;
/** What the sweep logged, by message. */
let logged: { level: number; msg: string; channel?: string }[];

beforeAll(async () => {
  database = await openDatabase();
});
afterAll(async () => {
  await database.close();
});
beforeEach(async () => {
  hub = await routingHub(database);
  asked = [];
  outcome = async () => "started";
  logged = [];
});

const PAYMENT = bytes32(0xa1);
const PRE_IMAGE = bytes32(0x5eed);
/**
 * When the node disputes for a payment `pay` makes: one claim buffer before its deadline, the
 * mirror's expiry (DESIGN §4.6), so its transactions have two buffers.
 */
const DEADLINE = MIRROR_EXPIRY - DEFAULT_ROUTING_RULES.claimBufferSeconds;

function payerDisputes(): PayerDisputes {
  return new PayerDisputes({
    payments: hub.payments,
    claimable: (definition) => definition.toLowerCase() === HASHLOCK_ADDRESS.toLowerCase(),
    rules: hub.rules,
    now: hub.now,
    dispute: async (channelAddress, transferIds) => {
      asked.push({ channelAddress, transferIds });
      return outcome();
    },
    logger: pino({ level: "info" }, { write: (line: string) => logged.push(JSON.parse(line)) }),
  });
}

/** A payer that pays 100 and then answers nothing; a payee that claims at once (or not). */
async function paidByASilentPayer(claim = true) {
  const payer = await hub.user(0, { deposit: 1000n });
  const payee = await hub.user(1, { collateral: 1000n });
  const created = await hub.pay(payer, payee, {
    paymentId: PAYMENT,
    amount: 100n,
    preImage: PRE_IMAGE,
  });
  await hub.settled();
  payer.answer = "silent";
  if (claim) await claimMirror(payee);
  return { payer, payee, senderTransferId: created.details.transferId };
}

async function claimMirror(payee: User) {
  const [mirror] = [...payee.party.view.transfers.values()];
  await hub.propose(payee, {
    type: "resolve",
    transferId: mirror?.transferId as string,
    transferResolver: hashlock.encodeResolver({ preImage: PRE_IMAGE }),
  });
  await hub.settled();
}

function channelOf(user: User): string {
  return user.party.view.state?.channelAddress as string;
}

/** Moves the clock to `at` (unix seconds). */
function moveTo(at: number) {
  hub.advance(at - hub.now());
}

describe("the node's dispute of a payer that does not settle in time", () => {
  test("paid payee, silent payer: disputed one buffer before the deadline, not a second earlier, and once", async () => {
    const { payer, senderTransferId } = await paidByASilentPayer();
    // The node asked the payer for its side with the pre-image; the payer did not answer.
    expect(resolvesTo(payer)).toEqual([PRE_IMAGE]);
    expect(await hub.payments.get(PAYMENT)).toMatchObject({ status: "completed" });
    const disputes = payerDisputes();

    moveTo(DEADLINE - 1);
    await disputes.sweep();
    expect(asked).toEqual([]);

    moveTo(DEADLINE);
    await disputes.sweep();
    expect(asked).toEqual([{ channelAddress: channelOf(payer), transferIds: [senderTransferId] }]);
    expect(logged).toMatchObject([
      {
        level: 40,
        msg: "payer did not settle in time: disputing its channel",
        channel: channelOf(payer),
      },
    ]);

    // On record now: later sweeps leave it to the responder.
    hub.advance(60);
    await disputes.sweep();
    await disputes.sweep();
    expect(asked).toHaveLength(1);
  });

  test("after a restart the channel is asked once more, and `dispute` finds it on record", async () => {
    await paidByASilentPayer();
    moveTo(DEADLINE + 5);
    await payerDisputes().sweep();
    expect(asked).toHaveLength(1);

    const restarted = payerDisputes();
    outcome = async () => "on-record";
    await restarted.sweep();
    await restarted.sweep();
    expect(asked).toHaveLength(2);
  });

  test("a dispute that could not be started is asked again at the next sweep", async () => {
    await paidByASilentPayer();
    const disputes = payerDisputes();
    moveTo(DEADLINE);
    outcome = async () => {
      throw new Error("RPC unavailable");
    };
    await disputes.sweep();
    outcome = async () => "started";
    await disputes.sweep();
    await disputes.sweep();
    expect(asked).toHaveLength(2);
  });

  test("a payer that settles is never disputed", async () => {
    const payer = await hub.user(0, { deposit: 1000n });
    const payee = await hub.user(1, { collateral: 1000n });
    await hub.pay(payer, payee, { paymentId: PAYMENT, amount: 100n, preImage: PRE_IMAGE });
    await hub.settled();
    await claimMirror(payee);
    expect(payer.party.view.transfers.size).toBe(0);
    moveTo(DEADLINE + 60);
    await payerDisputes().sweep();
    expect(asked).toEqual([]);
  });

  test("`dispute` found the transfers gone (the payer settled meanwhile): nothing is marked covered", async () => {
    await paidByASilentPayer();
    const disputes = payerDisputes();
    moveTo(DEADLINE);
    outcome = async () => "settled";
    await disputes.sweep();
    // The fake leaves the transfer active, so the next sweep asks again.
    await disputes.sweep();
    expect(asked).toHaveLength(2);
  });

  test("a payee that has not claimed: the node holds no pre-image and disputes nothing", async () => {
    await paidByASilentPayer(false);
    expect(await hub.payments.get(PAYMENT)).toMatchObject({ status: "pending" });
    moveTo(DEADLINE + 60);
    await payerDisputes().sweep();
    expect(asked).toEqual([]);
  });

  test("a pre-image the payee revealed only on-chain counts the same", async () => {
    const { payer, payee, senderTransferId } = await paidByASilentPayer(false);
    const [mirror] = [...payee.party.view.transfers.values()];
    // What the router stores on reading the payee's on-chain claim (`mirrorDefunded`).
    await hub.payments.claimedOnchain(mirror?.transferId as string, PRE_IMAGE);
    moveTo(DEADLINE);
    await payerDisputes().sweep();
    expect(asked).toEqual([{ channelAddress: channelOf(payer), transferIds: [senderTransferId] }]);
  });
});
