import { bytesToHex, hexToBytes, keccak256, writeAddress, writeUint } from "./bytes";
import { toChecksumAddress } from "./signatures";
import type { Address, NetworkContext } from "./types";

// OpenZeppelin Clones' EIP-1167 creation code around the mastercopy's 20 bytes.
const CLONE_PREFIX = hexToBytes("0x3d602d80600a3d3981f3363d3d373d3d3d363d73");
const CLONE_SUFFIX = hexToBytes("0x5af43d82803e903d91602b57fd5bf3");

/**
 * The channel's CREATE2 address (DESIGN §4.1), as `ChannelFactory.getChannelAddress` computes
 * it: salt `keccak256(abi.encode(alice, bob, chainId))`, an EIP-1167 clone of the mastercopy.
 *
 * @example
 * const channelAddress = channelAddressFor(node, user, networkContext);
 */
export function channelAddressFor(alice: Address, bob: Address, network: NetworkContext): Address {
  const saltInput = new Uint8Array(96);
  writeAddress(alice, saltInput, 0);
  writeAddress(bob, saltInput, 32);
  writeUint(network.chainId, saltInput, 64);
  const salt = keccak256(saltInput);

  const initCode = new Uint8Array(CLONE_PREFIX.length + 20 + CLONE_SUFFIX.length);
  initCode.set(CLONE_PREFIX, 0);
  initCode.set(hexToBytes(network.channelMastercopyAddress), CLONE_PREFIX.length);
  initCode.set(CLONE_SUFFIX, CLONE_PREFIX.length + 20);

  const preimage = new Uint8Array(85);
  preimage[0] = 0xff;
  preimage.set(hexToBytes(network.channelFactoryAddress), 1);
  preimage.set(salt, 21);
  preimage.set(keccak256(initCode), 53);
  return toChecksumAddress(bytesToHex(keccak256(preimage).subarray(12)));
}
