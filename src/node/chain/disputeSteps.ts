import type { Provider } from "ethers";
import type { OnchainTransactionRepository } from "../store/onchainTransactions";

export interface DisputeStepLedgerOptions {
  transactions: OnchainTransactionRepository;
  provider: Provider;
  /** How long a sent step may go without a receipt before it is sent again. Default 10 min. */
  stuckAfterMs?: number;
  /** Unix milliseconds. */
  now?: () => number;
}

/**
 * Never the same dispute step twice (issue 10 §2): each step is sent as an on-chain
 * transaction whose purpose names it (`dispute:<key>`), so after a restart, or from another
 * node process, a step already mined is skipped and one still in flight is waited for. A step
 * whose transaction reverted, or that has had no receipt for a long while, may be sent again.
 *
 * @example
 * if (await ledger.mayRun(channelAddress, key)) await chain.sendDisputeCall(channelAddress, key, call);
 */
export class DisputeStepLedger {
  constructor(private readonly options: DisputeStepLedgerOptions) {}

  static purpose(key: string): string {
    return `dispute:${key}`;
  }

  async mayRun(channelAddress: string, key: string): Promise<boolean> {
    const { transactions, provider } = this.options;
    const last = await transactions.latestFor(channelAddress, DisputeStepLedger.purpose(key));
    if (!last || last.status === "failed") return true;
    if (last.status === "mined") return false;
    // Pending or submitted: in flight, or left behind by a process that stopped.
    if (last.transactionHash) {
      const receipt = await provider.getTransactionReceipt(last.transactionHash);
      if (receipt?.status === 1) {
        await transactions.markMined(last.id);
        return false;
      }
      if (receipt) {
        await transactions.markFailed(last.id, "reverted");
        return true;
      }
    }
    const now = this.options.now?.() ?? Date.now();
    if (now - last.updatedAt.getTime() > (this.options.stuckAfterMs ?? 600_000)) {
      await transactions.markFailed(last.id, "no receipt: sent again");
      return true;
    }
    return false;
  }
}
