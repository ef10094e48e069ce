import type { Log, Provider } from "ethers";
import { ChannelMastercopy__factory } from "../../contracts-bindings/generated";

const CHANNEL = ChannelMastercopy__factory.createInterface();
const topic = (name: Parameters<typeof CHANNEL.getEvent>[0]) =>
  CHANNEL.getEvent(name)?.topicHash as string;

export const TOPICS = {
  channelDisputed: topic("ChannelDisputed"),
  channelDefunded: topic("ChannelDefunded"),
  transferDefunded: topic("TransferDefunded"),
  exitable: topic("Exitable"),
  exited: topic("Exited"),
};

/** A payout of the dispute that concerns us, read from the channel's logs. */
export type DisputePayout =
  | {
      kind: "defunded";
      assetId: string;
      transferId?: string;
      /** What it made exitable for us. */
      amount: bigint;
      transactionHash: string;
      block: number;
    }
  | {
      kind: "exited";
      assetId: string;
      amount: bigint;
      recipient: string;
      transactionHash: string;
      block: number;
    };

/**
 * The channel's defunds and our exits between two blocks, in chain order: what a dispute paid
 * out, whoever sent it. A defund's amount is what its transaction made exitable for `owner`
 * (its Exitable events), so it is exact however many assets it paid.
 *
 * @example
 * for (const payout of await disputePayouts(provider, channel, me, from, to)) emit(payout);
 */
export async function disputePayouts(
  provider: Provider,
  args: {
    channelAddress: string;
    owner: string;
    fromBlock: number;
    toBlock: number;
    /** The asset of each transfer we know, by lowercase id (others are not ours to report). */
    transferAssets: ReadonlyMap<string, string>;
  },
): Promise<DisputePayout[]> {
  const logs = await channelLogs(provider, args.channelAddress, args.fromBlock, args.toBlock, [
    TOPICS.channelDefunded,
    TOPICS.transferDefunded,
    TOPICS.exitable,
    TOPICS.exited,
  ]);
  const owner = args.owner.toLowerCase();
  const exitableFor = (transactionHash: string, assetId: string) =>
    logs
      .filter((log) => log.transactionHash === transactionHash && log.topics[0] === TOPICS.exitable)
      .map((log) => CHANNEL.parseLog(log)?.args)
      .filter(
        (event) =>
          event &&
          (event.owner as string).toLowerCase() === owner &&
          (event.assetId as string).toLowerCase() === assetId.toLowerCase(),
      )
      .reduce((sum, event) => sum + (event?.amount as bigint), 0n);
  const payouts: DisputePayout[] = [];
  for (const log of logs) {
    const event = CHANNEL.parseLog(log);
    if (!event) continue;
    const at = { transactionHash: log.transactionHash, block: log.blockNumber };
    if (event.name === "ChannelDefunded") {
      const assetId = (event.args.assetId as string).toLowerCase();
      payouts.push({
        kind: "defunded",
        assetId,
        amount: exitableFor(at.transactionHash, assetId),
        ...at,
      });
    } else if (event.name === "TransferDefunded") {
      const transferId = (event.args.transferId as string).toLowerCase();
      const assetId = args.transferAssets.get(transferId);
      if (!assetId) continue;
      payouts.push({
        kind: "defunded",
        assetId: assetId.toLowerCase(),
        transferId,
        amount: exitableFor(at.transactionHash, assetId),
        ...at,
      });
    } else if (event.name === "Exited" && (event.args.owner as string).toLowerCase() === owner) {
      payouts.push({
        kind: "exited",
        assetId: (event.args.assetId as string).toLowerCase(),
        amount: event.args.amount as bigint,
        recipient: event.args.recipient as string,
        ...at,
      });
    }
  }
  return payouts;
}

/** The hash of the transaction that recorded the state now on record (the last ChannelDisputed). */
export async function lastDisputeTransaction(
  provider: Provider,
  channelAddress: string,
  fromBlock: number,
  toBlock: number,
): Promise<string | undefined> {
  const logs = await channelLogs(provider, channelAddress, fromBlock, toBlock, [
    TOPICS.channelDisputed,
  ]);
  return logs.at(-1)?.transactionHash;
}

/** The channel's logs with any of `topics`, in block ranges an RPC accepts. */
async function channelLogs(
  provider: Provider,
  address: string,
  fromBlock: number,
  toBlock: number,
  topics: string[],
): Promise<Log[]> {
  const logs: Log[] = [];
  let range = 5_000;
  for (let start = fromBlock; start <= toBlock; ) {
    const end = Math.min(toBlock, start + range - 1);
    try {
      logs.push(
        ...(await provider.getLogs({ address, topics: [topics], fromBlock: start, toBlock: end })),
      );
      start = end + 1;
    } catch (error) {
      // RPCs cap a log query's range: ask for less.
      if (range === 1) throw error;
      range = Math.max(1, Math.floor(range / 2));
    }
  }
  return logs.sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
}

/** The first block whose timestamp is at or after `time` (the head if none is), by bisection. */
export async function firstBlockAtOrAfter(
  provider: Provider,
  time: number,
  head: number,
): Promise<number> {
  let low = 0;
  let high = head;
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    const block = await provider.getBlock(middle);
    if (block && block.timestamp >= time) high = middle;
    else low = middle + 1;
  }
  return low;
}
