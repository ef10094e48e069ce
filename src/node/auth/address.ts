import { getAddress } from "ethers";
import { AuthError } from "./errors";

const HEX_ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/**
 * The checksummed form of a 0x hex address. Only hex is accepted (ethers would also take ICAP
 * "XE…" strings); all-lower or all-upper passes, mixed case must carry a valid checksum.
 */
export function checksumAddress(input: string): string {
  if (HEX_ADDRESS.test(input)) {
    try {
      return getAddress(input);
    } catch (cause) {
      throw new AuthError("INVALID_ADDRESS", `bad checksum in address ${input}`, { cause });
    }
  }
  throw new AuthError("INVALID_ADDRESS", "an address is 0x followed by 40 hex digits");
}
