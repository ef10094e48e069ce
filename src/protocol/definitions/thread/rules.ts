import { bytesToHex, writeAddress, writeBytes32, writeUint } from "../../bytes";
import { isProtocolError, ProtocolError } from "../../errors";
import type { Address, Balance, Bytes32, HexString } from "../../types";
import { defineTransfer } from "../define";
import type { DefinitionDeployment, TransferDefinitionRules } from "../types";
import {
  checkAddress,
  checkBalance,
  checkBytes,
  checkBytes32,
  checkNow,
  checkUint,
  copyBalance,
  isZeroHex,
  MAX_UINT256,
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
import { recoverVoucherSigner, type ThreadVoucher } from "./voucher";

/**
 * The off-chain mirror of ThreadTransfer.sol (DESIGN §4.5): one side of a payment thread. The
 * payer's channel locks `amount` for the node, the node's locks the same for the payee; the
 * payer's latest voucher (its signature on the cumulative amount paid) resolves both before
 * the expiry, paying the responder at most the locked amount. An empty signature cancels.
 */

export interface ThreadState {
  payer: Address;
  payee: Address;
  threadId: Bytes32;
  /** What the transfer locks: the initiator's amount. */
  amount: bigint;
  /** Unix seconds; vouchers resolve only before it. */
  expiry: bigint;
}

/** A voucher: the cumulative amount paid and the payer's signature on it. */
export interface ThreadResolver {
  amount: bigint;
  /** The payer's 65-byte signature on the voucher's digest; empty ("0x") cancels. */
  signature: HexString;
}

const STATE_WORDS = 5;
// abi.encode of a struct with a dynamic member: an offset word to the tuple, the tuple's head
// (amount, then the bytes member as an offset within the tuple), then the bytes' length and
// padded data.
const RESOLVER_HEAD_WORDS = 4;

function checkState(state: ThreadState): void {
  checkAddress(state?.payer, "state.payer");
  checkAddress(state.payee, "state.payee");
  checkBytes32(state.threadId, "state.threadId");
  checkUint(state.amount, "state.amount");
  checkUint(state.expiry, "state.expiry");
}

function checkResolver(resolver: ThreadResolver): void {
  checkUint(resolver?.amount, "resolver.amount");
  checkBytes(resolver.signature, "resolver.signature");
}

/** The contract's `state.expiry <= block.timestamp`: no expiry means expired. */
function expired(expiry: bigint, now: number): boolean {
  return expiry <= BigInt(now);
}

/** The contract's signature check: `tryRecover` succeeds and gives the payer. */
function signedByPayer(
  voucher: ThreadVoucher,
  signature: HexString,
  payer: Address,
  deployment: DefinitionDeployment,
): boolean {
  try {
    return (
      recoverVoucherSigner(voucher, signature, deployment).toLowerCase() === payer.toLowerCase()
    );
  } catch (error) {
    if (isProtocolError(error, "INVALID_SIGNATURE")) return false;
    throw error;
  }
}

/**
 * ThreadTransfer's rules and encodings, written by hand word for word as `abi.encode` of the
 * Solidity structs. Resolving with a voucher needs the `deployment` (the voucher's EIP-712
 * domain); the update logic passes it.
 *
 * @example
 * const state = { payer, payee, threadId, amount: 10n, expiry: BigInt(now + 3600) };
 * thread.create({ to: [payer, node], amount: [10n, 0n] }, state, now);
 * const { signature } = await signThreadVoucher({ threadId, amount: 4n }, deployment, signer);
 * thread.resolve(balance, state, { amount: 4n, signature }, now, deployment); // [6n, 4n]
 */
export const thread: TransferDefinitionRules<ThreadState, ThreadResolver> = defineTransfer({
  name: "ThreadTransfer",
  stateEncoding:
    "tuple(address payer, address payee, bytes32 threadId, uint256 amount, uint256 expiry)",
  resolverEncoding: "tuple(uint256 amount, bytes signature)",

  encodeState(state) {
    checkState(state);
    const words = new Uint8Array(32 * STATE_WORDS);
    writeAddress(state.payer, words, 0);
    writeAddress(state.payee, words, 32);
    writeBytes32(state.threadId, words, 64);
    writeUint(state.amount, words, 96);
    writeUint(state.expiry, words, 128);
    return bytesToHex(words);
  },

  decodeState(encoded) {
    const what = "ThreadTransfer state";
    const body = encodedWords(encoded, what, STATE_WORDS, true);
    return {
      payer: readAddress(body, 0, what),
      payee: readAddress(body, 1, what),
      threadId: readBytes32(body, 2),
      amount: readUint(body, 3),
      expiry: readUint(body, 4),
    };
  },

  encodeResolver(resolver) {
    checkResolver(resolver);
    const words = wordsWithTail(RESOLVER_HEAD_WORDS, resolver.signature);
    writeUint(0x20, words, 0);
    writeUint(resolver.amount, words, 32);
    writeUint(0x40, words, 64);
    return bytesToHex(words);
  },

  decodeResolver(encoded) {
    const what = "ThreadTransfer resolver";
    const body = encodedWords(encoded, what, RESOLVER_HEAD_WORDS);
    expectWord(body, 0, 0x20n, what);
    expectWord(body, 2, 0x40n, what);
    return { amount: readUint(body, 1), signature: readTailBytes(body, 3, what) };
  },

  cancelResolver: () => ({ amount: 0n, signature: "0x" }),

  create(balance, state, now) {
    checkBalance(balance);
    checkState(state);
    checkNow(now);
    const [initiatorAmount, responderAmount] = balance.amount;
    if (initiatorAmount === 0n || responderAmount !== 0n) {
      throw new ProtocolError(
        "TRANSFER_REJECTED",
        `thread: the initiator must lock a positive amount and the responder start with 0, got [${initiatorAmount}, ${responderAmount}]`,
        { initiatorAmount: String(initiatorAmount), responderAmount: String(responderAmount) },
      );
    }
    if (state.amount !== initiatorAmount) {
      throw new ProtocolError(
        "TRANSFER_REJECTED",
        `thread: the state's amount ${state.amount} is not the locked amount ${initiatorAmount}`,
        { stateAmount: String(state.amount), initiatorAmount: String(initiatorAmount) },
      );
    }
    if (
      isZeroHex(state.payer) ||
      isZeroHex(state.payee) ||
      state.payer.toLowerCase() === state.payee.toLowerCase()
    ) {
      throw new ProtocolError(
        "TRANSFER_REJECTED",
        `thread: payer ${state.payer} and payee ${state.payee} must be two non-zero addresses`,
      );
    }
    if (isZeroHex(state.threadId)) {
      throw new ProtocolError("TRANSFER_REJECTED", "thread: the thread id is zero");
    }
    if (expired(state.expiry, now)) {
      throw new ProtocolError(
        "TRANSFER_REJECTED",
        `thread: expiry ${state.expiry} is not after now (${now})`,
        { expiry: String(state.expiry), now },
      );
    }
  },

  resolve(balance, state, resolver, now, deployment): Balance {
    checkBalance(balance);
    checkState(state);
    checkResolver(resolver);
    checkNow(now);
    if (resolver.signature.length === 2) {
      if (resolver.amount !== 0n) {
        throw new ProtocolError(
          "RESOLVE_REJECTED",
          `thread: a cancel (no signature) must pay 0, not ${resolver.amount}`,
          { amount: String(resolver.amount) },
        );
      }
      return copyBalance(balance, [...balance.amount]); // cancelled, even after expiry
    }
    if (expired(state.expiry, now)) {
      throw new ProtocolError(
        "RESOLVE_REJECTED",
        `thread: the transfer expired at ${state.expiry}, now is ${now}`,
        { expiry: String(state.expiry), now },
      );
    }
    if (deployment === undefined) {
      throw new ProtocolError(
        "RESOLVE_REJECTED",
        "thread: a voucher is checked against the chain id and the definition's address, and no deployment was given",
      );
    }
    const voucher = { threadId: state.threadId, amount: resolver.amount };
    if (!signedByPayer(voucher, resolver.signature, state.payer, deployment)) {
      throw new ProtocolError(
        "RESOLVE_REJECTED",
        `thread: the voucher is not signed by the payer ${state.payer}`,
        { expectedSigner: state.payer },
      );
    }
    const [locked, held] = balance.amount;
    // min(resolver.amount, locked); bigints, so no Math.min.
    let paid = locked;
    if (resolver.amount < locked) paid = resolver.amount;
    if (held + paid > MAX_UINT256) {
      // The contract's checked `amount[1] + paid` panics.
      throw new ProtocolError("RESOLVE_REJECTED", "thread: the responder's amount overflows");
    }
    return copyBalance(balance, [locked - paid, held + paid]);
  },
});
