import { channelAddressFor } from "../channelAddress";
import { ProtocolError } from "../errors";
import { EMPTY_ROOT } from "../merkle";
import type { NetworkContext } from "../types";
import { DEFAULT_POLICY, type UpdateHandler } from "./context";
import { sameAddress, ZERO_ADDRESS } from "./state";

/**
 * setup: the user (bob) opens the channel with the node (alice). Fixes both parties, the
 * dispute timeout and the network; the channel address must be the factory's CREATE2 one.
 */
export const setupHandler: UpdateHandler<"setup"> = {
  derive(view, update, context) {
    if (view.state) {
      throw new ProtocolError(
        "CHANNEL_ALREADY_SETUP",
        `channel ${view.state.channelAddress} is already set up`,
      );
    }
    const { timeout, networkContext } = update.details;
    requireSameNetwork(networkContext, context.network);
    const policy = context.policy ?? DEFAULT_POLICY;
    if (
      !Number.isSafeInteger(timeout) ||
      timeout < policy.minChannelTimeout ||
      timeout > policy.maxChannelTimeout
    ) {
      throw new ProtocolError(
        "INVALID_TIMEOUT",
        `expected a channel timeout from ${policy.minChannelTimeout} to ${policy.maxChannelTimeout} s, got ${timeout}`,
      );
    }
    if (!sameAddress(update.assetId, ZERO_ADDRESS)) {
      throw new ProtocolError("UPDATE_MISMATCH", `a setup touches no asset; got ${update.assetId}`);
    }
    const alice = update.toIdentifier;
    const bob = update.fromIdentifier;
    if (sameAddress(alice, bob))
      throw new ProtocolError("WRONG_PARTICIPANTS", "a channel needs two parties");
    const channelAddress = channelAddressFor(alice, bob, networkContext);
    if (!sameAddress(channelAddress, update.channelAddress)) {
      throw new ProtocolError(
        "WRONG_CHANNEL",
        `expected channel ${channelAddress}, got ${update.channelAddress}`,
      );
    }
    return {
      core: {
        channelAddress,
        alice,
        bob,
        assetIds: [],
        balances: [],
        processedDepositsA: [],
        processedDepositsB: [],
        defundNonces: [],
        timeout,
        nonce: 1,
        merkleRoot: EMPTY_ROOT,
      },
      tree: view.tree,
    };
  },
};

/** Refuses a network context that is not ours in every field. */
export function requireSameNetwork(proposed: NetworkContext, ours: NetworkContext): void {
  const same =
    proposed.chainId === ours.chainId &&
    sameAddress(proposed.channelFactoryAddress, ours.channelFactoryAddress) &&
    sameAddress(proposed.channelMastercopyAddress, ours.channelMastercopyAddress) &&
    sameAddress(proposed.transferRegistryAddress, ours.transferRegistryAddress);
  if (!same) {
    throw new ProtocolError(
      "WRONG_NETWORK",
      `expected chain ${ours.chainId} with factory ${ours.channelFactoryAddress}, got chain ${proposed.chainId} with factory ${proposed.channelFactoryAddress}`,
    );
  }
}
