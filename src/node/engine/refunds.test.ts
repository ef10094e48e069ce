import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { type Database, openDatabase } from "../store/database";
import { SWEEP_CANCEL_TIMEOUT_MS } from "./refunds";
import {
  balances,
  bytes32,
  FORWARDABLE_FOR,
  type RoutingHub,
  resolvesTo,
  routingHub,
  type User,
  ZERO_PRE_IMAGE,
} from "./testing/routingHub";

/**
 * When a routed payment's payer gets its money back (refunds.ts, DESIGN §4.6, SECURITY rules
 * 1 and 16): only once no mirror the node signed can be claimed, and then surely, however the
 * payer answers. Through the router's public methods, on the real channel service and stores
 * (testing/routingHub.ts).
 */

let database: Database;
let hub: RoutingHub;

beforeAll(async () => {
  database = await openDatabase();
});
afterAll(async () => {
  await database.close();
});
beforeEach(async () => {
  hub = await routingHub(database);
});

const PAYMENT = bytes32(0xa1);
const PRE_IMAGE = bytes32(0x5eed);

/** `payer` pays `payee` 100 (payment `paymentId`); the node's background work is done. */
async function paid(payer: User, payee: User, paymentId = PAYMENT): Promise<void> {
  await hub.pay(payer, payee, { paymentId, amount: 100n, preImage: PRE_IMAGE });
  await hub.settled();
}

async function sweep(): Promise<void> {
  await hub.router.sweepExpired();
  await hub.settled();
}

const status = async (paymentId = PAYMENT) => (await hub.payments.get(paymentId))?.status;

describe("the sweep", () => {
  test("refunds a payment never forwarded once a mirror could no longer leave the payee room to claim, not a second earlier", async () => {
    const payer = await hub.user(0, { deposit: 1000n });
    const payee = await hub.user(1, { collateral: 1000n });
    payee.answer = "away";
    await paid(payer, payee);

    hub.advance(FORWARDABLE_FOR);
    await sweep();
    expect(await status()).toBe("pending");
    expect(resolvesTo(payer)).toEqual([]);

    hub.advance(1);
    await sweep();
    expect(await hub.payments.get(PAYMENT)).toMatchObject({
      status: "cancelled",
      error: "expired",
      mirrorNonce: null,
    });
    expect(resolvesTo(payer)).toEqual([ZERO_PRE_IMAGE]);
    expect(balances(payer.party.view)).toEqual({ user: 1000n, node: 0n });
    // The payee never got anything, and nothing more is tried for the payment.
    payee.answer = "sign";
    await hub.router.resume(payee.party.signer.address);
    await hub.settled();
    expect(payee.received).toEqual([]);
    expect(resolvesTo(payer)).toEqual([ZERO_PRE_IMAGE]);
  });

  test("a cancel the payer lets time out is owed: the next sweep sends it again, with the sweep's short timeout", async () => {
    const payer = await hub.user(0, { deposit: 1000n });
    const payee = await hub.user(1, { collateral: 1000n });
    payee.answer = "away";
    await paid(payer, payee);
    payer.answer = "silent";

    hub.advance(FORWARDABLE_FOR + 1);
    await sweep();
    // Decided (one conditional statement), sent, not taken.
    expect(await status()).toBe("cancelled");
    expect(resolvesTo(payer)).toEqual([ZERO_PRE_IMAGE]);
    expect(payer.party.view.transfers.size).toBe(1);

    payer.answer = "sign";
    await sweep();
    expect(resolvesTo(payer)).toEqual([ZERO_PRE_IMAGE, ZERO_PRE_IMAGE]);
    expect(payer.party.view.transfers.size).toBe(0);
    expect(balances(payer.party.view)).toEqual({ user: 1000n, node: 0n });
    const cancels = hub.requests.filter((r) => r.to === payer.party.signer.address);
    expect(cancels).toEqual([
      { to: payer.party.signer.address, type: "resolve", timeoutMs: SWEEP_CANCEL_TIMEOUT_MS },
      { to: payer.party.signer.address, type: "resolve", timeoutMs: SWEEP_CANCEL_TIMEOUT_MS },
    ]);

    // Taken: no later sweep sends it again.
    await sweep();
    expect(resolvesTo(payer)).toHaveLength(2);
  });

  test("a refund decided while the payer is away is not sent again by the sweep: the payer gets it when it says hello", async () => {
    const payer = await hub.user(0, { deposit: 1000n });
    const payee = await hub.user(1, { collateral: 1000n });
    payee.answer = "away";
    await paid(payer, payee);
    payer.answer = "away";

    hub.advance(FORWARDABLE_FOR + 1);
    await sweep();
    await sweep();
    expect(await status()).toBe("cancelled");
    // One try, undelivered: nobody there to send it to.
    expect(hub.requests.filter((r) => r.to === payer.party.signer.address)).toHaveLength(1);
    expect(payer.received).toEqual([]);

    payer.answer = "sign";
    await hub.router.resume(payer.party.signer.address);
    await hub.settled();
    expect(resolvesTo(payer)).toEqual([ZERO_PRE_IMAGE]);
    expect(balances(payer.party.view)).toEqual({ user: 1000n, node: 0n });
  });

  test("a payer in back-off is left out, and holds up no other payer's refund", async () => {
    const deferred = await hub.user(0, { deposit: 1000n });
    const silent = await hub.user(1, { deposit: 1000n });
    const honest = await hub.user(2, { deposit: 1000n });
    const payee = await hub.user(3, { collateral: 1000n });
    payee.answer = "away";
    const ids = [bytes32(0xa1), bytes32(0xa2), bytes32(0xa3)];
    await paid(deferred, payee, ids[0]);
    await paid(silent, payee, ids[1]);
    await paid(honest, payee, ids[2]);
    hub.deferred.add(deferred.party.signer.address.toLowerCase());
    silent.answer = "silent";

    hub.advance(FORWARDABLE_FOR + 1);
    await sweep();
    // Not even decided for the payer in back-off: its lane did not start.
    expect(await status(ids[0])).toBe("pending");
    expect(deferred.received).toEqual([]);
    expect(await status(ids[1])).toBe("cancelled");
    expect(resolvesTo(silent)).toEqual([ZERO_PRE_IMAGE]);
    expect(silent.party.view.transfers.size).toBe(1);
    expect(await status(ids[2])).toBe("cancelled");
    expect(balances(honest.party.view)).toEqual({ user: 1000n, node: 0n });

    // Its back-off over, the deferred payer is refunded too.
    hub.deferred.clear();
    await sweep();
    expect(await status(ids[0])).toBe("cancelled");
    expect(balances(deferred.party.view)).toEqual({ user: 1000n, node: 0n });
  });
});

describe("a mirror the payee refused", () => {
  test("stays live until the payee's channel holds an update past its nonce: then the payer is refunded before its expiry", async () => {
    const payer = await hub.user(0, { deposit: 1000n });
    const payee = await hub.user(1, { collateral: 1000n });
    payee.answer = { refuse: "TRANSFER_REJECTED" };
    await paid(payer, payee);
    const mirrorNonce = (await hub.payments.get(PAYMENT))?.mirrorNonce as number;
    expect(mirrorNonce).toBe(3);

    // Too late to forward: the node tries a refund, but the refused mirror may be held.
    hub.advance(FORWARDABLE_FOR + 1);
    await hub.deposit(payee, 10n); // at the mirror's nonce: not past it
    await hub.router.resume(payee.party.signer.address);
    await hub.settled();
    expect(await status()).toBe("pending");
    expect(resolvesTo(payer)).toEqual([]);

    await hub.deposit(payee, 10n); // past it: no state holding the mirror can be signed now
    await hub.router.resume(payee.party.signer.address);
    await hub.settled();
    expect(await hub.payments.get(PAYMENT)).toMatchObject({
      status: "cancelled",
      error: "too close to expiry to pay the payee safely",
    });
    expect(resolvesTo(payer)).toEqual([ZERO_PRE_IMAGE]);
    expect(balances(payer.party.view)).toEqual({ user: 1000n, node: 0n });
    // The node proposed the mirror once, and nothing to the payee since.
    expect(payee.received.map((update) => update.type)).toEqual(["create"]);
  });
});
