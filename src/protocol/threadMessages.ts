import { z } from "zod";
import type { DistributiveOmit } from "./messaging";
import {
  bytes32,
  decodeMessage,
  encodeWire,
  PROTOCOL_VERSION,
  signature,
  uint256,
} from "./schemas";

/**
 * What a thread's payer and payee say to each other directly (DESIGN §4.8), on
 * `connext.<payee>.<payer>.voucher` as a request whose reply comes back in the payer's inbox.
 * The node never sees these: it learns a voucher only when the payee resolves its lock.
 *
 * - `open`: is the thread ready on your side? The payee answers once it holds the node's lock
 *   (with its amount and expiry, so the payer sees the node locked what it did) and with the
 *   latest voucher it holds.
 * - `voucher`: a cumulative voucher, signed by the payer. Acknowledged only once stored.
 * - `close`: the payer's highest voucher, and a request that the payee close the thread: it
 *   resolves the node's lock with the higher of this voucher and its own, and answers once
 *   that resolve is stored in its channel.
 */

/** Largest thread message, in bytes of JSON: a voucher is about 250. */
export const MAX_THREAD_MESSAGE_BYTES = 1024;

const version = z.literal(PROTOCOL_VERSION);

/** A voucher on the wire: the cumulative amount the payer has paid, with its signature. */
export const wireVoucherSchema = z.strictObject({
  amount: uint256,
  signature,
});
export interface WireVoucher {
  amount: bigint;
  signature: string;
}

export const threadMessageSchema = z.discriminatedUnion("type", [
  z.strictObject({ protocolVersion: version, type: z.literal("open"), threadId: bytes32 }),
  z.strictObject({
    protocolVersion: version,
    type: z.literal("voucher"),
    threadId: bytes32,
    voucher: wireVoucherSchema,
  }),
  z.strictObject({
    protocolVersion: version,
    type: z.literal("close"),
    threadId: bytes32,
    voucher: wireVoucherSchema.optional(),
  }),
]);
export type ThreadMessage = z.output<typeof threadMessageSchema>;

/** The payee's answer to every thread message: where the thread stands on its side. */
export const threadReplySchema = z.strictObject({
  /** What the node locked for the payee. */
  lock: uint256,
  /** Unix seconds: the payee's lock's expiry. */
  expiry: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  /** The latest voucher the payee holds (absent: none yet). */
  latest: wireVoucherSchema.optional(),
  /** Whether the payee's lock is resolved (after a close). */
  closed: z.boolean(),
});
export interface ThreadReply {
  lock: bigint;
  expiry: number;
  latest?: WireVoucher;
  closed: boolean;
}

/** Why a payee refuses a thread message (the reply's `error.code`). */
export const THREAD_REFUSALS = [
  /** No thread with this id from this payer in the payee's channel (yet). */
  "THREAD_UNKNOWN",
  /** The thread is closing or closed: no more vouchers. */
  "THREAD_CLOSED",
  /** The signature is not the payer's over this thread's voucher. */
  "VOUCHER_FORGED",
  /** Lower than the latest voucher held: the reply's `latest` is that one. */
  "VOUCHER_STALE",
  /** The very voucher the payee holds already: nothing changes. */
  "VOUCHER_REPLAYED",
  /** More than the node locked for the payee. */
  "VOUCHER_ABOVE_LOCK",
] as const;
export type ThreadRefusal = (typeof THREAD_REFUSALS)[number];

/** A thread message for the wire, through the protocol's one encoder. */
export function encodeThreadMessage(
  message: DistributiveOmit<ThreadMessage, "protocolVersion">,
): string {
  return encodeWire({ protocolVersion: PROTOCOL_VERSION, ...message });
}

/** Parses a payer's message: size, JSON, shape; a ProtocolError names what is wrong. */
export function decodeThreadMessage(raw: Uint8Array | string): ThreadMessage {
  return decodeMessage<ThreadMessage>(threadMessageSchema, raw, MAX_THREAD_MESSAGE_BYTES);
}
