import { type BlockTag, Interface, isAddress, type Provider, ZeroAddress } from "ethers";
import { ChannelMastercopy__factory } from "./generated";

/** A channel's on-chain deposit totals for one asset, as a deposit update reconciles them. */
export interface ChannelDeposits {
  totalDepositsAlice: bigint;
  totalDepositsBob: bigint;
}

export type ChannelDepositsErrorCode =
  /** The channel or asset is not a 0x address of 20 bytes. */
  | "INVALID_ADDRESS"
  /** The asset has no ERC-20 `balanceOf` (no code there, or it answers nothing). */
  | "NOT_A_TOKEN"
  /** The RPC failed. */
  | "READ_FAILED"
  /** Confirmations that are not a whole number from 1 up, or given with a block tag. */
  | "INVALID_DEPTH";

export class ChannelDepositsError extends Error {
  override readonly name = "ChannelDepositsError";

  constructor(
    readonly code: ChannelDepositsErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const ERC20 = new Interface(["function balanceOf(address owner) view returns (uint256)"]);
// The generated interface, widened so one helper can call either getter.
const CHANNEL: Interface = ChannelMastercopy__factory.createInterface();

/** Where to read: a block, or the deepest block with `confirmations` confirmations. */
export interface ReadDepositsOptions {
  blockTag?: BlockTag;
  /**
   * Count only deposits with at least this many confirmations. A transaction in the head block
   * has 1, so the read is at head − (confirmations − 1) (never below block 0). Node and client
   * must agree on it: a total the other side cannot see yet is refused (INVALID_DEPOSIT).
   */
  confirmations?: number;
}

/**
 * The block at which a read sees exactly the transactions with `confirmations` confirmations
 * or more: head − (confirmations − 1), or 0 on a chain shorter than that.
 */
export async function confirmedBlock(provider: Provider, confirmations: number): Promise<number> {
  checkConfirmations(confirmations);
  const head = await provider.getBlockNumber();
  return Math.max(0, head - (confirmations - 1));
}

function checkConfirmations(confirmations: number): void {
  if (!Number.isSafeInteger(confirmations) || confirmations < 1) {
    throw new ChannelDepositsError(
      "INVALID_DEPTH",
      `confirmations must be a whole number from 1, got ${confirmations}`,
    );
  }
}

/**
 * Reads what each side has deposited into a channel, deployed or not. Before deployment
 * (DESIGN §4.1) only bob can have deposited, by sending to the address, so alice's total is 0
 * and bob's is the address's balance; after it, the channel contract's own totals. Every read
 * is pinned to one block, so a deployment in between cannot mix the two views; with
 * `confirmations`, to the deepest block that many confirmations deep, so a reorg of the last
 * blocks cannot take back a deposit already credited.
 *
 * @example
 * const { totalDepositsAlice, totalDepositsBob } = await readChannelDeposits(provider, channelAddress, ZeroAddress, { confirmations: 3 });
 */
export async function readChannelDeposits(
  provider: Provider,
  channelAddress: string,
  assetId: string,
  options: ReadDepositsOptions = {},
): Promise<ChannelDeposits> {
  for (const [what, value] of [
    ["channel", channelAddress],
    ["asset", assetId],
  ] as const) {
    if (typeof value !== "string" || !isAddress(value)) {
      throw new ChannelDepositsError(
        "INVALID_ADDRESS",
        `${what} ${String(value)} is not an address`,
      );
    }
  }
  if (options.blockTag !== undefined && options.confirmations !== undefined) {
    throw new ChannelDepositsError("INVALID_DEPTH", "give a block tag or confirmations, not both");
  }
  // Checked before any RPC, so a bad depth is INVALID_DEPTH, not READ_FAILED.
  if (options.confirmations !== undefined) checkConfirmations(options.confirmations);
  try {
    const blockTag =
      options.blockTag ?? (await confirmedBlock(provider, options.confirmations ?? 1));
    if ((await provider.getCode(channelAddress, blockTag)) !== "0x") {
      const [totalDepositsAlice, totalDepositsBob] = await Promise.all([
        channelTotal(provider, channelAddress, "getTotalDepositsAlice", assetId, blockTag),
        channelTotal(provider, channelAddress, "getTotalDepositsBob", assetId, blockTag),
      ]);
      return { totalDepositsAlice, totalDepositsBob };
    }
    const held =
      assetId.toLowerCase() === ZeroAddress
        ? await provider.getBalance(channelAddress, blockTag)
        : await tokenBalance(provider, assetId, channelAddress, blockTag);
    return { totalDepositsAlice: 0n, totalDepositsBob: held };
  } catch (cause) {
    if (cause instanceof ChannelDepositsError) throw cause;
    throw new ChannelDepositsError(
      "READ_FAILED",
      `reading deposits of ${channelAddress} in ${assetId} failed: ${(cause as Error).message}`,
      { cause },
    );
  }
}

async function channelTotal(
  provider: Provider,
  channel: string,
  method: "getTotalDepositsAlice" | "getTotalDepositsBob",
  assetId: string,
  blockTag: BlockTag,
): Promise<bigint> {
  const data = CHANNEL.encodeFunctionData(method, [assetId]);
  const result = await provider.call({ to: channel, data, blockTag });
  return CHANNEL.decodeFunctionResult(method, result)[0] as bigint;
}

async function tokenBalance(
  provider: Provider,
  token: string,
  owner: string,
  blockTag: BlockTag,
): Promise<bigint> {
  const data = ERC20.encodeFunctionData("balanceOf", [owner]);
  let result: string;
  try {
    result = await provider.call({ to: token, data, blockTag });
  } catch (cause) {
    // An ERC-20's balanceOf does not revert; a contract that does is not one.
    if ((cause as { code?: unknown }).code !== "CALL_EXCEPTION") throw cause;
    throw new ChannelDepositsError("NOT_A_TOKEN", `${token} reverts on ERC-20 balanceOf`, {
      cause,
    });
  }
  // A call to an address without code succeeds with no data.
  if (result.length < 2 + 64) {
    throw new ChannelDepositsError("NOT_A_TOKEN", `${token} has no ERC-20 balanceOf`);
  }
  return BigInt(result.slice(0, 2 + 64));
}
