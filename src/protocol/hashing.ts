import {
  bytesToHex,
  keccak256,
  utf8,
  writeAddress,
  writeBytes32,
  writeHex,
  writeUint,
} from "./bytes";
import type { Balance, Bytes32, CoreChannelState, CoreTransferState, WithdrawData } from "./types";

/**
 * EIP-712 hashes of the channel's signed types, byte for byte what ChannelHashing.sol and
 * OpenZeppelin's EIP712 compute (DESIGN §4.3). The fixed shapes are encoded directly into
 * word buffers: no ABI coder, no typed-data walker.
 */

const BALANCE_TYPE = "Balance(address[2] to,uint256[2] amount)";
export const TYPE_STRINGS = {
  Balance: BALANCE_TYPE,
  CoreChannelState:
    "CoreChannelState(address channelAddress,address alice,address bob,address[] assetIds,Balance[] balances,uint256[] processedDepositsA,uint256[] processedDepositsB,uint256[] defundNonces,uint256 timeout,uint256 nonce,bytes32 merkleRoot)" +
    BALANCE_TYPE,
  CoreTransferState:
    "CoreTransferState(address channelAddress,bytes32 transferId,address transferDefinition,address initiator,address responder,address assetId,Balance balance,uint256 transferTimeout,bytes32 initialStateHash)" +
    BALANCE_TYPE,
  WithdrawData:
    "WithdrawData(address channelAddress,address assetId,address recipient,uint256 amount,uint256 nonce)",
  TransferResolution: "TransferResolution(bytes32 transferId,bytes encodedResolver)",
  EIP712Domain:
    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)",
} as const;

export const DOMAIN_NAME = "Connext";
export const DOMAIN_VERSION = "2";

const BALANCE_TYPEHASH = keccak256(utf8(TYPE_STRINGS.Balance));
const CHANNEL_TYPEHASH = keccak256(utf8(TYPE_STRINGS.CoreChannelState));
const TRANSFER_TYPEHASH = keccak256(utf8(TYPE_STRINGS.CoreTransferState));
const WITHDRAW_TYPEHASH = keccak256(utf8(TYPE_STRINGS.WithdrawData));
const RESOLUTION_TYPEHASH = keccak256(utf8(TYPE_STRINGS.TransferResolution));
const DOMAIN_TYPEHASH = keccak256(utf8(TYPE_STRINGS.EIP712Domain));

/** Struct hash of a Balance. */
export function balanceHash(balance: Balance): Uint8Array {
  const pair = new Uint8Array(64);
  const words = new Uint8Array(96);
  words.set(BALANCE_TYPEHASH, 0);
  writeAddress(balance.to[0], pair, 0);
  writeAddress(balance.to[1], pair, 32);
  words.set(keccak256(pair), 32);
  pair.fill(0);
  writeUint(balance.amount[0], pair, 0);
  writeUint(balance.amount[1], pair, 32);
  words.set(keccak256(pair), 64);
  return keccak256(words);
}

function addressArrayHash(addresses: readonly string[]): Uint8Array {
  const words = new Uint8Array(32 * addresses.length);
  for (let i = 0; i < addresses.length; i++) writeAddress(addresses[i] as string, words, 32 * i);
  return keccak256(words);
}

function uintArrayHash(values: readonly bigint[]): Uint8Array {
  const words = new Uint8Array(32 * values.length);
  for (let i = 0; i < values.length; i++) writeUint(values[i] as bigint, words, 32 * i);
  return keccak256(words);
}

function balanceArrayHash(balances: readonly Balance[]): Uint8Array {
  const words = new Uint8Array(32 * balances.length);
  for (let i = 0; i < balances.length; i++) words.set(balanceHash(balances[i] as Balance), 32 * i);
  return keccak256(words);
}

/** Struct hash of a channel state: what a dispute records. */
export function channelStateHashBytes(state: CoreChannelState): Uint8Array {
  const words = new Uint8Array(32 * 12);
  words.set(CHANNEL_TYPEHASH, 0);
  writeAddress(state.channelAddress, words, 32);
  writeAddress(state.alice, words, 64);
  writeAddress(state.bob, words, 96);
  words.set(addressArrayHash(state.assetIds), 128);
  words.set(balanceArrayHash(state.balances), 160);
  words.set(uintArrayHash(state.processedDepositsA), 192);
  words.set(uintArrayHash(state.processedDepositsB), 224);
  words.set(uintArrayHash(state.defundNonces), 256);
  writeUint(state.timeout, words, 288);
  writeUint(state.nonce, words, 320);
  writeBytes32(state.merkleRoot, words, 352);
  return keccak256(words);
}

export function channelStateHash(state: CoreChannelState): Bytes32 {
  return bytesToHex(channelStateHashBytes(state));
}

/** Struct hash of a transfer state: its leaf in the channel's merkle tree. */
export function transferStateHashBytes(transfer: CoreTransferState): Uint8Array {
  const words = new Uint8Array(32 * 10);
  words.set(TRANSFER_TYPEHASH, 0);
  writeAddress(transfer.channelAddress, words, 32);
  writeBytes32(transfer.transferId, words, 64);
  writeAddress(transfer.transferDefinition, words, 96);
  writeAddress(transfer.initiator, words, 128);
  writeAddress(transfer.responder, words, 160);
  writeAddress(transfer.assetId, words, 192);
  words.set(balanceHash(transfer.balance), 224);
  writeUint(transfer.transferTimeout, words, 256);
  writeBytes32(transfer.initialStateHash, words, 288);
  return keccak256(words);
}

export function transferStateHash(transfer: CoreTransferState): Bytes32 {
  return bytesToHex(transferStateHashBytes(transfer));
}

/**
 * An EIP-712 domain `{ name, version, chainId, verifyingContract }`: the separator of each
 * deployment, kept (at most `cacheLimit` of them: they repeat for every message signed there).
 *
 * @example
 * const threadDomain = eip712Domain("ThreadTransfer", "1", 64);
 * const separator = threadDomain(chainId, definition);
 */
export function eip712Domain(
  name: string,
  version: string,
  cacheLimit: number,
): (chainId: number | bigint, verifyingContract: string) => Uint8Array {
  const nameHash = keccak256(utf8(name));
  const versionHash = keccak256(utf8(version));
  const cache = new Map<string, Uint8Array>();
  return (chainId, verifyingContract) => {
    const key = `${chainId}:${verifyingContract.toLowerCase()}`;
    const cached = cache.get(key);
    if (cached) return cached;
    const words = new Uint8Array(32 * 5);
    words.set(DOMAIN_TYPEHASH, 0);
    words.set(nameHash, 32);
    words.set(versionHash, 64);
    writeUint(chainId, words, 96);
    writeAddress(verifyingContract, words, 128);
    const separator = keccak256(words);
    if (cache.size >= cacheLimit) cache.clear();
    cache.set(key, separator);
    return separator;
  };
}

/** `keccak256(0x1901 ‖ separator ‖ structHash)`: what an EIP-712 signature signs. */
export function eip712Digest(separator: Uint8Array, structHash: Uint8Array): Uint8Array {
  const message = new Uint8Array(66);
  message[0] = 0x19;
  message[1] = 0x01;
  message.set(separator, 2);
  message.set(structHash, 34);
  return keccak256(message);
}

// Domain separators are the same for every state of a channel: keep the recent ones.
const channelDomain = eip712Domain(DOMAIN_NAME, DOMAIN_VERSION, 4096);

/** The EIP-712 domain separator `{ "Connext", "2", chainId, channel }`. */
export function domainSeparator(chainId: number, verifyingContract: string): Uint8Array {
  return channelDomain(chainId, verifyingContract);
}

/** `keccak256(0x1901 ‖ domainSeparator ‖ structHash)`. */
export function typedDataDigestBytes(
  chainId: number,
  verifyingContract: string,
  structHash: Uint8Array,
): Uint8Array {
  return eip712Digest(domainSeparator(chainId, verifyingContract), structHash);
}

/**
 * The digest both parties sign for a channel state. The domain's verifying contract is the
 * state's own channel unless given (the contract always uses its own address).
 */
export function channelStateDigest(
  state: CoreChannelState,
  chainId: number,
  verifyingContract: string = state.channelAddress,
): Bytes32 {
  return bytesToHex(typedDataDigestBytes(chainId, verifyingContract, channelStateHashBytes(state)));
}

/** Struct hash of a withdrawal commitment. */
export function withdrawDataHashBytes(data: WithdrawData): Uint8Array {
  const words = new Uint8Array(32 * 6);
  words.set(WITHDRAW_TYPEHASH, 0);
  writeAddress(data.channelAddress, words, 32);
  writeAddress(data.assetId, words, 64);
  writeAddress(data.recipient, words, 96);
  writeUint(data.amount, words, 128);
  writeUint(data.nonce, words, 160);
  return keccak256(words);
}

/** The digest both parties sign for a withdrawal, and the channel's replay key for it. */
export function withdrawDigest(
  data: WithdrawData,
  chainId: number,
  verifyingContract: string = data.channelAddress,
): Bytes32 {
  return bytesToHex(typedDataDigestBytes(chainId, verifyingContract, withdrawDataHashBytes(data)));
}

/** The digest a responder signs to let someone else defund its transfer with this resolver. */
export function transferResolutionDigest(
  transferId: Bytes32,
  encodedResolver: string,
  chainId: number,
  channelAddress: string,
): Bytes32 {
  const resolver = new Uint8Array((encodedResolver.length - 2) / 2);
  writeHex(encodedResolver, resolver, resolver.length, resolver.length);
  const words = new Uint8Array(96);
  words.set(RESOLUTION_TYPEHASH, 0);
  writeBytes32(transferId, words, 32);
  words.set(keccak256(resolver), 64);
  return bytesToHex(typedDataDigestBytes(chainId, channelAddress, keccak256(words)));
}
