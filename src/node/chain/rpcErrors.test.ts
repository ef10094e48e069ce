import { describe, expect, test } from "bun:test";
import { makeError } from "ethers";
import { ChannelMastercopy__factory } from "../../contracts-bindings";
import {
  describeRevert,
  errorMessage,
  isInsufficientFunds,
  isNonceConflict,
  isRevert,
  isTransient,
} from "./rpcErrors";

// Errors shaped as ethers v6 builds them from RPC answers (provider-jsonrpc getRpcError).
const nonceExpired = makeError("nonce has already been used", "NONCE_EXPIRED");
const underpriced = makeError("replacement fee too low", "REPLACEMENT_UNDERPRICED");
const alreadyKnown = makeError("could not coalesce error", "UNKNOWN_ERROR", {
  error: { code: -32000, message: "already known" },
});
const funds = makeError("insufficient funds", "INSUFFICIENT_FUNDS");
const timeout = makeError("timeout", "TIMEOUT");
const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), {
  code: "ECONNREFUSED",
});
const rateLimited = makeError("could not coalesce error", "UNKNOWN_ERROR", {
  error: { code: 429, message: "Too Many Requests" },
});

describe("rpcErrors", () => {
  test("nonce conflicts, whatever the node calls them", () => {
    for (const error of [nonceExpired, underpriced, alreadyKnown]) {
      expect(isNonceConflict(error)).toBe(true);
      expect(isTransient(error)).toBe(false);
    }
    expect(isNonceConflict(timeout)).toBe(false);
  });

  test("transient: timeouts, refused connections, rate limits", () => {
    for (const error of [timeout, refused, rateLimited]) expect(isTransient(error)).toBe(true);
    expect(isTransient(funds)).toBe(false);
    expect(isInsufficientFunds(funds)).toBe(true);
  });

  test("the RPC's own message is kept", () => {
    expect(errorMessage(alreadyKnown)).toBe("could not coalesce error: already known");
    expect(errorMessage(refused)).toBe("connect ECONNREFUSED 127.0.0.1:1");
  });

  test("a custom-error revert is named with its arguments", () => {
    const channel = ChannelMastercopy__factory.createInterface();
    const commitment = `0x${"12".repeat(32)}`;
    const data = channel.encodeErrorResult("WithdrawalAlreadyExecuted", [commitment]);
    const revert = makeError("execution reverted", "CALL_EXCEPTION", {
      action: "estimateGas",
      data,
      reason: null,
      transaction: { to: null, data: "0x" },
      invocation: null,
      revert: null,
    });
    expect(isRevert(revert)).toBe(true);
    expect(isTransient(revert)).toBe(false);
    expect(describeRevert(revert, [channel])).toBe(`WithdrawalAlreadyExecuted(${commitment})`);
    expect(describeRevert(revert, [])).toBe(data);
  });
});
