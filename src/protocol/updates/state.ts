import { keccakHex, writeAddress, writeBytes32, writeUint } from "../bytes";
import { ProtocolError } from "../errors";
import type { Address, Balance, Bytes32, CoreChannelState } from "../types";

/** Helpers the update handlers share: positions, copies and arithmetic on channel states. */

export const ZERO_ADDRESS: Address = "0x0000000000000000000000000000000000000000";

export function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Index of `assetId` in the state, or -1. */
export function assetIndex(state: CoreChannelState, assetId: Address): number {
  const lower = assetId.toLowerCase();
  for (let i = 0; i < state.assetIds.length; i++) {
    if ((state.assetIds[i] as string).toLowerCase() === lower) return i;
  }
  return -1;
}

/** 0 for alice, 1 for bob. */
export function partyIndex(state: CoreChannelState, party: Address): 0 | 1 {
  if (sameAddress(party, state.alice)) return 0;
  if (sameAddress(party, state.bob)) return 1;
  throw new ProtocolError(
    "WRONG_PARTICIPANTS",
    `${party} is neither alice nor bob of ${state.channelAddress}`,
  );
}

/** A copy whose arrays and balances can be changed without touching the original. */
export function copyCore(state: CoreChannelState): CoreChannelState {
  return {
    channelAddress: state.channelAddress,
    alice: state.alice,
    bob: state.bob,
    assetIds: state.assetIds.slice(),
    balances: state.balances.map(copyBalance),
    processedDepositsA: state.processedDepositsA.slice(),
    processedDepositsB: state.processedDepositsB.slice(),
    defundNonces: state.defundNonces.slice(),
    timeout: state.timeout,
    nonce: state.nonce,
    merkleRoot: state.merkleRoot,
  };
}

export function copyBalance(balance: Balance): Balance {
  return { to: [balance.to[0], balance.to[1]], amount: [balance.amount[0], balance.amount[1]] };
}

export function balancesEqual(a: Balance, b: Balance): boolean {
  return (
    sameAddress(a.to[0], b.to[0]) &&
    sameAddress(a.to[1], b.to[1]) &&
    a.amount[0] === b.amount[0] &&
    a.amount[1] === b.amount[1]
  );
}

/** The channel's balance of `assetId`, zero for an asset it does not hold yet. */
export function channelBalance(state: CoreChannelState, assetId: Address): Balance {
  const index = assetIndex(state, assetId);
  if (index === -1) return { to: [state.alice, state.bob], amount: [0n, 0n] };
  return copyBalance(state.balances[index] as Balance);
}

/**
 * A transfer's id: `keccak256(abi.encode(channelAddress, nonce, definition, initialStateHash))`.
 * Both sides derive it from the create update, so it is unique per channel and never chosen.
 */
export function transferIdFor(
  channelAddress: Address,
  channelNonce: number,
  transferDefinition: Address,
  initialStateHash: Bytes32,
): Bytes32 {
  const words = new Uint8Array(128);
  writeAddress(channelAddress, words, 0);
  writeUint(channelNonce, words, 32);
  writeAddress(transferDefinition, words, 64);
  writeBytes32(initialStateHash, words, 96);
  return keccakHex(words);
}
