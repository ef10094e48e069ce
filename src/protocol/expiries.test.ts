import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { isProtocolError } from "./errors";
import {
  claimableOnchain,
  expiryNumber,
  latestOnchainClaimStart,
  minimumHashlockTransferTimeout,
  minimumPayerExpiry,
  mirrorExpiryFor,
  onchainClaimSeconds,
} from "./expiries";

const NOW = 1_800_000_000;
const HOUR = 3600;
const DAY = 86_400;
const BUFFER = 900;

describe("expiries derived from dispute timeouts (DESIGN §4.6)", () => {
  test("an on-chain claim takes a consensus window plus the buffer", () => {
    expect(onchainClaimSeconds(DAY, BUFFER)).toBe(DAY + BUFFER);
    expect(claimableOnchain(BigInt(NOW + DAY + BUFFER), NOW, DAY, BUFFER)).toBe(true);
    expect(claimableOnchain(BigInt(NOW + DAY + BUFFER - 1), NOW, DAY, BUFFER)).toBe(false);
  });

  test("the minimum payer expiry leaves both claims room, whatever the timeouts", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: HOUR, max: 30 * DAY }),
        fc.integer({ min: HOUR, max: 30 * DAY }),
        fc.integer({ min: 0, max: DAY }),
        fc.integer({ min: 0, max: 7 * DAY }),
        (payerTimeout, payeeTimeout, buffer, slack) => {
          const payerExpiry =
            minimumPayerExpiry(NOW, payerTimeout, payeeTimeout, buffer) + BigInt(slack);
          const mirror = mirrorExpiryFor(payerExpiry, payerTimeout, buffer);
          // The payee can claim the mirror on-chain from now...
          expect(claimableOnchain(mirror, NOW, payeeTimeout, buffer)).toBe(true);
          // ...and a pre-image revealed at the mirror's very end still lets the node claim
          // the payer's transfer on-chain before the payer's expiry.
          expect(claimableOnchain(payerExpiry, Number(mirror), payerTimeout, buffer)).toBe(true);
        },
      ),
    );
  });

  test("the latest start of an on-chain claim: claimable then, not a second later", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: HOUR, max: 30 * DAY }),
        fc.integer({ min: 0, max: DAY }),
        fc.integer({ min: 0, max: 60 * DAY }),
        (timeout, buffer, ahead) => {
          const expiry = BigInt(NOW + ahead);
          const latest = Number(latestOnchainClaimStart(expiry, timeout, buffer));
          expect(claimableOnchain(expiry, latest, timeout, buffer)).toBe(true);
          expect(claimableOnchain(expiry, latest + 1, timeout, buffer)).toBe(false);
        },
      ),
    );
    // The mirror expires when the node's claim of the payer's side must start at the latest.
    const payerExpiry = BigInt(NOW + 3 * DAY);
    expect(mirrorExpiryFor(payerExpiry, DAY, BUFFER)).toBe(
      latestOnchainClaimStart(payerExpiry, DAY, BUFFER),
    );
  });

  test("one second less and the payee could no longer claim", () => {
    const payerExpiry = minimumPayerExpiry(NOW, DAY, DAY, BUFFER) - 1n;
    const mirror = mirrorExpiryFor(payerExpiry, DAY, BUFFER);
    expect(claimableOnchain(mirror, NOW, DAY, BUFFER)).toBe(false);
  });

  test("a hashlock's transfer timeout covers what is left of its expiry", () => {
    expect(minimumHashlockTransferTimeout(BigInt(NOW + 2 * DAY), NOW)).toBe(2 * DAY);
    expect(minimumHashlockTransferTimeout(BigInt(NOW - 5), NOW)).toBe(0);
  });

  test("an expiry beyond 2^53 is refused, not rounded", () => {
    expect(expiryNumber(BigInt(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
    for (const bad of [2n ** 60n, -1n]) {
      try {
        expiryNumber(bad);
        throw new Error("accepted");
      } catch (error) {
        expect(isProtocolError(error, "INVALID_TRANSFER_TIMEOUT")).toBe(true);
      }
    }
  });
});
