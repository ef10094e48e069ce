import { PROTOCOL_ERROR_CODES, type ProtocolErrorCode } from "../protocol/errors";
import { THREAD_REFUSALS } from "../protocol/threadMessages";
// Types only: those modules' error classes extend ClientError (no import cycle at run time).
import type { ClientChainErrorCode } from "./chain/errors";
import type { CryptoErrorCode } from "./crypto/errors";
import type { ClientStoreErrorCode } from "./store/errors";

/** What the client library refuses or fails at; protocol errors keep their own codes. */
export const CLIENT_ERROR_CODES = [
  "NODE_UNREACHABLE",
  "NODE_ERROR",
  "AUTH_FAILED",
  "WRONG_CHAIN",
  /**
   * The chain at `connect`'s `ethRpcUrl` does not answer (refused, unknown host, no answer in
   * time): `context.ethRpcUrl`, `context.cause`.
   */
  "CHAIN_UNREACHABLE",
  /**
   * An argument of a public method has the wrong type or form (an amount that is not a bigint,
   * an address that is not 20 bytes of hex…): nothing was done. `context.argument` names it.
   */
  "INVALID_ARGUMENT",
  "CHANNEL_NOT_READY",
  "UNKNOWN_RECIPIENT",
  "RECIPIENT_KEY_MISMATCH",
  "INVALID_AMOUNT",
  "INSUFFICIENT_BALANCE",
  "TIMEOUT",
  "CLOSED",
  "UNSUPPORTED_ASSET",
  "UNKNOWN_TRANSFER",
  /**
   * More than one active transfer to us carries the payment id `resolveTransfer` was given
   * (a node that mirrored one payment twice): resolve by transfer id. `context.transferIds`.
   */
  "PAYMENT_AMBIGUOUS",
  "DECRYPTION_FAILED",
  "WITHDRAW_FAILED",
  /** A withdrawal below the node's minimum for the asset (`context.minimum`): nothing was signed. */
  "WITHDRAWAL_TOO_SMALL",
  /**
   * The node's withdrawal fee is above `withdraw()`'s `maxFee` (default a tenth of the amount):
   * nothing was signed. `context.fee`, `context.maxFee`.
   */
  "WITHDRAWAL_FEE_TOO_HIGH",
  /**
   * A withdrawal is not executed on-chain yet after `withdraw()`'s timeout: the client keeps
   * its commitment, keeps watching, and sends it itself once the node's time is up
   * (`withdraw.confirmed` tells when it is executed). `context.transferId`.
   */
  "WITHDRAW_PENDING",
  /** A payment id was reused with other terms (a retry must be the same payment). */
  "PAYMENT_ID_REUSED",
  /** `resolveTransfer`'s pre-image does not open the transfer's lock (sha256): nothing was revealed. */
  "WRONG_PRE_IMAGE",
  /** Revealing a pre-image now would leave no room to claim the transfer on-chain. */
  "EXPIRY_UNSAFE",
  /**
   * A payment to us does not match the terms its payer signed (amount, asset, lock, expiry,
   * sender, payment id or meta), or they do not verify: its pre-image is not revealed and the
   * payment is cancelled. `context.transferId`, `context.paymentId`, `context.reason`.
   */
  "PAYMENT_TERMS_MISMATCH",
  /**
   * A payment to us carries an encrypted pre-image without its payer's signed terms (an older
   * payer): nothing says what it should pay, so it is not claimed and is cancelled.
   */
  "PAYMENT_TERMS_MISSING",
  /** A payment's id, lock hash, recipient or expiry is malformed: nothing was signed or sent. */
  "INVALID_PAYMENT",
  /**
   * A payment's `meta` is not a plain object of JSON values (an `undefined`, a `Date`, a `NaN`
   * would not arrive as sent): nothing was signed or sent.
   */
  "INVALID_META",
  /**
   * A payment's `meta` is more than MAX_APP_META_BYTES (3072) bytes of JSON: nothing was signed
   * or sent. `context.bytes`, `context.maxBytes`.
   */
  "META_TOO_LARGE",
  /** The node's sign-in message names another site, chain, node or address: not signed. */
  "WRONG_DOMAIN",
  "WRONG_ADDRESS",
  "WRONG_NODE",
  "INVALID_MESSAGE",
  /**
   * The account cannot pay for a dispute step's gas: `context.account`, `context.shortfall`
   * (wei), `context.balance`, `context.cost`, `context.step`.
   */
  "INSUFFICIENT_GAS",
  /** A dispute step would revert if sent now (the chain moved on, or the step is not possible). */
  "DISPUTE_STEP_REVERTS",
  /** A dispute step's transaction reverted, or was sent too many times without being mined. */
  "DISPUTE_STEP_FAILED",
  /**
   * The state on record is not our latest and can no longer be replaced: the client takes
   * what the chain makes exitable for it and keeps the channel closed.
   */
  "DISPUTED_STATE_NOT_OURS",
  /**
   * A thread's payee is not connected to the node's messaging: nothing was paid (or closed);
   * try again when it is back. `context.payee`.
   */
  "PAYEE_OFFLINE",
  /** A thread's `pay` would pay more than its lock: nothing was signed. `context.remaining`. */
  "THREAD_EXHAUSTED",
  /**
   * A voucher's acknowledgement did not arrive in time: the payee may hold it. The thread asks
   * the payee before the next voucher, and `thread.paid` says what it holds.
   */
  "VOUCHER_UNCONFIRMED",
  // A thread's payee refuses with one of these (DESIGN §4.8): no such thread from us, closing
  // or closed, a voucher forged, lower than or equal to the one held, or above the lock.
  ...THREAD_REFUSALS,
] as const;

/**
 * Codes the node refuses a request with, which the client passes on as they are (the node's
 * engine, its HTTP API and its store); `ClientError.code` is one of these, one of the
 * protocol's (`PROTOCOL_ERROR_CODES`) or one of the client's own. A code the node sends that
 * is not listed arrives as NODE_ERROR with `context.nodeCode`.
 */
export const NODE_REFUSAL_CODES = [
  // The engine (NATS replies).
  "PEER_UNAVAILABLE",
  "PEER_REJECTED",
  "PAYMENT_EXISTS",
  "EXPIRY_TOO_SOON",
  "EXPIRY_TOO_LATE",
  "PAYMENT_NOT_PENDING",
  "CLAIM_TOO_LATE",
  "WITHDRAW_MISMATCH",
  "WITHDRAWAL_FEE_REQUIRED",
  "UNSUPPORTED_TRANSFER",
  "NOT_PERMITTED",
  "COLLATERAL_FAILED",
  "RATE_LIMITED",
  "COLLATERAL_NOT_JUSTIFIED",
  "SHUTTING_DOWN",
  "INTERNAL",
  "UNKNOWN_METHOD",
  // The HTTP API.
  "CHANNEL_NOT_FOUND",
  "IDENTITY_NOT_FOUND",
  "INVALID_TOKEN",
  "MALFORMED_REQUEST",
  "NOT_FOUND",
  "PAYLOAD_TOO_LARGE",
  "UNAUTHORIZED",
  "UNKNOWN_CHANNEL",
  // The node's store.
  "NONCE_NOT_SEQUENTIAL",
  "CORRUPT_RECORD",
  "MIGRATION_FAILED",
  "LEASE_LOST",
] as const;

/** Every code a `ClientError` can carry: a closed list, so a `switch` over it is checked. */
export type ClientErrorCode =
  | (typeof CLIENT_ERROR_CODES)[number]
  | ClientChainErrorCode
  | ClientStoreErrorCode
  | CryptoErrorCode
  | ProtocolErrorCode
  | (typeof NODE_REFUSAL_CODES)[number];

const KNOWN_CODES: ReadonlySet<string> = new Set<string>([
  ...CLIENT_ERROR_CODES,
  ...PROTOCOL_ERROR_CODES,
  ...NODE_REFUSAL_CODES,
]);

/**
 * Whether `code` is one a `ClientError` carries (the node's word is checked against it).
 *
 * @example
 * isClientErrorCode("RATE_LIMITED"); // true
 */
export function isClientErrorCode(code: string): code is ClientErrorCode {
  return KNOWN_CODES.has(code);
}

export interface ClientErrorOptions {
  /** The error this one comes from (a transport failure, the node's refusal). */
  cause?: unknown;
}

/**
 * The one error the client library throws (viem's shape): `code` from a closed list,
 * `shortMessage` what went wrong in one line, `details` the underlying reason when there is
 * one, `context` the values that matter for it, `cause` the error behind it.
 *
 * @example
 * try {
 *   await client.transfer({ recipient, assetId, amount: 10n ** 18n });
 * } catch (error) {
 *   if (isClientError(error, "INSUFFICIENT_BALANCE")) console.log(error.shortMessage);
 *   else throw error;
 * }
 */
export class ClientError extends Error {
  override readonly name: string = "ClientError";
  readonly shortMessage: string;
  readonly details: string | undefined;

  constructor(
    readonly code: ClientErrorCode,
    message: string,
    readonly context: Record<string, unknown> = {},
    options: ClientErrorOptions = {},
  ) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.shortMessage = message;
    this.details = detailsOf(options.cause);
  }
}

/**
 * The node's refusal as a ClientError: its code when it is one we know, else NODE_ERROR with
 * the node's code in `context.nodeCode` (a node cannot put an arbitrary code in our errors).
 *
 * @example
 * if (!reply.ok) throw nodeRefusal(reply.error.code, reply.error.message);
 */
export function nodeRefusal(
  code: string,
  message: string,
  context: Record<string, unknown> = {},
): ClientError {
  if (isClientErrorCode(code)) return new ClientError(code, message, context);
  return new ClientError("NODE_ERROR", message, { ...context, nodeCode: code.slice(0, 64) });
}

/**
 * Whether `error` is a ClientError (with `code`, when given).
 *
 * @example
 * if (isClientError(error, "WITHDRAW_PENDING")) waitForEvent("withdraw.confirmed");
 */
export function isClientError(error: unknown, code?: ClientErrorCode): error is ClientError {
  return error instanceof ClientError && (code === undefined || error.code === code);
}

function detailsOf(cause: unknown): string | undefined {
  if (cause === undefined) return undefined;
  return cause instanceof Error ? cause.message : String(cause);
}
