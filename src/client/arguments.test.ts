import { describe, expect, test } from "bun:test";
import { type ArgumentSpec, checkArguments } from "./arguments";
import { isClientError } from "./errors";

function refusal(params: unknown, spec: ArgumentSpec): string | undefined {
  try {
    checkArguments("transfer", params, spec);
    return undefined;
  } catch (error) {
    expect(isClientError(error, "INVALID_ARGUMENT")).toBe(true);
    return (error as Error).message;
  }
}

const ADDRESS = `0x${"ab".repeat(20)}`;

describe("a public method's arguments", () => {
  test("the right types pass; optional ones may be absent", () => {
    const spec: ArgumentSpec = { recipient: "address", amount: "amount", paymentId: "bytes32?" };
    expect(refusal({ recipient: ADDRESS, amount: 1n }, spec)).toBeUndefined();
    expect(
      refusal({ recipient: ADDRESS, amount: 1n, paymentId: `0x${"00".repeat(32)}` }, spec),
    ).toBeUndefined();
  });

  test("a non-bigint amount names the argument and what it got", () => {
    expect(refusal({ amount: 1 }, { amount: "amount" })).toBe(
      'transfer: amount must be a bigint in the asset\'s base units (e.g. parseEther("0.1")), not the number 1',
    );
    expect(refusal({ amount: "1" }, { amount: "amount" })).toContain('not the string "1"');
    expect(refusal({}, { amount: "amount" })).toContain("not missing");
    expect(refusal({ amount: 2n ** 256n }, { amount: "amount" })).toContain("fits 256 bits");
  });

  test("addresses, 32-byte values, seconds, milliseconds and URLs", () => {
    expect(refusal({ to: "0x12" }, { to: "address" })).toBe(
      'transfer: to must be a 0x address (20 bytes of hex), not the string "0x12"',
    );
    expect(refusal({ id: 5 }, { id: "bytes32?" })).toContain("id must be 32 bytes of 0x hex");
    expect(refusal({ expiry: 1.5 }, { expiry: "seconds?" })).toContain("expiry must be unix");
    expect(refusal({ wait: -1 }, { wait: "ms?" })).toContain(
      "wait must be a number of milliseconds",
    );
    expect(refusal({ rpc: "localhost:8545" }, { rpc: "url" })).toContain("an http(s) or ws(s) URL");
    expect(refusal({ rpc: "http://127.0.0.1:8545" }, { rpc: "url" })).toBeUndefined();
  });

  test("a malformed private key is never echoed", () => {
    const almost = "ab".repeat(32); // no 0x
    const message = refusal({ signer: almost }, { signer: "privateKey" });
    expect(message).toBe(
      "transfer: signer must be a private key (32 bytes of 0x hex) or a wallet holding one, not a string of 64 characters",
    );
    expect(message).not.toContain("abab");
  });

  test("no object at all is refused as such", () => {
    expect(refusal(undefined, { amount: "amount" })).toBe(
      "transfer takes an object { amount }, not missing",
    );
    expect(refusal(5n, { amount: "amount" })).toContain("not the bigint 5");
  });
});
