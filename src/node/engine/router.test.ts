import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { type FullTransferState, hashlock, isProtocolError } from "../../protocol";
import { ETH, NOW } from "../../protocol/testing/twoParties";
import { type Database, openDatabase } from "../store/database";
import { isNodeError } from "./errors";
import { RETRY_FIRST_SECONDS, RETRY_MOST_SECONDS } from "./router";
import {
  type Answer,
  balances,
  bytes32,
  FORWARDABLE_FOR,
  lockOf,
  MIRROR_EXPIRY,
  PAYER_EXPIRY,
  type RoutingHub,
  resolvesTo,
  routingHub,
  type User,
  ZERO_PRE_IMAGE,
} from "./testing/routingHub";

/**
 * The node's routing decisions (router.ts, DESIGN §4.6, SECURITY rules 1, 19, 22) against the
 * real channel service and stores on in-memory PGlite, with users, chain and collateral faked
 * (testing/routingHub.ts) and time on a ManualClock. Every amount is in ETH.
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

/** A payer with 1000 of its own and a payee whose channel holds 1000 of the node's. */
async function payerAndPayee(payeeAnswers: Answer = "sign") {
  const payer = await hub.user(0, { deposit: 1000n });
  const payee = await hub.user(1, { collateral: 1000n });
  payee.answer = payeeAnswers;
  return { payer, payee };
}

/** `payer` pays `payee` 100 under PRE_IMAGE's lock; the node's background work is done. */
async function paid(payer: User, payee: User, paymentId = PAYMENT) {
  const created = await hub.pay(payer, payee, { paymentId, amount: 100n, preImage: PRE_IMAGE });
  await hub.settled();
  return created.details.transferId;
}

function onlyTransfer(user: User): FullTransferState {
  const transfers = [...user.party.view.transfers.values()];
  expect(transfers).toHaveLength(1);
  return transfers[0] as FullTransferState;
}

function claim(transferId: string, preImage: string) {
  return {
    type: "resolve" as const,
    transferId,
    transferResolver: hashlock.encodeResolver({ preImage }),
  };
}

async function codeOf(work: Promise<unknown>): Promise<string | undefined> {
  try {
    await work;
    return undefined;
  } catch (error) {
    if (isNodeError(error) || isProtocolError(error)) return error.code;
    throw error;
  }
}

describe("forwarding a payment", () => {
  test("the payer's transfer opens a pending payment and becomes a mirror: same amount and lock, earlier expiry", async () => {
    const { payer, payee } = await payerAndPayee();
    const senderTransferId = await paid(payer, payee);

    const mirror = onlyTransfer(payee);
    expect(mirror.initiator).toBe(hub.channels.identifier);
    expect(mirror.responder).toBe(payee.party.signer.address);
    expect(mirror.balance.amount).toEqual([100n, 0n]);
    expect(mirror.assetId).toBe(ETH);
    expect(hashlock.decodeState(mirror.transferState)).toEqual({
      lockHash: lockOf(PRE_IMAGE),
      expiry: BigInt(MIRROR_EXPIRY),
    });
    // The payer's transfer timeout, so that a mirror sent again is identical.
    expect(mirror.transferTimeout).toBe(Number(PAYER_EXPIRY) - NOW);
    expect(mirror.meta?.routing).toEqual({
      paymentId: PAYMENT,
      sender: payer.party.signer.address,
    });

    expect(await hub.payments.get(PAYMENT)).toMatchObject({
      status: "pending",
      senderTransferId,
      recipientTransferId: mirror.transferId,
      sender: payer.party.signer.address,
      recipient: payee.party.signer.address,
      amount: 100n,
      lockHash: lockOf(PRE_IMAGE),
      expiry: Number(PAYER_EXPIRY),
      mirrorNonce: mirror.channelNonce,
      mirrorExpiry: MIRROR_EXPIRY,
    });
    // The payer's 100 and the node's 100 are locked; nothing moved yet.
    expect(balances(payer.party.view)).toEqual({ user: 900n, node: 0n });
    expect(balances(payee.party.view)).toEqual({ user: 0n, node: 900n });
    // Collateral was checked for the payment's amount: there was enough, nothing deposited.
    expect(hub.collateralAsks).toEqual([
      { user: payee.party.signer.address, assetId: ETH, amount: 100n },
    ]);
    expect(payee.received.map((update) => update.type)).toEqual(["create"]);
    expect(hub.notified).toEqual([]);
  });

  test("the payee's pre-image settles the payer's side the same way: the payment completes", async () => {
    const { payer, payee } = await payerAndPayee();
    const senderTransferId = await paid(payer, payee);
    const mirror = onlyTransfer(payee);

    await hub.propose(payee, claim(mirror.transferId, PRE_IMAGE));
    await hub.settled();

    expect(await hub.payments.get(PAYMENT)).toMatchObject({ status: "completed" });
    expect(resolvesTo(payer)).toEqual([PRE_IMAGE]);
    expect(payer.party.view.transfers.size).toBe(0);
    expect((await hub.store.getTransfer(senderTransferId))?.active).toBe(false);
    // 100 went from the payer to the node, and from the node to the payee.
    expect(balances(payer.party.view)).toEqual({ user: 900n, node: 100n });
    expect(balances(payee.party.view)).toEqual({ user: 100n, node: 900n });
    // A completion is read from the channel: no event for it.
    expect(hub.notified).toEqual([]);
  });

  test("the payee claims while the payer is away: the payer's side is resolved when it says hello", async () => {
    const { payer, payee } = await payerAndPayee();
    await paid(payer, payee);
    payer.answer = "away";

    await hub.propose(payee, claim(onlyTransfer(payee).transferId, PRE_IMAGE));
    await hub.settled();
    expect(await hub.payments.get(PAYMENT)).toMatchObject({ status: "completed" });
    expect(payer.party.view.transfers.size).toBe(1);

    payer.answer = "sign";
    await hub.router.resume(payer.party.signer.address);
    await hub.settled();
    expect(resolvesTo(payer)).toEqual([PRE_IMAGE]);
    expect(balances(payer.party.view)).toEqual({ user: 900n, node: 100n });
  });

  test("a payee's channel short of collateral: the node asks for the payment's amount, then mirrors", async () => {
    const payer = await hub.user(0, { deposit: 1000n });
    const payee = await hub.user(1);
    await paid(payer, payee);

    expect(hub.collateralAsks).toEqual([
      { user: payee.party.signer.address, assetId: ETH, amount: 100n },
    ]);
    // The top-up's deposit, then the mirror on top of it.
    expect(payee.received.map((update) => update.type)).toEqual(["deposit", "create"]);
    expect(onlyTransfer(payee).balance.amount).toEqual([100n, 0n]);
    expect(balances(payee.party.view)).toEqual({ user: 0n, node: 0n });
    expect(await hub.payments.get(PAYMENT)).toMatchObject({ status: "pending" });
  });

  test("collateral that cannot be had: no mirror is signed and the payer is refunded at once", async () => {
    const payer = await hub.user(0, { deposit: 1000n });
    const payee = await hub.user(1);
    hub.collateral = "fail";
    await paid(payer, payee);
    // The top-up "succeeded" but left the channel short: the same.
    hub.collateral = "nothing";
    const second = bytes32(0xa2);
    await paid(payer, payee, second);

    expect(payee.received).toEqual([]);
    expect(hub.requests.filter((r) => r.to === payee.party.signer.address)).toEqual([]);
    for (const [paymentId, error] of [
      [PAYMENT, "the deposit transaction failed"],
      [second, `short of collateral to pay ${payee.party.signer.address}`],
    ] as const) {
      expect(await hub.payments.get(paymentId)).toMatchObject({
        status: "cancelled",
        mirrorNonce: null,
        recipientTransferId: null,
        error,
      });
    }
    expect(resolvesTo(payer)).toEqual([ZERO_PRE_IMAGE, ZERO_PRE_IMAGE]);
    expect(balances(payer.party.view)).toEqual({ user: 1000n, node: 0n });
    expect(hub.notified.map(({ paymentId, status }) => [paymentId, status])).toEqual([
      [PAYMENT, "cancelled"],
      [second, "cancelled"],
    ]);
  });
});

describe("work that failed while the database was away", () => {
  /** Makes `method` of the payments repository fail `times` times, as with the database down. */
  function databaseDownFor(method: "reserveMirror" | "get", times = 1) {
    const repository = hub.payments as unknown as Record<string, (...args: unknown[]) => unknown>;
    const real = repository[method] as (...args: unknown[]) => unknown;
    let left = times;
    repository[method] = (...args: unknown[]) => {
      if (left-- > 0) return Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:5432"));
      return real.apply(hub.payments, args);
    };
  }

  test("a forward that failed is retried at the sweep once due, and the payment completes", async () => {
    const { payer, payee } = await payerAndPayee();
    databaseDownFor("reserveMirror");
    databaseDownFor("get"); // the refund's look-up fails too: the database is away
    await paid(payer, payee);
    expect(payee.received).toEqual([]);
    expect(await hub.payments.get(PAYMENT)).toMatchObject({ status: "pending" });

    // Not before it is due.
    await hub.router.retryFailed();
    await hub.settled();
    expect(payee.received).toEqual([]);

    hub.advance(RETRY_FIRST_SECONDS);
    await hub.router.retryFailed();
    await hub.settled();
    const mirror = onlyTransfer(payee);
    await hub.propose(payee, claim(mirror.transferId, PRE_IMAGE));
    await hub.settled();
    expect(await hub.payments.get(PAYMENT)).toMatchObject({ status: "completed" });
    expect(resolvesTo(payer)).toEqual([PRE_IMAGE]);
  });

  test("a payment whose top-up finds the chain's RPC away waits, and is forwarded once it is back", async () => {
    const payer = await hub.user(0, { deposit: 1000n });
    const payee = await hub.user(1); // no collateral: the payment needs a top-up
    hub.collateral = "rpcAway";
    await paid(payer, payee);
    expect(await hub.payments.get(PAYMENT)).toMatchObject({ status: "pending" });
    expect(payer.party.view.transfers.size).toBe(1); // not refunded
    hub.advance(RETRY_FIRST_SECONDS);
    await hub.router.retryFailed(); // still away
    await hub.settled();
    expect(payee.received).toEqual([]);
    hub.collateral = "topUp";
    hub.advance(2 * RETRY_FIRST_SECONDS);
    await hub.router.retryFailed();
    await hub.settled();
    expect(payee.received.map((update) => update.type)).toEqual(["deposit", "create"]);
    await hub.propose(payee, claim(onlyTransfer(payee).transferId, PRE_IMAGE));
    await hub.settled();
    expect(await hub.payments.get(PAYMENT)).toMatchObject({ status: "completed" });
  });

  test("a payer's resolve that failed is retried, backing off while it keeps failing", async () => {
    const { payer, payee } = await payerAndPayee();
    await paid(payer, payee);
    const mirror = onlyTransfer(payee);
    // The payer's channel cannot be worked on twice (its view and lease live in the database).
    const channels = hub.channels as unknown as { propose: (...args: unknown[]) => unknown };
    const propose = channels.propose;
    let down = 2;
    channels.propose = (user: unknown, ...rest: unknown[]) => {
      if (user === payer.party.signer.address && down-- > 0) {
        return Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:5432"));
      }
      return propose.call(hub.channels, user, ...rest);
    };
    await hub.propose(payee, claim(mirror.transferId, PRE_IMAGE));
    await hub.settled();
    expect(resolvesTo(payer)).toEqual([]);

    hub.advance(RETRY_FIRST_SECONDS);
    await hub.router.retryFailed(); // fails again: the next try waits twice as long
    await hub.settled();
    expect(resolvesTo(payer)).toEqual([]);
    hub.advance(RETRY_FIRST_SECONDS);
    await hub.router.retryFailed();
    await hub.settled();
    expect(resolvesTo(payer)).toEqual([]);
    hub.advance(RETRY_FIRST_SECONDS);
    await hub.router.retryFailed();
    await hub.settled();
    expect(resolvesTo(payer)).toEqual([PRE_IMAGE]);
    expect(await hub.payments.get(PAYMENT)).toMatchObject({ status: "completed" });
  });

  test("a payer who seemed away is tried again at the retry: it may never have left", async () => {
    const { payer, payee } = await payerAndPayee();
    await paid(payer, payee);
    const mirror = onlyTransfer(payee);
    payer.answer = "away"; // as when the node's own messaging server went away mid-request
    await hub.propose(payee, claim(mirror.transferId, PRE_IMAGE));
    await hub.settled();
    expect(resolvesTo(payer)).toEqual([]);
    payer.answer = "sign"; // reachable again, and it says no hello: it never left
    hub.advance(RETRY_FIRST_SECONDS);
    await hub.router.retryFailed();
    await hub.settled();
    expect(resolvesTo(payer)).toEqual([PRE_IMAGE]);
  });

  test("a payee who is away is not retried: forwarding waits for its hello", async () => {
    const { payer, payee } = await payerAndPayee("away");
    await paid(payer, payee);
    expect(payee.received).toEqual([]);
    payee.answer = "sign";
    hub.advance(RETRY_MOST_SECONDS);
    await hub.router.retryFailed();
    await hub.settled();
    expect(payee.received).toEqual([]);
    await hub.router.resume(payee.party.signer.address);
    await hub.settled();
    expect(payee.received.map((update) => update.type)).toEqual(["create"]);
  });
});

describe("a payee that does not take the mirror", () => {
  test("away: the mirror reached nobody, so its reservation is released; the payment waits and is forwarded when the payee returns", async () => {
    const { payer, payee } = await payerAndPayee("away");
    await paid(payer, payee);

    expect(payee.received).toEqual([]);
    expect(await hub.payments.get(PAYMENT)).toMatchObject({
      status: "pending",
      mirrorNonce: null,
      mirrorExpiry: null,
      recipientTransferId: null,
    });
    expect(balances(payer.party.view)).toEqual({ user: 900n, node: 0n });
    expect(hub.notified).toEqual([
      { user: payer.party.signer.address, paymentId: PAYMENT, status: "pending" },
    ]);

    hub.advance(600);
    payee.answer = "sign";
    await hub.router.resume(payee.party.signer.address);
    const mirror = onlyTransfer(payee);
    expect(hashlock.decodeState(mirror.transferState).expiry).toBe(BigInt(MIRROR_EXPIRY));
    expect(await hub.payments.get(PAYMENT)).toMatchObject({
      status: "pending",
      recipientTransferId: mirror.transferId,
      mirrorNonce: mirror.channelNonce,
    });
  });

  test("away until a mirror could no longer be claimed on-chain in time: the payer is refunded and the payee gets nothing", async () => {
    const { payer, payee } = await payerAndPayee("away");
    await paid(payer, payee);

    // The mirror must leave the payee a full dispute of its channel plus the buffer.
    hub.advance(FORWARDABLE_FOR + 1);
    payee.answer = "sign";
    await hub.router.resume(payee.party.signer.address);
    await hub.settled();

    expect(payee.received).toEqual([]);
    expect(payee.party.view.transfers.size).toBe(0);
    expect(await hub.payments.get(PAYMENT)).toMatchObject({
      status: "cancelled",
      error: "too close to expiry to pay the payee safely",
    });
    expect(resolvesTo(payer)).toEqual([ZERO_PRE_IMAGE]);
    expect(balances(payer.party.view)).toEqual({ user: 1000n, node: 0n });
    expect(hub.notified.map((n) => n.status)).toEqual(["pending", "cancelled"]);
  });

  for (const [answer, what] of [
    [{ refuse: "TRANSFER_REJECTED" }, "refuses it"],
    ["silent", "never answers"],
    ["signButLoseReply", "signs it, but its reply is lost"],
  ] as const) {
    test(`${what}: the mirror was signed, so the payer is refunded only once it is dead (its expiry plus the grace)`, async () => {
      const { payer, payee } = await payerAndPayee(answer);
      const senderTransferId = await paid(payer, payee);

      expect(payee.received.map((update) => update.type)).toEqual(["create"]);
      const pending = await hub.payments.get(PAYMENT);
      // Reserved before signing, and kept: the payee may hold it.
      expect(pending).toMatchObject({
        status: "pending",
        recipientTransferId: null,
        mirrorNonce: payee.received[0]?.nonce,
        mirrorExpiry: MIRROR_EXPIRY,
      });
      expect(hub.notified).toHaveLength(1);
      expect(hub.notified[0]).toMatchObject({ paymentId: PAYMENT, status: "pending" });

      // A second short of the mirror's expiry plus the grace: the sweep refunds nothing.
      hub.advance(MIRROR_EXPIRY + hub.rules.expiryGraceSeconds - NOW - 1);
      await hub.router.sweepExpired();
      await hub.settled();
      expect(await hub.payments.get(PAYMENT)).toMatchObject({ status: "pending" });
      expect(resolvesTo(payer)).toEqual([]);
      expect((await hub.store.getTransfer(senderTransferId))?.active).toBe(true);

      hub.advance(1);
      await hub.router.sweepExpired();
      await hub.settled();
      expect(await hub.payments.get(PAYMENT)).toMatchObject({ status: "cancelled" });
      expect(resolvesTo(payer)).toEqual([ZERO_PRE_IMAGE]);
      expect(balances(payer.party.view)).toEqual({ user: 1000n, node: 0n });
      expect(hub.notified.at(-1)).toMatchObject({ paymentId: PAYMENT, status: "cancelled" });
    });
  }

  test("refuses it: the payer hears the payment is pending, and why", async () => {
    const { payer, payee } = await payerAndPayee({ refuse: "TRANSFER_REJECTED" });
    await paid(payer, payee);
    expect(hub.notified).toEqual([
      {
        user: payer.party.signer.address,
        paymentId: PAYMENT,
        status: "pending",
        reason: "the payee has not taken the payment; it is refunded once it no longer can",
      },
    ]);
  });

  test("refuses it in words an outage would use: still a refusal, not forwarded again", async () => {
    const { payer, payee } = await payerAndPayee({
      refuse: "TRANSFER_REJECTED",
      message:
        "a payment expiring then leaves no room to claim it (channel timeout 3600 s): timed out",
    });
    await paid(payer, payee);
    expect(hub.notified.map((n) => n.reason)).toEqual([
      "the payee has not taken the payment; it is refunded once it no longer can",
    ]);
    hub.advance(RETRY_FIRST_SECONDS);
    await hub.router.retryFailed();
    await hub.settled();
    expect(payee.received.map((update) => update.type)).toEqual(["create"]);
  });

  test("signs it but its reply is lost: the payee's hello brings the mirror in and its claim completes the payment", async () => {
    const { payer, payee } = await payerAndPayee("signButLoseReply");
    await paid(payer, payee);
    const mirror = onlyTransfer(payee);
    expect(await hub.store.getTransfer(mirror.transferId)).toBeUndefined();

    payee.answer = "sign";
    await hub.sync(payee);
    expect(await hub.payments.get(PAYMENT)).toMatchObject({
      status: "pending",
      recipientTransferId: mirror.transferId,
    });

    await hub.propose(payee, claim(mirror.transferId, PRE_IMAGE));
    await hub.settled();
    expect(await hub.payments.get(PAYMENT)).toMatchObject({ status: "completed" });
    expect(resolvesTo(payer)).toEqual([PRE_IMAGE]);
    expect(balances(payer.party.view)).toEqual({ user: 900n, node: 100n });
    expect(balances(payee.party.view)).toEqual({ user: 100n, node: 900n });
  });

  test("signs it but its reply is lost, and says hello only once it is dead and refunded: adopted, not paid", async () => {
    const { payer, payee } = await payerAndPayee("signButLoseReply");
    await paid(payer, payee);
    const mirror = onlyTransfer(payee);
    hub.advance(MIRROR_EXPIRY + hub.rules.expiryGraceSeconds - NOW);
    await hub.router.sweepExpired();
    await hub.settled();
    expect(await hub.payments.get(PAYMENT)).toMatchObject({ status: "cancelled" });

    // The channel takes the expired mirror (refusing it would only leave the channel stuck)...
    payee.answer = "sign";
    await hub.sync(payee);
    expect((await hub.store.getTransfer(mirror.transferId))?.active).toBe(true);
    expect(await hub.payments.get(PAYMENT)).toMatchObject({
      status: "cancelled",
      recipientTransferId: null,
    });
    // ...but nobody can claim it any more (the hashlock expired), and the refund stands.
    expect(await codeOf(hub.propose(payee, claim(mirror.transferId, PRE_IMAGE)))).toBe(
      "RESOLVE_REJECTED",
    );
    await hub.settled();
    expect(await hub.payments.get(PAYMENT)).toMatchObject({ status: "cancelled" });
    expect(balances(payer.party.view)).toEqual({ user: 1000n, node: 0n });
    expect(balances(payee.party.view)).toEqual({ user: 0n, node: 900n });
  });

  test("signs it but its reply is lost, and the payer's side went back on-chain meanwhile: the live mirror is refused", async () => {
    const { payer, payee } = await payerAndPayee("signButLoseReply");
    const senderTransferId = await paid(payer, payee);
    const mirror = onlyTransfer(payee);
    const payeeChannel = payee.party.view.state?.channelAddress as string;
    // The payer's channel was disputed and its transfer defunded back to it.
    const payerTransfer = (await hub.store.getTransfer(senderTransferId))?.transfer;
    await database.db.transaction((tx) =>
      hub.router.refundedOnchain(tx, payerTransfer as FullTransferState),
    );
    expect(await hub.payments.get(PAYMENT)).toMatchObject({ status: "cancelled" });

    payee.answer = "sign";
    expect(await codeOf(hub.sync(payee))).toBe("PAYMENT_NOT_PENDING");
    expect(await hub.store.getTransfer(mirror.transferId)).toBeUndefined();
    expect(await hub.store.latestNonce(payeeChannel)).toBe(mirror.channelNonce - 1);
    expect(await hub.payments.get(PAYMENT)).toMatchObject({
      status: "cancelled",
      recipientTransferId: null,
    });
  });

  test("claims it within the grace before its expiry: refused, and the refund comes only the grace after it (rule 19)", async () => {
    const { payer, payee } = await payerAndPayee();
    await paid(payer, payee);
    const mirror = onlyTransfer(payee);

    hub.advance(MIRROR_EXPIRY - hub.rules.expiryGraceSeconds - NOW);
    expect(await codeOf(hub.propose(payee, claim(mirror.transferId, PRE_IMAGE)))).toBe(
      "CLAIM_TOO_LATE",
    );
    await hub.settled();
    expect(await hub.payments.get(PAYMENT)).toMatchObject({ status: "pending" });
    expect((await hub.store.getTransfer(mirror.transferId))?.active).toBe(true);
    expect(resolvesTo(payer)).toEqual([]);

    // Up to the grace after the expiry, the mirror the payee holds could still be claimed.
    hub.advance(2 * hub.rules.expiryGraceSeconds - 1);
    await hub.router.sweepExpired();
    await hub.settled();
    expect(await hub.payments.get(PAYMENT)).toMatchObject({ status: "pending" });
    hub.advance(1);
    await hub.router.sweepExpired();
    await hub.settled();
    expect(await hub.payments.get(PAYMENT)).toMatchObject({ status: "cancelled" });
    expect(resolvesTo(payer)).toEqual([ZERO_PRE_IMAGE]);
    expect(balances(payer.party.view)).toEqual({ user: 1000n, node: 0n });
  });

  test("cancels it: the payer is refunded and the node's collateral is free again", async () => {
    const { payer, payee } = await payerAndPayee();
    await paid(payer, payee);
    const mirror = onlyTransfer(payee);

    await hub.propose(payee, claim(mirror.transferId, ZERO_PRE_IMAGE));
    await hub.settled();

    expect(await hub.payments.get(PAYMENT)).toMatchObject({
      status: "cancelled",
      error: "the payee cancelled",
    });
    expect(resolvesTo(payer)).toEqual([ZERO_PRE_IMAGE]);
    expect(balances(payer.party.view)).toEqual({ user: 1000n, node: 0n });
    expect(balances(payee.party.view)).toEqual({ user: 0n, node: 1000n });
    expect(hub.notified).toEqual([
      { user: payer.party.signer.address, paymentId: PAYMENT, status: "cancelled" },
    ]);
    // The mirror's payment was refunded: a claim of the same mirror can never complete it.
    const transfer = (await hub.store.getTransfer(mirror.transferId))?.transfer;
    const refusal = await codeOf(
      database.db.transaction((tx) => hub.router.completeMirror(tx, transfer as FullTransferState)),
    );
    expect(refusal).toBe("PAYMENT_NOT_PENDING");
  });
});

describe("a payment the node refuses", () => {
  test("to an unknown payee, to the payer itself, or with an expiry out of bounds: its code, and nothing changes", async () => {
    const { payer, payee } = await payerAndPayee();
    const payerChannel = payer.party.view.state?.channelAddress as string;
    const stranger = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
    const earliest = PAYER_EXPIRY - 3600n;
    const cases = [
      [{ recipient: stranger }, "UNKNOWN_RECIPIENT"],
      [{ recipient: payer.party.signer.address }, "UNKNOWN_RECIPIENT"],
      [{ expiry: earliest - 1n }, "EXPIRY_TOO_SOON"],
      [{ expiry: BigInt(NOW + hub.rules.maxExpirySeconds + 1) }, "EXPIRY_TOO_LATE"],
    ] as const;
    for (const [terms, code] of cases) {
      const payment = { paymentId: PAYMENT, amount: 100n, preImage: PRE_IMAGE, ...terms };
      expect(await codeOf(hub.pay(payer, payee, payment))).toBe(code);
    }
    await hub.settled();

    expect(await hub.store.latestNonce(payerChannel)).toBe(2);
    expect(await hub.payments.exists(PAYMENT)).toBe(false);
    expect(hub.collateralAsks).toEqual([]);
    expect(hub.requests).toEqual([]);
    expect(hub.notified).toEqual([]);
    expect(balances(payer.party.view)).toEqual({ user: 1000n, node: 0n });
  });

  test("the same payment id again: PAYMENT_EXISTS, and the first payment alone is forwarded", async () => {
    const { payer, payee } = await payerAndPayee();
    await paid(payer, payee);
    const other = bytes32(0xbad);
    expect(
      await codeOf(hub.pay(payer, payee, { paymentId: PAYMENT, amount: 50n, preImage: other })),
    ).toBe("PAYMENT_EXISTS");
    await hub.settled();

    expect(payee.received.map((update) => update.type)).toEqual(["create"]);
    expect(onlyTransfer(payee).balance.amount).toEqual([100n, 0n]);
    expect(onlyTransfer(payer).balance.amount).toEqual([100n, 0n]);
    expect(await hub.payments.get(PAYMENT)).toMatchObject({
      amount: 100n,
      lockHash: lockOf(PRE_IMAGE),
    });
  });
});

describe("one payment, one mirror", () => {
  test("forwarded again (a retry, a resume, the payee's hello) once it has its mirror: nothing more is proposed", async () => {
    const { payer, payee } = await payerAndPayee();
    await paid(payer, payee);
    const mirror = onlyTransfer(payee);

    await Promise.all([
      hub.router.forward(PAYMENT),
      hub.router.resume(),
      hub.router.resume(payee.party.signer.address),
    ]);
    await hub.settled();

    expect(payee.received.map((update) => update.type)).toEqual(["create"]);
    expect(onlyTransfer(payee).transferId).toBe(mirror.transferId);
    expect(await hub.payments.get(PAYMENT)).toMatchObject({
      status: "pending",
      recipientTransferId: mirror.transferId,
    });
  });

  test("forwarded several times at once when the payee returns: one mirror", async () => {
    const { payer, payee } = await payerAndPayee("away");
    await paid(payer, payee);
    payee.answer = "sign";

    const payeeAddress = payee.party.signer.address;
    await Promise.all([
      hub.router.forward(PAYMENT),
      hub.router.forward(PAYMENT),
      hub.router.resume(payeeAddress),
      hub.router.resume(),
    ]);
    await hub.settled();

    expect(payee.received.map((update) => update.type)).toEqual(["create"]);
    expect(onlyTransfer(payee).balance.amount).toEqual([100n, 0n]);
    expect(balances(payee.party.view)).toEqual({ user: 0n, node: 900n });
  });
});

describe("a mirror settled on-chain", () => {
  test("the payee claimed it on-chain: the node claims the payer's side with the pre-image read from the claim", async () => {
    const { payer, payee } = await payerAndPayee();
    await paid(payer, payee);
    const mirror = onlyTransfer(payee);
    // The payee is in dispute and answers nothing off-chain meanwhile; the payer does.
    payee.answer = "away";

    await hub.router.mirrorDefunded({
      transferId: mirror.transferId,
      amounts: [0n, 100n],
      resolver: hashlock.encodeResolver({ preImage: PRE_IMAGE }),
      definition: mirror.transferDefinition,
      initialState: mirror.transferState,
    });

    expect(await hub.payments.get(PAYMENT)).toMatchObject({
      status: "completed",
      preImage: PRE_IMAGE,
    });
    expect(resolvesTo(payer)).toEqual([PRE_IMAGE]);
    expect(balances(payer.party.view)).toEqual({ user: 900n, node: 100n });
  });

  for (const [answer, which] of [
    ["sign", "a mirror the node stored"],
    ["signButLoseReply", "a mirror the node never stored"],
  ] as const) {
    test(`${which}, claimed on-chain while the payer was away: the payer's side is claimed when it returns`, async () => {
      const { payer, payee } = await payerAndPayee(answer);
      await paid(payer, payee);
      const mirror = onlyTransfer(payee);
      payee.answer = "away";
      payer.answer = "away";

      await hub.router.mirrorDefunded({
        transferId: mirror.transferId,
        amounts: [0n, 100n],
        resolver: hashlock.encodeResolver({ preImage: PRE_IMAGE }),
        definition: mirror.transferDefinition,
        initialState: mirror.transferState,
      });
      expect(await hub.payments.get(PAYMENT)).toMatchObject({ status: "completed" });
      expect(resolvesTo(payer)).toEqual([]);

      // Back well before its transfer expires (past it, the pre-image no longer pays).
      hub.advance(3600);
      payer.answer = "sign";
      await hub.router.resume(payer.party.signer.address);
      await hub.settled();
      expect(resolvesTo(payer)).toEqual([PRE_IMAGE]);
      expect(payer.party.view.transfers.size).toBe(0);
      expect(balances(payer.party.view)).toEqual({ user: 900n, node: 100n });
    });
  }

  test("back to the node on-chain: nothing is claimed from the payer", async () => {
    const { payer, payee } = await payerAndPayee();
    await paid(payer, payee);
    const mirror = onlyTransfer(payee);

    await hub.router.mirrorDefunded({ transferId: mirror.transferId, amounts: [100n, 0n] });

    expect(await hub.payments.get(PAYMENT)).toMatchObject({ status: "pending" });
    expect(resolvesTo(payer)).toEqual([]);
  });

  test("a mirror the node signed but never stored, claimed on-chain: its payment completes and the payer pays (rule 22)", async () => {
    const payer = await hub.user(0, { deposit: 1000n });
    const payee = await hub.user(1, { collateral: 1000n });
    const bystander = await hub.user(2, { collateral: 1000n });
    payee.answer = "signButLoseReply";
    bystander.answer = "away";
    await paid(payer, payee);
    // Another payment under the same lock whose mirror was never signed: not the one claimed.
    const unsigned = bytes32(0xa2);
    await paid(payer, bystander, unsigned);
    const mirror = onlyTransfer(payee);
    expect(await hub.store.getTransfer(mirror.transferId)).toBeUndefined();

    await hub.router.mirrorDefunded({
      transferId: mirror.transferId,
      amounts: [0n, 100n],
      resolver: hashlock.encodeResolver({ preImage: PRE_IMAGE }),
      definition: mirror.transferDefinition,
      initialState: mirror.transferState,
    });

    expect(await hub.payments.get(PAYMENT)).toMatchObject({
      status: "completed",
      preImage: PRE_IMAGE,
    });
    expect(await hub.payments.get(unsigned)).toMatchObject({
      status: "pending",
      preImage: null,
    });
    expect(resolvesTo(payer)).toEqual([PRE_IMAGE]);
    expect(payer.party.view.transfers.size).toBe(1);
    expect(balances(payer.party.view)).toEqual({ user: 800n, node: 100n });
    // Past the mirror's death the sweep refunds the payment never mirrored, not the claimed one.
    hub.advance(MIRROR_EXPIRY + hub.rules.expiryGraceSeconds - NOW);
    await hub.router.sweepExpired();
    await hub.settled();
    expect(await hub.payments.get(PAYMENT)).toMatchObject({ status: "completed" });
    expect(await hub.payments.get(unsigned)).toMatchObject({ status: "cancelled" });
    expect(resolvesTo(payer)).toEqual([PRE_IMAGE, ZERO_PRE_IMAGE]);
    expect(balances(payer.party.view)).toEqual({ user: 900n, node: 100n });
  });
});
