import { z } from "zod";
import { ProtocolError } from "./errors";
import {
  address,
  bytes32,
  channelUpdateSchema,
  decodeMessage,
  encodeWire,
  hexBytes,
  PROTOCOL_VERSION,
  uint256,
} from "./schemas";
import type { Address, ChannelUpdate } from "./types";

/**
 * The client–node messaging contract (DESIGN §5): subjects, the reply envelope, and the
 * schemas of every request, event and routing field. Node and client both build and parse
 * messages only through here.
 *
 * Subjects are `connext.<to>.<from>.<method>` with lowercase addresses. A user's requests to
 * its node go to `connext.<node>.<user>.<method>`; the node's to the user go to
 * `connext.<user>.<node>.<method>`. Replies travel through inboxes under `_inbox.<user>`.
 */

/** Methods a user calls on its node. */
export const NODE_METHODS = ["update", "restore", "sync", "collateral"] as const;
export type NodeMethod = (typeof NODE_METHODS)[number];
/** Methods the node calls on a user: a proposal (request) and events (no reply). */
export const USER_METHODS = ["update", "event"] as const;
export type UserMethod = (typeof USER_METHODS)[number];

/** Node processes sharing one NATS serve users' requests as one queue group. */
export const NODE_QUEUE_GROUP = "connext-node";

export function subjectFor(to: Address, from: Address, method: string): string {
  return `connext.${to.toLowerCase()}.${from.toLowerCase()}.${method}`;
}

/** Every user request to `node`, for its subscription. */
export function nodeRequestsSubject(node: Address): string {
  return `connext.${node.toLowerCase()}.*.*`;
}

export function inboxPrefixFor(user: Address): string {
  return `_inbox.${user.toLowerCase()}`;
}

/** `connext.<to>.<from>.<method>` split up; undefined for anything else. */
export function parseSubject(
  subject: string,
): { to: string; from: string; method: string } | undefined {
  const parts = subject.split(".");
  if (parts.length !== 4 || parts[0] !== "connext") return undefined;
  const [, to, from, method] = parts as [string, string, string, string];
  if (!/^0x[0-9a-f]{40}$/.test(to) || !/^0x[0-9a-f]{40}$/.test(from)) return undefined;
  return { to, from, method };
}

// ---- requests -------------------------------------------------------------------------------

const version = z.literal(PROTOCOL_VERSION);

/**
 * A restore page: the first without `nonce`; the next ones name the nonce of the first so that
 * a channel that moved on in between is noticed (STALE_NONCE) and the restore starts over.
 */
export const restoreRequestSchema = z.strictObject({
  protocolVersion: version,
  nonce: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
  offset: z.number().int().nonnegative().max(10_000).optional(),
});
export interface RestoreRequest {
  protocolVersion: typeof PROTOCOL_VERSION;
  nonce?: number;
  offset?: number;
}

/** A user's hello: the latest update it holds, so that whoever is one behind catches up. */
export const syncRequestSchema = z.strictObject({
  protocolVersion: version,
  latestUpdate: channelUpdateSchema.optional(),
});
export interface SyncRequest {
  protocolVersion: typeof PROTOCOL_VERSION;
  latestUpdate?: ChannelUpdate;
}
export interface SyncResult {
  /** The node's latest doubly-signed update; absent when it has no channel with the user. */
  latestUpdate?: ChannelUpdate;
}
export const syncResultSchema = z.strictObject({ latestUpdate: channelUpdateSchema.optional() });

export const collateralRequestSchema = z.strictObject({
  protocolVersion: version,
  assetId: address,
});

// ---- replies --------------------------------------------------------------------------------

export interface ReplyError {
  code: string;
  message: string;
  /** With STALE_NONCE: the replier's latest doubly-signed update, to catch up from. */
  latestUpdate?: ChannelUpdate;
}

export type Reply<T> =
  | { protocolVersion: typeof PROTOCOL_VERSION; ok: true; result: T }
  | { protocolVersion: typeof PROTOCOL_VERSION; ok: false; error: ReplyError };

const replyErrorSchema = z.strictObject({
  code: z.string().max(64),
  message: z.string().max(2048),
  latestUpdate: channelUpdateSchema.optional(),
});

/** The one wire encoder (schemas.ts), here beside the replies it encodes. */
export { encodeWire };

export function okReply<T>(result: T): string {
  return encodeWire({ protocolVersion: PROTOCOL_VERSION, ok: true, result });
}

export function errorReply(error: ReplyError): string {
  return encodeWire({ protocolVersion: PROTOCOL_VERSION, ok: false, error });
}

/**
 * Parses a reply: the result through `resultSchema`, or a ReplyError. Malformed replies are a
 * ProtocolError, like any other malformed message.
 */
export function decodeReply<T>(
  raw: string | Uint8Array,
  resultSchema: z.ZodType<unknown>,
  maxBytes?: number,
): { ok: true; result: T } | { ok: false; error: ReplyError } {
  const schema = z.discriminatedUnion("ok", [
    z.strictObject({ protocolVersion: version, ok: z.literal(true), result: resultSchema }),
    z.strictObject({ protocolVersion: version, ok: z.literal(false), error: replyErrorSchema }),
  ]);
  const reply = decodeMessage<{ ok: boolean; result?: T; error?: ReplyError }>(
    schema,
    raw,
    maxBytes,
  );
  return reply.ok
    ? { ok: true, result: reply.result as T }
    : { ok: false, error: reply.error as ReplyError };
}

export function decodeRequest<T>(raw: string | Uint8Array, schema: z.ZodType<unknown>): T {
  return decodeMessage<T>(schema, raw);
}

export const emptyResultSchema = z.strictObject({});
export const updateResultSchema = z.strictObject({ update: channelUpdateSchema });

// ---- routing metadata -----------------------------------------------------------------------

/** At most this much ciphertext rides in a transfer's meta. */
const MAX_CIPHERTEXT_BYTES = 512;
const ciphertext = hexBytes.refine(
  (value) => value.length <= 2 + 2 * MAX_CIPHERTEXT_BYTES,
  `at most ${MAX_CIPHERTEXT_BYTES} bytes`,
);

/** `meta.routing` of a payer's hashlock transfer to the node (DESIGN §4.6). */
export const payerRoutingSchema = z.strictObject({
  paymentId: bytes32,
  recipient: address,
  /**
   * The payment's terms, signed by the payer and encrypted to the recipient's public key
   * (`src/client/crypto/paymentTerms.ts`: 359 bytes, 391 with the pre-image of a plain
   * `transfer()`). The node copies it into the mirror unread; the payee claims only a mirror
   * that matches it.
   */
  encryptedTerms: ciphertext.optional(),
  /** An older payer's pre-image encrypted to the recipient (no terms: payees do not claim it). */
  encryptedPreImage: ciphertext.optional(),
});
export type PayerRouting = z.output<typeof payerRoutingSchema>;

/** `meta.routing` of the node's mirror transfer to the payee. */
export const payeeRoutingSchema = z.strictObject({
  paymentId: bytes32,
  /** Who the node says paid; the payee trusts only the sender its terms name. */
  sender: address,
  encryptedTerms: ciphertext.optional(),
  encryptedPreImage: ciphertext.optional(),
});
export type PayeeRouting = z.output<typeof payeeRoutingSchema>;

/** `meta.withdraw` of a Withdraw transfer: where the commitment pays out. */
export const withdrawMetaSchema = z.strictObject({ recipient: address });

/** Parses `meta[key]` with `schema`, or undefined when absent; a bad one is MALFORMED_MESSAGE. */
export function readMeta<T>(
  meta: Record<string, unknown> | undefined,
  key: string,
  schema: z.ZodType<T>,
): T | undefined {
  const value = meta?.[key];
  if (value === undefined) return undefined;
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ProtocolError(
      "MALFORMED_MESSAGE",
      `meta.${key}.${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`,
    );
  }
  return parsed.data;
}

// ---- events (node → user, no reply) ---------------------------------------------------------

export const PAYMENT_EVENT_STATUSES = ["pending", "completed", "cancelled", "failed"] as const;

export const nodeEventSchema = z.discriminatedUnion("event", [
  z.strictObject({
    protocolVersion: version,
    event: z.literal("payment"),
    paymentId: bytes32,
    status: z.enum(PAYMENT_EVENT_STATUSES),
    reason: z.string().max(512).optional(),
  }),
  z.strictObject({
    protocolVersion: version,
    event: z.literal("withdraw"),
    transferId: bytes32,
    transactionHash: bytes32.optional(),
    status: z.enum(["confirmed", "failed"]),
    reason: z.string().max(512).optional(),
  }),
  z.strictObject({
    protocolVersion: version,
    event: z.literal("collateral"),
    assetId: address,
    amount: uint256,
  }),
]);
export type NodeEvent = z.output<typeof nodeEventSchema>;

export function encodeEvent(event: DistributiveOmit<NodeEvent, "protocolVersion">): string {
  return encodeWire({ protocolVersion: PROTOCOL_VERSION, ...event });
}

/** `Omit` applied to each member of a union (a message without its `protocolVersion`). */
export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
