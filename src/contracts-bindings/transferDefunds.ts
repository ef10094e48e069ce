import type { Log, Provider } from "ethers";
import { ChannelMastercopy__factory } from "./generated";

const CHANNEL = ChannelMastercopy__factory.createInterface();
export const TRANSFER_DEFUNDED_TOPIC = CHANNEL.getEvent("TransferDefunded")?.topicHash as string;

/** How a disputed transfer was paid out on-chain. */
export interface TransferDefund {
  transferId: string;
  /** What the initiator and the responder got. */
  amounts: [bigint, bigint];
  /**
   * The resolver it was defunded with, read from the transaction's input when it called the
   * channel directly; undefined after the timeout (no resolver) or through another contract.
   */
  resolver?: string;
  /** The transfer's definition and encoded initial state, read from the same input. */
  definition?: string;
  initialState?: string;
}

/**
 * Reads a TransferDefunded log and, from its transaction, the resolver the transfer was
 * defunded with: how a party learns a pre-image its counterparty revealed only on-chain.
 *
 * @example
 * const defund = await transferDefundOf(provider, log);
 * if (defund.resolver) preImage = hashlock.decodeResolver(defund.resolver).preImage;
 */
export async function transferDefundOf(provider: Provider, log: Log): Promise<TransferDefund> {
  const parsed = CHANNEL.parseLog(log);
  if (parsed?.name !== "TransferDefunded") throw new Error("not a TransferDefunded log");
  const transferId = (parsed.args.transferId as string).toLowerCase();
  const amounts = [...(parsed.args.amounts as bigint[])] as [bigint, bigint];
  const transaction = await provider.getTransaction(log.transactionHash);
  let resolver: string | undefined;
  let transfer: { definition: string; initialState: string } | undefined;
  try {
    const call = transaction ? CHANNEL.parseTransaction({ data: transaction.data }) : null;
    if (call?.name === "defundTransfer" && call.args[0].transferId.toLowerCase() === transferId) {
      resolver = call.args[2] as string;
      transfer = {
        definition: call.args[0].transferDefinition as string,
        initialState: call.args[1] as string,
      };
    }
  } catch {
    // Not a direct call to the channel: the resolver is not in its input.
  }
  return {
    transferId,
    amounts,
    ...(resolver && resolver !== "0x" ? { resolver } : {}),
    ...(transfer ?? {}),
  };
}

/** The TransferDefunded event of one transfer, searched from `fromBlock` on. */
export async function findTransferDefund(
  provider: Provider,
  channelAddress: string,
  transferId: string,
  fromBlock: number,
): Promise<TransferDefund | undefined> {
  const head = await provider.getBlockNumber();
  let range = 5_000;
  for (let start = fromBlock; start <= head; ) {
    const end = Math.min(head, start + range - 1);
    let logs: Log[];
    try {
      logs = await provider.getLogs({
        address: channelAddress,
        topics: [TRANSFER_DEFUNDED_TOPIC, null, transferId],
        fromBlock: start,
        toBlock: end,
      });
    } catch (error) {
      if (range === 1) throw error;
      range = Math.max(1, Math.floor(range / 2));
      continue;
    }
    const [log] = logs;
    if (log) return transferDefundOf(provider, log);
    start = end + 1;
  }
  return undefined;
}
