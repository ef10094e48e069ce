import { getAddress, hexlify, randomBytes } from "ethers";
import type { Balance, CoreChannelState, CoreTransferState } from "../types";

/** Random protocol values for tests that compare hashes with a reference. */

export const randomAddress = () => getAddress(hexlify(randomBytes(20)));
export const randomBytes32 = () => hexlify(randomBytes(32));
/** A uint256 of 1 to 32 random bytes, so small and large values both occur. */
export const randomUint = () => BigInt(hexlify(randomBytes(1 + Math.floor(Math.random() * 32))));
export const randomBalance = (): Balance => ({
  to: [randomAddress(), randomAddress()],
  amount: [randomUint(), randomUint()],
});
const randomCounter = () => Math.floor(Math.random() * Number.MAX_SAFE_INTEGER);

export function randomChannelState(
  assets: number,
  channelAddress = randomAddress(),
): CoreChannelState {
  const list = <T>(make: () => T) => Array.from({ length: assets }, make);
  return {
    channelAddress,
    alice: randomAddress(),
    bob: randomAddress(),
    assetIds: list(randomAddress),
    balances: list(randomBalance),
    processedDepositsA: list(randomUint),
    processedDepositsB: list(randomUint),
    defundNonces: list(randomUint),
    timeout: randomCounter(),
    nonce: randomCounter(),
    merkleRoot: randomBytes32(),
  };
}

export function randomTransferState(channelAddress = randomAddress()): CoreTransferState {
  return {
    channelAddress,
    transferId: randomBytes32(),
    transferDefinition: randomAddress(),
    initiator: randomAddress(),
    responder: randomAddress(),
    assetId: randomAddress(),
    balance: randomBalance(),
    transferTimeout: Math.floor(Math.random() * 1e12),
    initialStateHash: randomBytes32(),
  };
}
