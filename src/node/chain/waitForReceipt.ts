import { setTimeout as sleep } from "node:timers/promises";
import type { Provider, TransactionReceipt } from "ethers";
import type { Logger } from "pino";
import { ChainError, isChainError } from "./errors";
import { errorMessage } from "./rpcErrors";

export interface WaitForReceiptParams {
  provider: Provider;
  logger: Logger;
  /** The sending account, to notice when its nonce was mined by another transaction. */
  from: string;
  hash: string;
  nonce: number;
  /** Blocks, the transaction's own included. */
  confirmations: number;
  pollIntervalMs: number;
  timeoutMs: number;
}

/**
 * Polls for a broadcast transaction's receipt until it has `confirmations` blocks. Our own
 * loop rather than ethers' `waitForTransaction`, which logs RPC errors to the console and
 * never settles when its first block-number read fails. Throws TRANSACTION_FAILED when the
 * nonce was mined by another transaction, CONFIRMATION_TIMEOUT after `timeoutMs`; RPC errors
 * in between are retried, since the transaction is out whatever the RPC says now.
 *
 * @example
 * const receipt = await waitForReceipt({ provider, logger, from, hash, nonce,
 *   confirmations: 1, pollIntervalMs: 1_000, timeoutMs: 600_000 });
 */
export async function waitForReceipt(params: WaitForReceiptParams): Promise<TransactionReceipt> {
  const { provider, logger, from, hash, nonce, confirmations } = params;
  const deadline = Date.now() + params.timeoutMs;
  for (;;) {
    try {
      const receipt = await provider.getTransactionReceipt(hash);
      if (receipt) {
        const head = confirmations > 1 ? await provider.getBlockNumber() : receipt.blockNumber;
        if (head - receipt.blockNumber + 1 >= confirmations) return receipt;
      } else if ((await provider.getTransactionCount(from, "latest")) > nonce) {
        // Mined between the two reads, or replaced by another transaction with our nonce.
        if (!(await provider.getTransactionReceipt(hash))) {
          throw new ChainError(
            "TRANSACTION_FAILED",
            `transaction ${hash} was replaced: nonce ${nonce} was mined by another transaction`,
            { transactionHash: hash, nonce },
          );
        }
        continue;
      }
    } catch (error) {
      if (isChainError(error)) throw error;
      logger.debug({ hash, err: errorMessage(error) }, "receipt poll failed");
    }
    if (Date.now() >= deadline) {
      throw new ChainError("CONFIRMATION_TIMEOUT", `no receipt for ${hash} in time`, {
        transactionHash: hash,
        nonce,
      });
    }
    await sleep(params.pollIntervalMs);
  }
}
