import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, hexToBytes, writeBytes32, writeUint } from "../../bytes";
import { ProtocolError } from "../../errors";
import type { Balance, Bytes32 } from "../../types";
import { defineTransfer } from "../define";
import type { TransferDefinitionRules } from "../types";
import {
  checkBalance,
  checkBytes32,
  checkNow,
  checkUint,
  copyBalance,
  isZeroHex,
  MAX_UINT256,
} from "../validate";
import { encodedWords, readBytes32, readUint } from "../words";

/**
 * The off-chain mirror of HashlockTransfer.sol (DESIGN §4.5): pays the responder when it
 * reveals the pre-image of the lock before the expiry; a zero pre-image cancels.
 */

export interface HashlockState {
  lockHash: Bytes32;
  /** Unix seconds; 0 for no expiry. */
  expiry: bigint;
}

export interface HashlockResolver {
  preImage: Bytes32;
}

const ZERO_BYTES32: Bytes32 = `0x${"0".repeat(64)}`;

/**
 * The lock for a pre-image: `sha256(abi.encode(preImage))`, which for a bytes32 is the sha256
 * of its 32 bytes.
 *
 * @example
 * const state = { lockHash: hashlockLockHash(preImage), expiry: 0n };
 */
export function hashlockLockHash(preImage: Bytes32): Bytes32 {
  checkBytes32(preImage, "preImage");
  return bytesToHex(sha256(hexToBytes(preImage)));
}

function checkState(state: HashlockState): void {
  checkBytes32(state?.lockHash, "state.lockHash");
  checkUint(state.expiry, "state.expiry");
}

/** The contract's `expiry != 0 && expiry <= block.timestamp`. */
function expired(expiry: bigint, now: number): boolean {
  return expiry !== 0n && expiry <= BigInt(now);
}

/**
 * HashlockTransfer's rules and encodings. States and resolvers are fixed-size words, encoded
 * without an ABI coder: this is the payment hot path.
 *
 * @example
 * const state = { lockHash: hashlockLockHash(preImage), expiry: BigInt(now + 3600) };
 * hashlock.create({ to: [payer, node], amount: [5n, 0n] }, state, now);
 * hashlock.resolve(balance, state, { preImage }, now); // { amount: [0n, 5n], ... }
 */
export const hashlock: TransferDefinitionRules<HashlockState, HashlockResolver> = defineTransfer({
  name: "HashlockTransfer",
  stateEncoding: "tuple(bytes32 lockHash, uint256 expiry)",
  resolverEncoding: "tuple(bytes32 preImage)",

  encodeState(state) {
    checkState(state);
    const words = new Uint8Array(64);
    writeBytes32(state.lockHash, words, 0);
    writeUint(state.expiry, words, 32);
    return bytesToHex(words);
  },

  decodeState(encoded) {
    const body = encodedWords(encoded, "HashlockTransfer state", 2, true);
    return { lockHash: readBytes32(body, 0), expiry: readUint(body, 1) };
  },

  encodeResolver(resolver) {
    checkBytes32(resolver?.preImage, "resolver.preImage");
    return resolver.preImage.toLowerCase();
  },

  decodeResolver(encoded) {
    const body = encodedWords(encoded, "HashlockTransfer resolver", 1, true);
    return { preImage: readBytes32(body, 0) };
  },

  cancelResolver: () => ({ preImage: ZERO_BYTES32 }),

  create(balance, state, now) {
    checkBalance(balance);
    checkState(state);
    checkNow(now);
    const [initiatorAmount, responderAmount] = balance.amount;
    if (initiatorAmount === 0n || responderAmount !== 0n) {
      throw new ProtocolError(
        "TRANSFER_REJECTED",
        `hashlock: the initiator must lock a positive amount and the responder start with 0, got [${initiatorAmount}, ${responderAmount}]`,
        { initiatorAmount: String(initiatorAmount), responderAmount: String(responderAmount) },
      );
    }
    if (isZeroHex(state.lockHash)) {
      throw new ProtocolError("TRANSFER_REJECTED", "hashlock: the lock hash is zero");
    }
    if (expired(state.expiry, now)) {
      throw new ProtocolError(
        "TRANSFER_REJECTED",
        `hashlock: expiry ${state.expiry} is not after now (${now})`,
        { expiry: String(state.expiry), now },
      );
    }
  },

  resolve(balance, state, resolver, now): Balance {
    checkBalance(balance);
    checkState(state);
    checkBytes32(resolver?.preImage, "resolver.preImage");
    checkNow(now);
    if (isZeroHex(resolver.preImage)) return copyBalance(balance, [...balance.amount]);

    if (expired(state.expiry, now)) {
      throw new ProtocolError(
        "RESOLVE_REJECTED",
        `hashlock: the transfer expired at ${state.expiry}, now is ${now}`,
        { expiry: String(state.expiry), now },
      );
    }
    const preImageHash = hashlockLockHash(resolver.preImage);
    if (preImageHash !== state.lockHash.toLowerCase()) {
      throw new ProtocolError(
        "RESOLVE_REJECTED",
        `hashlock: sha256 of the pre-image is ${preImageHash}, not the lock hash ${state.lockHash}`,
        { lockHash: state.lockHash, preImageHash },
      );
    }
    const paid = balance.amount[1] + balance.amount[0];
    if (paid > MAX_UINT256) {
      // The contract's checked `amount[1] += amount[0]` panics.
      throw new ProtocolError("RESOLVE_REJECTED", "hashlock: the responder's amount overflows");
    }
    return copyBalance(balance, [0n, paid]);
  },
});
