import { bytesToHex, writeAddress, writeBytes32, writeUint } from "../../bytes";
import { isProtocolError, ProtocolError } from "../../errors";
import { recoverSigner } from "../../signatures";
import type { Address, Balance, Bytes32, HexString } from "../../types";
import { defineTransfer } from "../define";
import type { TransferDefinitionRules } from "../types";
import {
  checkAddress,
  checkBalance,
  checkBytes,
  checkBytes32,
  checkNow,
  checkUint,
  copyBalance,
  isZeroHex,
} from "../validate";
import {
  encodedWords,
  expectWord,
  readAddress,
  readBytes32,
  readTailBytes,
  readUint,
  wordsWithTail,
} from "../words";

/**
 * The off-chain mirror of Withdraw.sol (DESIGN §4.5): part of the initiator's balance becomes
 * a withdrawal commitment (`data`, its EIP-712 digest) that both parties sign. Resolving with
 * the responder's signature leaves only the fee, paid to the responder; an empty signature
 * cancels.
 */

export interface WithdrawState {
  /** The initiator's signature on `data`. */
  initiatorSignature: HexString;
  initiator: Address;
  responder: Address;
  /** The commitment's digest: `withdrawDigest(...)`. */
  data: Bytes32;
  nonce: bigint;
  /** What the responder keeps for sending the withdrawal transaction. */
  fee: bigint;
}

export interface WithdrawResolver {
  /** The responder's signature on `data`; empty ("0x") cancels. */
  responderSignature: HexString;
}

// abi.encode of a struct with a dynamic member: an offset word to the tuple, the tuple's head
// (the bytes member as an offset within the tuple), then the bytes' length and padded data.
const STATE_HEAD_WORDS = 8;
const RESOLVER_HEAD_WORDS = 3;

function checkState(state: WithdrawState): void {
  checkBytes(state?.initiatorSignature, "state.initiatorSignature");
  checkAddress(state.initiator, "state.initiator");
  checkAddress(state.responder, "state.responder");
  checkBytes32(state.data, "state.data");
  checkUint(state.nonce, "state.nonce");
  checkUint(state.fee, "state.fee");
}

function checkResolver(resolver: WithdrawResolver): void {
  checkBytes(resolver?.responderSignature, "resolver.responderSignature");
}

/**
 * The contract's `_requireSigner`: OpenZeppelin's `tryRecover` must succeed (65 bytes, v 27
 * or 28, low s, a point on the curve) and give `expected`. `recoverSigner` refuses the same.
 */
function signedBy(digest: Bytes32, signature: HexString, expected: Address): boolean {
  try {
    return recoverSigner(digest, signature).toLowerCase() === expected.toLowerCase();
  } catch (error) {
    if (isProtocolError(error, "INVALID_SIGNATURE")) return false;
    throw error;
  }
}

/**
 * Withdraw's rules and encodings. The encoding is written by hand, word for word what
 * `abi.encode` of the Solidity structs produces.
 *
 * @example
 * const data = withdrawDigest(commitment, chainId);
 * const state = { initiatorSignature: await alice.signDigest(data), initiator: alice.address,
 *   responder: bob.address, data, nonce: 1n, fee: 0n };
 * withdraw.create({ to: [alice.address, bob.address], amount: [10n, 0n] }, state, now);
 * withdraw.resolve(balance, state, { responderSignature: await bob.signDigest(data) }, now);
 */
export const withdraw: TransferDefinitionRules<WithdrawState, WithdrawResolver> = defineTransfer({
  name: "Withdraw",
  stateEncoding:
    "tuple(bytes initiatorSignature, address initiator, address responder, bytes32 data, uint256 nonce, uint256 fee)",
  resolverEncoding: "tuple(bytes responderSignature)",

  encodeState(state) {
    checkState(state);
    const words = wordsWithTail(STATE_HEAD_WORDS, state.initiatorSignature);
    writeUint(0x20, words, 0);
    writeUint(6 * 32, words, 32);
    writeAddress(state.initiator, words, 64);
    writeAddress(state.responder, words, 96);
    writeBytes32(state.data, words, 128);
    writeUint(state.nonce, words, 160);
    writeUint(state.fee, words, 192);
    return bytesToHex(words);
  },

  decodeState(encoded) {
    const what = "Withdraw state";
    const body = encodedWords(encoded, what, STATE_HEAD_WORDS);
    expectWord(body, 0, 0x20n, what);
    expectWord(body, 1, 6n * 32n, what);
    return {
      initiatorSignature: readTailBytes(body, 7, what),
      initiator: readAddress(body, 2, what),
      responder: readAddress(body, 3, what),
      data: readBytes32(body, 4),
      nonce: readUint(body, 5),
      fee: readUint(body, 6),
    };
  },

  encodeResolver(resolver) {
    checkResolver(resolver);
    const words = wordsWithTail(RESOLVER_HEAD_WORDS, resolver.responderSignature);
    writeUint(0x20, words, 0);
    writeUint(0x20, words, 32);
    return bytesToHex(words);
  },

  decodeResolver(encoded) {
    const what = "Withdraw resolver";
    const body = encodedWords(encoded, what, RESOLVER_HEAD_WORDS);
    expectWord(body, 0, 0x20n, what);
    expectWord(body, 1, 0x20n, what);
    return { responderSignature: readTailBytes(body, 2, what) };
  },

  cancelResolver: () => ({ responderSignature: "0x" }),

  create(balance, state, now) {
    checkBalance(balance);
    checkState(state);
    checkNow(now); // unused: the contract's create is pure
    const [initiatorAmount, responderAmount] = balance.amount;
    if (initiatorAmount === 0n || responderAmount !== 0n || state.fee > initiatorAmount) {
      throw new ProtocolError(
        "TRANSFER_REJECTED",
        `withdraw: the initiator must lock a positive amount of at least the fee and the responder start with 0, got [${initiatorAmount}, ${responderAmount}] with fee ${state.fee}`,
        {
          initiatorAmount: String(initiatorAmount),
          responderAmount: String(responderAmount),
          fee: String(state.fee),
        },
      );
    }
    if (isZeroHex(state.initiator) || isZeroHex(state.responder)) {
      throw new ProtocolError(
        "TRANSFER_REJECTED",
        `withdraw: a party is the zero address (${state.initiator}, ${state.responder})`,
      );
    }
    if (isZeroHex(state.data)) {
      throw new ProtocolError("TRANSFER_REJECTED", "withdraw: the commitment digest is zero");
    }
    if (!signedBy(state.data, state.initiatorSignature, state.initiator)) {
      throw new ProtocolError(
        "TRANSFER_REJECTED",
        `withdraw: the commitment is not signed by the initiator ${state.initiator}`,
        { expectedSigner: state.initiator },
      );
    }
  },

  resolve(balance, state, resolver, now): Balance {
    checkBalance(balance);
    checkState(state);
    checkResolver(resolver);
    checkNow(now); // unused: the contract's resolve is pure
    if (resolver.responderSignature.length === 2) {
      return copyBalance(balance, [...balance.amount]); // cancelled
    }
    if (!signedBy(state.data, resolver.responderSignature, state.responder)) {
      throw new ProtocolError(
        "RESOLVE_REJECTED",
        `withdraw: the commitment is not signed by the responder ${state.responder}`,
        { expectedSigner: state.responder },
      );
    }
    return copyBalance(balance, [0n, state.fee]);
  },
});
