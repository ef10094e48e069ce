import type { Provider } from "ethers";
import { ChannelMastercopy__factory } from "./generated";

/** The channel dispute on record (`getChannelDispute`); all zero: none. */
export interface ChainDispute {
  channelStateHash: string;
  nonce: number;
  merkleRoot: string;
  consensusExpiry: number;
  defundExpiry: number;
}

/** One asset as the chain records its defunds. */
export interface ChainAsset {
  defundNonce: bigint;
  /** Whether it was defunded in the round now on record. */
  defundedThisRound: boolean;
  hasDeposits: boolean;
}

/** One transfer's dispute record. */
export interface ChainTransfer {
  disputed: boolean;
  defunded: boolean;
  disputeExpiry: number;
}

/**
 * Reads of a channel's dispute as the dispute planner needs them (`planDispute`), all at one
 * block so they agree with each other and with its timestamp.
 */
export interface DisputeReading {
  /** The block's timestamp: the chain's clock. */
  chainTime: number;
  dispute: ChainDisputeRecord;
  assets: Map<string, ChainAsset>;
  transfers: Map<string, ChainTransfer>;
  /** What the chain holds exitable for `owner`, by lowercase asset. */
  exitable: Map<string, bigint>;
}

/** The dispute on record and its round (the contract numbers rounds; see ICMCAdjudicator). */
export type ChainDisputeRecord = ChainDispute & { round: bigint };

const NO_DISPUTE: ChainDisputeRecord = {
  channelStateHash: `0x${"0".repeat(64)}`,
  nonce: 0,
  merkleRoot: `0x${"0".repeat(64)}`,
  consensusExpiry: 0,
  defundExpiry: 0,
  round: 0n,
};

/** Whether `getChannelDispute()` shows a dispute: channels without code have none. */
export async function readChannelDispute(
  provider: Provider,
  channelAddress: string,
  blockTag?: number,
): Promise<ChainDisputeRecord> {
  if ((await provider.getCode(channelAddress, blockTag)) === "0x") return NO_DISPUTE;
  const channel = ChannelMastercopy__factory.connect(channelAddress, provider);
  const record = await channel.getChannelDispute({ blockTag });
  return {
    channelStateHash: record.channelStateHash.toLowerCase(),
    nonce: Number(record.nonce),
    merkleRoot: record.merkleRoot.toLowerCase(),
    consensusExpiry: Number(record.consensusExpiry),
    defundExpiry: Number(record.defundExpiry),
    round: record.round,
  };
}

/**
 * Everything the planner needs for one channel: the dispute, each asset's defunds and
 * deposits, each transfer's dispute, and what is exitable for `owner`.
 */
export async function readDispute(
  provider: Provider,
  args: { channelAddress: string; owner: string; assetIds: string[]; transferIds: string[] },
): Promise<DisputeReading> {
  const block = await provider.getBlock("latest");
  if (!block) throw new Error("the chain returned no latest block");
  const blockTag = block.number;
  const dispute = await readChannelDispute(provider, args.channelAddress, blockTag);
  const reading: DisputeReading = {
    chainTime: block.timestamp,
    dispute,
    assets: new Map(),
    transfers: new Map(),
    exitable: new Map(),
  };
  if (dispute.consensusExpiry === 0) return reading;
  const channel = ChannelMastercopy__factory.connect(args.channelAddress, provider);
  const at = { blockTag };
  const { round } = dispute;
  await Promise.all([
    ...args.assetIds.map(async (assetId) => {
      const [defundNonce, defundRound, alice, bob, exitable] = await Promise.all([
        channel.getDefundNonce(assetId, at),
        channel.getDefundRound(assetId, at),
        channel.getTotalDepositsAlice(assetId, at),
        channel.getTotalDepositsBob(assetId, at),
        channel.getExitableAmount(assetId, args.owner, at),
      ]);
      const key = assetId.toLowerCase();
      reading.assets.set(key, {
        defundNonce,
        defundedThisRound: defundNonce > 0n && defundRound === round,
        hasDeposits: alice + bob > 0n,
      });
      reading.exitable.set(key, exitable);
    }),
    ...args.transferIds.map(async (transferId) => {
      const record = await channel.getTransferDispute(transferId, at);
      reading.transfers.set(transferId.toLowerCase(), {
        disputed: record.transferStateHash !== `0x${"0".repeat(64)}`,
        defunded: record.isDefunded,
        disputeExpiry: Number(record.transferDisputeExpiry),
      });
    }),
  ]);
  return reading;
}
