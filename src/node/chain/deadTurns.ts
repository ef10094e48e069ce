import type { Provider } from "ethers";
import type { Logger } from "pino";
import type { OnchainTransactionRepository } from "../store/onchainTransactions";
import { errorMessage } from "./rpcErrors";
import { waitForReceipt } from "./waitForReceipt";

export interface DeadTurnsOptions {
  address: string;
  provider: Provider;
  repository: OnchainTransactionRepository;
  /** The account's mined transaction count (with the sender's retries). */
  minedCount(): Promise<number>;
  confirmations: number;
  pollIntervalMs: number;
  receiptTimeoutMs: number;
}

/**
 * Several node processes on one key (DESIGN §3.1): finishes, inside a sender turn, the rows a
 * process signed and died before saying were out. Each is out after all (known to the chain),
 * dropped (its nonce since used by another transaction: `failed`), or broadcast now; the ones
 * out are followed to their receipt here, since their own sender is gone. True when there was
 * any (the chain's pending count is then the next nonce).
 */
export async function finishDeadTurns(options: DeadTurnsOptions, log: Logger): Promise<boolean> {
  const { repository, provider, address } = options;
  const rows = await repository.unconfirmedSigned(address);
  if (rows.length === 0) return false;
  const used = await options.minedCount();
  for (const row of rows) {
    const { id, nonce, transactionHash: hash, rawTransaction: raw } = row;
    if (nonce === null || hash === null || raw === null) continue;
    const rowLog = log.child({ txId: id, purpose: row.purpose, hash, nonce });
    let out = await isKnown(provider, hash);
    if (!out && nonce >= used) {
      try {
        await provider.broadcastTransaction(raw);
        out = true;
      } catch (error) {
        out = await isKnown(provider, hash);
        if (!out) rowLog.warn({ err: errorMessage(error) }, "a dead sender's transaction refused");
      }
    }
    if (!out) {
      await record(rowLog, () =>
        repository.markFailed(id, "never broadcast: its sender stopped and its nonce was used"),
      );
      continue;
    }
    const sent = { hash, nonce, attempts: row.attempts };
    await record(rowLog, () => repository.markSubmitted(id, sent));
    rowLog.warn("finished a transaction whose sender stopped mid-broadcast");
    void follow(options, id, sent, rowLog);
  }
  return true;
}

/** Waits for the receipt of a transaction taken over, and records it. */
async function follow(
  options: DeadTurnsOptions,
  id: number,
  sent: { hash: string; nonce: number },
  log: Logger,
): Promise<void> {
  try {
    const receipt = await waitForReceipt({
      provider: options.provider,
      logger: log,
      from: options.address,
      hash: sent.hash,
      nonce: sent.nonce,
      confirmations: options.confirmations,
      pollIntervalMs: options.pollIntervalMs,
      timeoutMs: options.receiptTimeoutMs,
    });
    await record(log, () =>
      receipt.status === 1
        ? options.repository.markMined(id, receipt.gasUsed)
        : options.repository.markFailed(id, "reverted", receipt.gasUsed),
    );
  } catch (error) {
    log.warn({ err: errorMessage(error) }, "no receipt for a transaction taken over");
  }
}

async function isKnown(provider: Provider, hash: string): Promise<boolean> {
  try {
    return (await provider.getTransaction(hash)) !== null;
  } catch {
    return false;
  }
}

/** The chain is the truth, the table a journal of it: a failed write is logged, not thrown. */
async function record(log: Logger, write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (error) {
    log.error({ err: errorMessage(error) }, "could not record a taken-over transaction");
  }
}
