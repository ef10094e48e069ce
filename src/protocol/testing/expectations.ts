import { expect } from "bun:test";
import { isProtocolError, type ProtocolErrorCode } from "../errors";

/** Expects `run` to throw a ProtocolError with `code`, and returns its message. */
export function expectCode(run: () => unknown, code: ProtocolErrorCode): string {
  try {
    run();
  } catch (error) {
    if (!isProtocolError(error)) throw error;
    expect(error.code).toBe(code);
    return error.message;
  }
  throw new Error(`expected ProtocolError ${code}, nothing was thrown`);
}

/** Expects `run` to reject with a ProtocolError with `code`, and returns its message. */
export async function expectRejected(
  run: () => Promise<unknown>,
  code: ProtocolErrorCode,
): Promise<string> {
  try {
    await run();
  } catch (error) {
    if (!isProtocolError(error)) throw error;
    expect(error.code).toBe(code);
    return error.message;
  }
  throw new Error(`expected ProtocolError ${code}, nothing was thrown`);
}
