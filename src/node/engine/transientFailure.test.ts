import { describe, expect, test } from "bun:test";
import { ProtocolError } from "../../protocol/errors";
import { NodeError } from "./errors";
import { isTransientFailure } from "./transientFailure";

describe("isTransientFailure", () => {
  test("a service away: the RPC's socket errors, the database's lost connection", () => {
    expect(
      isTransientFailure(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" })),
    ).toBe(true);
    expect(
      isTransientFailure(
        Object.assign(new Error("write CONNECTION_CLOSED"), { code: "CONNECTION_CLOSED" }),
      ),
    ).toBe(true);
    expect(isTransientFailure(new Error("request timed out"))).toBe(true);
  });

  test("a user's refusal is a decision, whatever its words", () => {
    const refusal = new NodeError(
      "PEER_REJECTED",
      "0x3C44 refused: a payment expiring at 1796491659 leaves no room to claim it on-chain (channel timeout 3600 s + 900 s)",
    );
    expect(isTransientFailure(refusal)).toBe(false);
    expect(isTransientFailure(new ProtocolError("TRANSFER_REJECTED", "timeout too short"))).toBe(
      false,
    );
    expect(isTransientFailure(new NodeError("COLLATERAL_FAILED", "short of collateral"))).toBe(
      false,
    );
  });
});
