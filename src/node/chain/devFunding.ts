import type { Signer } from "ethers";
import { TestToken__factory } from "../../contracts-bindings";
import { ChainError } from "./errors";
import { errorMessage } from "./rpcErrors";

export interface MintDevTokensParams {
  /** The TestToken's address (the address book's `testToken`). */
  testToken: string;
  /** Pays the gas; TestToken lets anyone mint. */
  minter: Signer;
  recipients: readonly string[];
  /** Base units minted to each recipient. */
  amount: bigint;
}

/**
 * Mints `amount` test tokens to each recipient, for `connext-node dev`. One mint after
 * another, each mined before the next, so the minter's nonces never collide. Returns the
 * transaction hashes in recipient order.
 *
 * @example
 * await mintDevTokens({ testToken: book.testToken, minter: devAccount(0, provider),
 *   recipients: [node.address], amount: 10n ** 24n });
 */
export async function mintDevTokens(params: MintDevTokensParams): Promise<string[]> {
  const token = TestToken__factory.connect(params.testToken, params.minter);
  const hashes: string[] = [];
  for (const recipient of params.recipients) {
    try {
      const response = await token.mint(recipient, params.amount);
      // wait() throws on a reverted receipt.
      await response.wait();
      hashes.push(response.hash);
    } catch (error) {
      throw new ChainError(
        "TRANSACTION_FAILED",
        `minting test tokens to ${recipient} failed: ${errorMessage(error)}`,
        { recipient },
        { cause: error },
      );
    }
  }
  return hashes;
}
