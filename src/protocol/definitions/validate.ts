import { isHex } from "../bytes";
import { ProtocolError } from "../errors";
import type { Address, Balance, Bytes32, HexString } from "../types";

/**
 * Shape checks on the typed inputs of the rules. A value the contract could not even receive
 * (an amount outside uint256, a 31-byte hash) is a malformed message, not a rejection.
 */

export const MAX_UINT256 = 2n ** 256n - 1n;

export function malformed(field: string, expected: string, got: unknown): ProtocolError {
  const shown = typeof got === "string" ? `"${got.slice(0, 80)}"` : String(got);
  return new ProtocolError("MALFORMED_MESSAGE", `${field}: expected ${expected}, got ${shown}`, {
    field,
  });
}

export function checkUint(value: unknown, field: string): asserts value is bigint {
  if (typeof value !== "bigint" || value < 0n || value > MAX_UINT256) {
    throw malformed(field, "a uint256 bigint", value);
  }
}

export function checkBytes32(value: unknown, field: string): asserts value is Bytes32 {
  if (!isHex(value, 32)) throw malformed(field, "32 bytes of 0x hex", value);
}

export function checkAddress(value: unknown, field: string): asserts value is Address {
  if (!isHex(value, 20)) throw malformed(field, "a 20-byte 0x address", value);
}

export function checkBytes(value: unknown, field: string): asserts value is HexString {
  if (!isHex(value)) throw malformed(field, "0x hex bytes", value);
}

/** `now` stands for `block.timestamp`: unix seconds. */
export function checkNow(now: unknown): asserts now is number {
  if (typeof now !== "number" || !Number.isSafeInteger(now) || now < 0) {
    throw malformed("now", "unix seconds as a non-negative safe integer", now);
  }
}

export function checkBalance(balance: Balance): void {
  if (typeof balance !== "object" || balance === null) {
    throw malformed("balance", "a Balance object", balance);
  }
  const { to, amount } = balance;
  if (!Array.isArray(to) || to.length !== 2) throw malformed("balance.to", "two addresses", to);
  if (!Array.isArray(amount) || amount.length !== 2) {
    throw malformed("balance.amount", "two amounts", amount);
  }
  checkAddress(to[0], "balance.to[0]");
  checkAddress(to[1], "balance.to[1]");
  checkUint(amount[0], "balance.amount[0]");
  checkUint(amount[1], "balance.amount[1]");
}

/** Whether 0x hex is all zero digits (the zero bytes32, the zero address). */
export function isZeroHex(hex: string): boolean {
  for (let i = 2; i < hex.length; i++) if (hex.charCodeAt(i) !== 48) return false;
  return true;
}

/** A copy, so that a rule's result never aliases its input. */
export function copyBalance(balance: Balance, amount: [bigint, bigint]): Balance {
  return { to: [balance.to[0], balance.to[1]], amount };
}
