import { describe, expect, test } from "bun:test";
import { claimableOnchain, latestOnchainClaimStart } from "../../protocol";
import { payerDisputesDue, type UnsettledPayer } from "./payerDeadlines";

/** When the node disputes a payer that did not settle a paid payment (SECURITY rule 23). */

const NOW = 1_800_000_000;
const HOUR = 3600;
const DAY = 86_400;
const BUFFER = 900;
const CHANNEL_A = "0x000000000000000000000000000000000000aAaA";
const CHANNEL_B = "0x000000000000000000000000000000000000bBbB";

function unsettled(n: number, over: Partial<UnsettledPayer> = {}): UnsettledPayer {
  return {
    paymentId: `payment-${n}`,
    senderTransferId: `0x${n.toString(16).padStart(64, "0")}`,
    payer: "0x00000000000000000000000000000000000000a1",
    channelAddress: CHANNEL_A,
    channelTimeout: DAY,
    expiry: NOW + 2 * DAY,
    ...over,
  };
}

/** The moment the node must dispute for a transfer expiring at `expiry`. */
function deadlineOf(expiry: number, timeout = DAY): number {
  return Number(latestOnchainClaimStart(BigInt(expiry), timeout, BUFFER));
}

const none = new Set<string>();

describe("payerDisputesDue", () => {
  test("due one buffer before the last moment a dispute from a standing start still claims the transfer, not before", () => {
    const payer = unsettled(1);
    const deadline = deadlineOf(payer.expiry);
    expect(deadline).toBe(payer.expiry - (DAY + BUFFER));
    // At the deadline the claim still fits before the expiry; a second later it would not.
    expect(claimableOnchain(BigInt(payer.expiry), deadline, DAY, BUFFER)).toBe(true);
    expect(claimableOnchain(BigInt(payer.expiry), deadline + 1, DAY, BUFFER)).toBe(false);

    const startsAt = deadline - BUFFER;
    expect(payerDisputesDue([payer], startsAt - 1, BUFFER, none)).toEqual([]);
    const expected = [
      {
        channelAddress: CHANNEL_A,
        payer: payer.payer,
        due: [{ paymentId: "payment-1", senderTransferId: payer.senderTransferId, deadline }],
        transferIds: [payer.senderTransferId],
      },
    ];
    expect(payerDisputesDue([payer], startsAt, BUFFER, none)).toEqual(expected);
    expect(payerDisputesDue([payer], deadline, BUFFER, none)).toEqual(expected);
    // Late (the node was down at the deadline): still disputed, as soon as it can.
    expect(payerDisputesDue([payer], deadline + HOUR, BUFFER, none)).toEqual(expected);
  });

  test("the payer's own channel timeout sets the deadline: a longer one comes due earlier", () => {
    const slow = unsettled(1, { channelTimeout: 3 * DAY, expiry: NOW + 4 * DAY });
    const fast = unsettled(2, { channelTimeout: HOUR, expiry: NOW + 4 * DAY });
    const at = deadlineOf(slow.expiry, 3 * DAY);
    expect(at).toBeLessThan(deadlineOf(fast.expiry, HOUR));
    const due = payerDisputesDue([slow, fast], at, BUFFER, none);
    expect(due.flatMap((d) => d.due.map((p) => p.paymentId))).toEqual(["payment-1"]);
  });

  test("one dispute per channel, covering every unsettled transfer of it, due or not yet", () => {
    const first = unsettled(1, { expiry: NOW + DAY });
    const later = unsettled(2, { expiry: NOW + 3 * DAY });
    const due = payerDisputesDue([later, first], deadlineOf(first.expiry), BUFFER, none);
    expect(due).toHaveLength(1);
    expect(due[0]?.due.map((p) => p.paymentId)).toEqual(["payment-1"]);
    expect(due[0]?.transferIds).toEqual([later.senderTransferId, first.senderTransferId]);
  });

  test("several channels: most urgent first", () => {
    const a = unsettled(1, { expiry: NOW + 2 * DAY });
    const b = unsettled(2, {
      channelAddress: CHANNEL_B,
      payer: "0x00000000000000000000000000000000000000b1",
      expiry: NOW + DAY + HOUR,
    });
    const due = payerDisputesDue([a, b], NOW + 2 * DAY, BUFFER, none);
    expect(due.map((d) => d.channelAddress)).toEqual([CHANNEL_B, CHANNEL_A]);
  });

  test("a transfer a dispute on record covers is left out; a channel with nothing else is not asked again", () => {
    const first = unsettled(1, { expiry: NOW + DAY, senderTransferId: `0x${"AB".repeat(32)}` });
    const second = unsettled(2, { expiry: NOW + DAY + HOUR });
    const at = NOW + 2 * DAY;
    // Covered ids are compared whatever their case.
    const covered = new Set([first.senderTransferId.toLowerCase()]);
    const due = payerDisputesDue([first, second], at, BUFFER, covered);
    expect(due[0]?.transferIds).toEqual([second.senderTransferId]);
    const both = new Set([first.senderTransferId.toLowerCase(), second.senderTransferId]);
    expect(payerDisputesDue([first, second], at, BUFFER, both)).toEqual([]);
  });

  test("a transfer without expiry is never due (it pays with its resolver whenever claimed)", () => {
    expect(payerDisputesDue([unsettled(1, { expiry: 0 })], NOW + 365 * DAY, BUFFER, none)).toEqual(
      [],
    );
  });

  test("nothing unsettled, nothing to dispute", () => {
    expect(payerDisputesDue([], NOW, BUFFER, none)).toEqual([]);
  });
});
