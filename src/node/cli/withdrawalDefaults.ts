import { parseEther, parseUnits, ZeroAddress } from "ethers";
import type { AddressBook } from "../../contracts-bindings";
import type { WithdrawalPolicy } from "../settings";

/**
 * The native coin's withdrawal terms when WITHDRAWALS is not set (`dev` and `start`): at least
 * 0.001 ETH, and a 0.0001 ETH fee, which pays a withdrawal's 84,605 gas up to about 1.2 gwei
 * (its 239,969 with the channel's deployment up to about 0.4 gwei). A real chain's operator
 * sets its own for its gas price.
 */
export const NATIVE_WITHDRAWALS: Record<string, WithdrawalPolicy> = {
  [ZeroAddress]: { minimum: parseEther("0.001"), fee: parseEther("0.0001") },
};

/** dev's withdrawal terms when WITHDRAWALS is not set: the native coin's, test token 1 / 0.1. */
export function devWithdrawals(book: AddressBook): Record<string, WithdrawalPolicy> {
  const withdrawals = { ...NATIVE_WITHDRAWALS };
  if (book.testToken) {
    withdrawals[book.testToken.toLowerCase()] = {
      minimum: parseUnits("1", 18),
      fee: parseUnits("0.1", 18),
    };
  }
  return withdrawals;
}
