import type { Log, Provider } from "ethers";
import { ChannelMastercopy__factory } from "./generated";

/**
 * What a finished dispute left on-chain, as a resume update needs it (DESIGN §4.7): the round,
 * the state on record, the assets defunded in that round with the deposit totals each defund
 * counted, and which of the given transfers were disputed. Node and client read it with this
 * one function, so both check a resume against the same numbers.
 */
export interface DisputeOutcome {
  round: number;
  channelStateHash: string;
  nonce: number;
  consensusExpiry: number;
  defundExpiry: number;
  /** The latest block's timestamp. */
  chainTime: number;
  defunds: {
    assetId: string;
    defundNonce: bigint;
    totalDepositsAlice: bigint;
    totalDepositsBob: bigint;
  }[];
  disputedTransferIds: string[];
  /** Disputed and not yet defunded. */
  undecidedTransferIds: string[];
}

const CHANNEL = ChannelMastercopy__factory.createInterface();
const CHANNEL_DEFUNDED = CHANNEL.getEvent("ChannelDefunded")?.topicHash as string;

/**
 * Reads the dispute on record for `channelAddress`: which of `assetIds` were defunded in its
 * round (with the totals from their ChannelDefunded events, found within the defund window)
 * and which of `transferIds` were disputed.
 *
 * @example
 * const outcome = await readDisputeOutcome(provider, channelAddress, state.assetIds, [...transfers.keys()]);
 */
export async function readDisputeOutcome(
  provider: Provider,
  channelAddress: string,
  assetIds: readonly string[],
  transferIds: readonly string[],
): Promise<DisputeOutcome> {
  const head = await provider.getBlock("latest");
  if (!head) throw new Error("the chain returned no latest block");
  const channel = ChannelMastercopy__factory.connect(channelAddress, provider);
  const at = { blockTag: head.number };
  const record = await channel.getChannelDispute(at);
  const round = record.round;
  const outcome: DisputeOutcome = {
    round: Number(round),
    channelStateHash: record.channelStateHash.toLowerCase(),
    nonce: Number(record.nonce),
    consensusExpiry: Number(record.consensusExpiry),
    defundExpiry: Number(record.defundExpiry),
    chainTime: head.timestamp,
    defunds: [],
    disputedTransferIds: [],
    undecidedTransferIds: [],
  };
  if (outcome.consensusExpiry === 0) return outcome;
  const defunded: { assetId: string; defundNonce: bigint }[] = [];
  await Promise.all([
    ...assetIds.map(async (assetId) => {
      const [defundNonce, defundRound] = await Promise.all([
        channel.getDefundNonce(assetId, at),
        channel.getDefundRound(assetId, at),
      ]);
      if (defundNonce > 0n && defundRound === round) defunded.push({ assetId, defundNonce });
    }),
    ...transferIds.map(async (transferId) => {
      const dispute = await channel.getTransferDispute(transferId, at);
      if (dispute.transferStateHash !== `0x${"0".repeat(64)}`) {
        outcome.disputedTransferIds.push(transferId.toLowerCase());
        if (!dispute.isDefunded) outcome.undecidedTransferIds.push(transferId.toLowerCase());
      }
    }),
  ]);
  if (defunded.length === 0) {
    outcome.disputedTransferIds.sort();
    outcome.undecidedTransferIds.sort();
    return outcome;
  }
  const logs = await defundLogs(provider, channelAddress, outcome, head.number);
  for (const { assetId, defundNonce } of defunded) {
    const event = logs.find(
      (log) => log.assetId === assetId.toLowerCase() && log.defundNonce === defundNonce,
    );
    if (!event) {
      throw new Error(`no ChannelDefunded event of ${assetId} at defund nonce ${defundNonce}`);
    }
    outcome.defunds.push({ assetId, defundNonce, ...event.totals });
  }
  outcome.defunds.sort((a, b) => (a.assetId.toLowerCase() < b.assetId.toLowerCase() ? -1 : 1));
  outcome.disputedTransferIds.sort();
  outcome.undecidedTransferIds.sort();
  return outcome;
}

/** ChannelDefunded events of the channel within the dispute's defund window. */
async function defundLogs(
  provider: Provider,
  channelAddress: string,
  outcome: DisputeOutcome,
  head: number,
) {
  const from = await firstBlockAtOrAfter(provider, outcome.consensusExpiry, head);
  const to = Math.min(head, await firstBlockAtOrAfter(provider, outcome.defundExpiry, head));
  const logs: Log[] = [];
  let range = 5_000;
  for (let start = from; start <= to; ) {
    const end = Math.min(to, start + range - 1);
    try {
      logs.push(
        ...(await provider.getLogs({
          address: channelAddress,
          topics: [CHANNEL_DEFUNDED],
          fromBlock: start,
          toBlock: end,
        })),
      );
      start = end + 1;
    } catch (error) {
      // RPCs cap a log query's range: ask for less.
      if (range === 1) throw error;
      range = Math.max(1, Math.floor(range / 2));
    }
  }
  return logs.map((log) => {
    const parsed = CHANNEL.parseLog(log);
    if (!parsed) throw new Error("unreadable ChannelDefunded log");
    return {
      assetId: (parsed.args.assetId as string).toLowerCase(),
      defundNonce: parsed.args.defundNonce as bigint,
      totals: {
        totalDepositsAlice: parsed.args.totalDepositsAlice as bigint,
        totalDepositsBob: parsed.args.totalDepositsBob as bigint,
      },
    };
  });
}

/** The first block whose timestamp is at or after `time` (the head if none is), by bisection. */
async function firstBlockAtOrAfter(provider: Provider, time: number, head: number) {
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
