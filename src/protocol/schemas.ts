import { z } from "zod";
import { ProtocolError } from "./errors";
import { toChecksumAddress } from "./signatures";
import type { ChannelUpdate, FullChannelState, FullTransferState } from "./types";
import { UPDATE_TYPES } from "./types";

/**
 * Wire schemas for every protocol message (DESIGN §5): JSON, big numbers as decimal strings,
 * a protocol version, a size limit. Parsing returns the in-memory types (bigint amounts,
 * checksummed addresses, lowercase hex) or a ProtocolError; unknown fields are refused.
 */

export const PROTOCOL_VERSION = "1";
/** Largest message accepted, in bytes of UTF-8 JSON. */
export const MAX_MESSAGE_BYTES = 64 * 1024;
/**
 * Largest restore accepted: a channel's state with every active transfer (about 1 KiB each),
 * within NATS's default 1 MiB payload.
 */
export const MAX_RESTORE_BYTES = 1024 * 1024 - 1024;

const UINT256_MAX = 2n ** 256n - 1n;
const MAX_HEX_BYTES = 16 * 1024;

export const uint256 = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,77})$/, "a decimal string")
  .transform((value) => BigInt(value))
  .refine((value) => value <= UINT256_MAX, "at most 2^256 - 1");
const counter = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
export const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "a 20-byte 0x address")
  .transform((value) => toChecksumAddress(value));
export const bytes32 = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "32 bytes of 0x hex")
  .transform((value) => value.toLowerCase());
export const hexBytes = z
  .string()
  .max(2 + 2 * MAX_HEX_BYTES)
  .regex(/^0x([0-9a-fA-F]{2})*$/, "0x hex bytes")
  .transform((value) => value.toLowerCase());
export const signature = z
  .string()
  .regex(/^0x[0-9a-fA-F]{130}$/, "a 65-byte 0x signature")
  .transform((value) => value.toLowerCase());
/** Largest `meta` an update or transfer carries, in bytes of JSON. */
export const MAX_META_BYTES = 4096;
const meta = z
  .record(z.string().max(64), z.unknown())
  .refine((value) => jsonBytes(value) <= MAX_META_BYTES, `at most ${MAX_META_BYTES} bytes of JSON`);

export const balanceSchema = z.strictObject({
  to: z.tuple([address, address]),
  amount: z.tuple([uint256, uint256]),
});

export const networkContextSchema = z.strictObject({
  chainId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  channelFactoryAddress: address,
  channelMastercopyAddress: address,
  transferRegistryAddress: address,
});

const detailsSchemas = {
  setup: z.strictObject({ timeout: counter, networkContext: networkContextSchema }),
  deposit: z.strictObject({ totalDepositsAlice: uint256, totalDepositsBob: uint256 }),
  create: z.strictObject({
    transferId: bytes32,
    transferDefinition: address,
    transferBalance: balanceSchema,
    transferTimeout: counter,
    transferInitialState: hexBytes,
    merkleRoot: bytes32,
    meta: meta.optional(),
  }),
  resolve: z.strictObject({
    transferId: bytes32,
    transferDefinition: address,
    transferResolver: hexBytes,
    merkleRoot: bytes32,
    meta: meta.optional(),
  }),
  resume: z.strictObject({
    round: counter,
    defunds: z
      .array(
        z.strictObject({
          assetId: address,
          totalDepositsAlice: uint256,
          totalDepositsBob: uint256,
        }),
      )
      .max(64),
    disputedTransfers: z.array(bytes32).max(10_000),
    merkleRoot: bytes32,
  }),
} as const;

const updateFields = {
  channelAddress: address,
  fromIdentifier: address,
  toIdentifier: address,
  nonce: counter,
  assetId: address,
  balance: balanceSchema,
  aliceSignature: signature.optional(),
  bobSignature: signature.optional(),
};

export const channelUpdateSchema = z.discriminatedUnion(
  "type",
  UPDATE_TYPES.map((type) =>
    z.strictObject({ ...updateFields, type: z.literal(type), details: detailsSchemas[type] }),
  ) as unknown as [z.ZodObject, ...z.ZodObject[]],
);

export const channelStateSchema = z.strictObject({
  channelAddress: address,
  alice: address,
  bob: address,
  assetIds: z.array(address).max(64),
  balances: z.array(balanceSchema).max(64),
  processedDepositsA: z.array(uint256).max(64),
  processedDepositsB: z.array(uint256).max(64),
  defundNonces: z.array(uint256).max(64),
  timeout: counter,
  nonce: counter,
  merkleRoot: bytes32,
  networkContext: networkContextSchema,
  latestUpdate: channelUpdateSchema,
});

export const transferStateSchema = z.strictObject({
  channelAddress: address,
  transferId: bytes32,
  transferDefinition: address,
  initiator: address,
  responder: address,
  assetId: address,
  balance: balanceSchema,
  transferTimeout: counter,
  initialStateHash: bytes32,
  chainId: z.number().int().positive(),
  transferState: hexBytes,
  transferResolver: hexBytes.optional(),
  channelNonce: counter,
  meta: meta.optional(),
  resolveMeta: meta.optional(),
});

/** A proposed update, with the previous doubly-signed one for a responder one behind. */
export const updateMessageSchema = z.strictObject({
  protocolVersion: z.literal(PROTOCOL_VERSION),
  update: channelUpdateSchema,
  previousUpdate: channelUpdateSchema.optional(),
});

/** The latest doubly-signed state and the active transfers, for restore and sync. */
export const restoreMessageSchema = z.strictObject({
  protocolVersion: z.literal(PROTOCOL_VERSION),
  channel: channelStateSchema,
  activeTransfers: z.array(transferStateSchema).max(10_000),
});

/**
 * Transfers per restore page: a channel at the cap (DEFAULT_POLICY.maxActiveTransfers), each
 * transfer with up to MAX_META_BYTES of meta, comes back in a handful of replies that each fit
 * MAX_RESTORE_BYTES.
 */
export const RESTORE_PAGE_TRANSFERS = 64;

/**
 * One page of a restore: the latest doubly-signed state, `totalTransfers` active transfers in
 * all, and those from position `offset` in tree order.
 */
export const restorePageSchema = z.strictObject({
  protocolVersion: z.literal(PROTOCOL_VERSION),
  channel: channelStateSchema,
  activeTransfers: z.array(transferStateSchema).max(RESTORE_PAGE_TRANSFERS),
  offset: counter,
  totalTransfers: counter.max(10_000),
});

export interface RestorePage extends RestoreMessage {
  offset: number;
  totalTransfers: number;
}

export interface UpdateMessage {
  protocolVersion: typeof PROTOCOL_VERSION;
  update: ChannelUpdate;
  previousUpdate?: ChannelUpdate;
}

export interface RestoreMessage {
  protocolVersion: typeof PROTOCOL_VERSION;
  channel: FullChannelState;
  activeTransfers: FullTransferState[];
}

/**
 * JSON for the wire, bigints as decimal strings: the one encoder of every message, request
 * and reply both sides send (DESIGN §5).
 */
export function encodeWire(value: unknown): string {
  return JSON.stringify(value, (_key, item) =>
    typeof item === "bigint" ? item.toString(10) : item,
  );
}

/** A channel message for the wire (`encodeWire`, typed). */
export function encodeMessage(message: UpdateMessage | RestoreMessage | RestorePage): string {
  return encodeWire(message);
}

/**
 * Parses a raw message against `schema`: size first, then JSON, then shape. Every failure is
 * a ProtocolError naming what was wrong.
 */
export function decodeMessage<T>(
  schema: z.ZodType<unknown>,
  raw: string | Uint8Array,
  maxBytes: number = MAX_MESSAGE_BYTES,
): T {
  const size = byteLength(raw, maxBytes);
  if (size > maxBytes) {
    throw new ProtocolError("MESSAGE_TOO_LARGE", `expected at most ${maxBytes} bytes, got ${size}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(typeof raw === "string" ? raw : new TextDecoder().decode(raw));
  } catch {
    throw new ProtocolError("MALFORMED_MESSAGE", "the message is not JSON");
  }
  if (
    json &&
    typeof json === "object" &&
    "protocolVersion" in json &&
    json.protocolVersion !== PROTOCOL_VERSION
  ) {
    throw new ProtocolError(
      "UNSUPPORTED_PROTOCOL_VERSION",
      `expected protocol version ${PROTOCOL_VERSION}, got ${String(json.protocolVersion)}`,
    );
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join(".") : "message";
    throw new ProtocolError("MALFORMED_MESSAGE", `${where}: ${issue?.message ?? "invalid"}`, {
      issues: parsed.error.issues
        .slice(0, 5)
        .map((i) => ({ path: i.path.join("."), message: i.message })),
    });
  }
  return parsed.data as T;
}

export const decodeUpdateMessage = (raw: string | Uint8Array) =>
  decodeMessage<UpdateMessage>(updateMessageSchema, raw);
export const decodeRestoreMessage = (raw: string | Uint8Array) =>
  decodeMessage<RestoreMessage>(restoreMessageSchema, raw, MAX_RESTORE_BYTES);

/** Bytes of `value` as JSON (bigints as decimal strings, as on the wire). */
function jsonBytes(value: unknown): number {
  return byteLength(encodeWire(value) ?? "", MAX_META_BYTES);
}

/**
 * UTF-8 size, or a lower bound when that is surely within `limit` (a UTF-16 unit is at most
 * 3 UTF-8 bytes), so short strings are not encoded just to be measured.
 */
function byteLength(raw: string | Uint8Array, limit: number): number {
  if (typeof raw !== "string") return raw.byteLength;
  if (raw.length * 3 <= limit) return raw.length;
  return new TextEncoder().encode(raw).byteLength;
}
