import { describe, expect, test } from "bun:test";
import type { FullTransferState } from "../types";
import { hashlockPlugin } from "./hashlock";
import { hashlock } from "./hashlock/rules";
import type { TransferMoment } from "./plugin";
import { definitionPlugins, pluginOf } from "./plugins";
import { expectCode } from "./testUtils";
import { withdrawPlugin } from "./withdraw";

const NODE = "0x00000000000000000000000000000000000000a1";
const USER = "0x00000000000000000000000000000000000000b2";
const HASHLOCK_AT = "0x00000000000000000000000000000000000000c3";
const WITHDRAW_AT = "0x00000000000000000000000000000000000000d4";
const PRE_IMAGE = `0x${"42".repeat(32)}`;
const ZERO = `0x${"0".repeat(64)}`;
const PAYMENT_ID = `0x${"99".repeat(32)}`;

function transfer(initiator: string, extra: Partial<FullTransferState> = {}): FullTransferState {
  return {
    channelAddress: `0x${"ee".repeat(20)}`,
    transferId: `0x${"01".repeat(32)}`,
    transferDefinition: HASHLOCK_AT,
    initiator,
    responder: initiator === NODE ? USER : NODE,
    assetId: `0x${"0".repeat(40)}`,
    balance: { to: [initiator, initiator === NODE ? USER : NODE], amount: [5n, 0n] },
    transferTimeout: 3600,
    initialStateHash: ZERO,
    chainId: 1,
    transferState: hashlock.encodeState({ lockHash: `0x${"ab".repeat(32)}`, expiry: 2_000n }),
    channelNonce: 3,
    ...extra,
  };
}

function moment(
  event: TransferMoment["event"],
  t: FullTransferState,
  ours = false,
): TransferMoment {
  return { event, transfer: t, initiator: t.initiator === NODE, ours };
}

const kinds = (intents: readonly { kind: string }[]) => intents.map((i) => i.kind);

describe("definition plug-ins", () => {
  const node = hashlockPlugin.node;
  if (!node) throw new Error("hashlock has a node side");

  test("the map holds the built-ins at their addresses, in any case, and no other", () => {
    const plugins = definitionPlugins({ hashlockTransfer: HASHLOCK_AT, withdraw: WITHDRAW_AT });
    expect(pluginOf(plugins, HASHLOCK_AT.toUpperCase().replace("0X", "0x"))).toBe(hashlockPlugin);
    expect(pluginOf(plugins, WITHDRAW_AT)).toBe(withdrawPlugin);
    expect(pluginOf(plugins, `0x${"1".repeat(40)}`)).toBeUndefined();
    expectCode(
      () =>
        definitionPlugins({ hashlockTransfer: HASHLOCK_AT, withdraw: WITHDRAW_AT }, [
          { address: HASHLOCK_AT, plugin: withdrawPlugin },
        ]),
      "MALFORMED_MESSAGE",
    );
  });

  test("a payer's payment to the node opens and is forwarded; the node's mirror is linked", () => {
    const payer = transfer(USER, { meta: { routing: { paymentId: PAYMENT_ID, recipient: NODE } } });
    expect(kinds(node.record(moment("created", payer)))).toEqual(["openPayment"]);
    expect(kinds(node.react(moment("created", payer)))).toEqual(["forwardPayment"]);
    const mirror = transfer(NODE, { meta: { routing: { paymentId: PAYMENT_ID, sender: USER } } });
    expect(node.record(moment("created", mirror, true))).toEqual([
      { kind: "linkMirror", paymentId: PAYMENT_ID, transfer: mirror },
    ]);
    expect(node.react(moment("created", mirror, true))).toEqual([]);
  });

  test("the payee's claim completes the mirror and settles the payer; a cancel does not complete", () => {
    const claimed = transfer(NODE, { transferResolver: PRE_IMAGE });
    expect(kinds(node.record(moment("resolved", claimed)))).toEqual(["completeMirror"]);
    expect(kinds(node.react(moment("resolved", claimed)))).toEqual(["settlePayer"]);
    const cancelled = transfer(NODE, { transferResolver: ZERO });
    expect(node.record(moment("resolved", cancelled))).toEqual([]);
    expect(kinds(node.react(moment("resolved", cancelled)))).toEqual(["settlePayer"]);
  });

  test("a payer's transfer resolved: a cancel cancels the payment and is told", () => {
    const meta = { routing: { paymentId: PAYMENT_ID, recipient: NODE } };
    const cancelled = transfer(USER, { meta, transferResolver: ZERO });
    expect(kinds(node.record(moment("resolved", cancelled)))).toEqual(["cancelPayment"]);
    expect(node.react(moment("resolved", cancelled))).toEqual([
      { kind: "payerResolved", paymentId: PAYMENT_ID, cancelled: true, transfer: cancelled },
    ]);
    const paid = transfer(USER, { meta, transferResolver: PRE_IMAGE });
    expect(node.record(moment("resolved", paid, true))).toEqual([]);
  });

  test("transfers settled on-chain at a resume: the payer's refunded, the mirror followed up", () => {
    expect(kinds(node.record(moment("dropped", transfer(USER))))).toEqual(["refundedOnchain"]);
    expect(kinds(node.react(moment("dropped", transfer(NODE))))).toEqual(["settleDroppedMirror"]);
  });

  test("the node checks a claim of its mirror for time, never a cancel or a payer's resolve", () => {
    expect(node.checkResolve(transfer(NODE), PRE_IMAGE, NODE)).toEqual([
      { kind: "claimInTime", expiry: 2_000n },
    ]);
    expect(node.checkResolve(transfer(NODE), ZERO, NODE)).toEqual([]);
    expect(node.checkResolve(transfer(USER), PRE_IMAGE, NODE)).toEqual([]);
  });

  test("the client claims payments waiting for it and cancels the expired ones", () => {
    const client = hashlockPlugin.client;
    const waiting = transfer(NODE);
    expect(kinds(client?.waiting(waiting, 1_999) ?? [])).toEqual(["claimReceived"]);
    expect(kinds(client?.waiting(waiting, 2_000) ?? [])).toEqual(["cancelUnlessRevealed"]);
    expect(kinds(client?.react(moment("created", waiting)) ?? [])).toEqual(["receivePayment"]);
  });

  test("withdrawals: a user's is countersigned, a doubly-signed one held and submitted", () => {
    const w = withdrawPlugin.node;
    const created = transfer(USER, { transferDefinition: WITHDRAW_AT });
    expect(kinds(w?.react(moment("created", created)) ?? [])).toEqual(["countersignWithdrawal"]);
    expect(w?.react(moment("created", transfer(NODE), true))).toEqual([]);
    expect(w?.checkCreate({} as never)).toEqual([{ kind: "userWithdrawal" }]);
  });
});
