import { sql } from "drizzle-orm";
import {
  bigint,
  index,
  integer,
  json,
  numeric,
  pgTable,
  primaryKey,
  serial,
  text,
  timestamp,
} from "drizzle-orm/pg-core";

/**
 * The node's tables (issue 5 §4). Amounts are numeric(78,0) — wide enough for any uint256 —
 * and protocol values inside json keep bigints as decimal strings (the wire encoding), so
 * nothing is rounded through a JavaScript number. Only SQL that PostgreSQL 15 and PGlite both
 * accept.
 *
 * Documents are `json`, not `jsonb`: every update writes a channel state, its update and a
 * transfer whole and they are read back whole, never searched inside; jsonb's conversion to
 * its binary form on the way in and back to text on the way out cost more than the queries
 * around them (on PGlite: 2–3× an update of the same text, 4× a read).
 */

const uint256 = (name: string) => numeric(name, { precision: 78, scale: 0 });
const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp("updated_at", { withTimezone: true }).notNull().defaultNow();

/** One row per channel: its latest doubly-signed state. */
export const channels = pgTable("channels", {
  address: text("address").primaryKey(),
  alice: text("alice").notNull(),
  bob: text("bob").notNull(),
  chainId: bigint("chain_id", { mode: "number" }).notNull(),
  latestNonce: integer("latest_nonce").notNull(),
  /** FullChannelState, wire-encoded. */
  latestState: json("latest_state").notNull(),
  updatedAt: updatedAt(),
});

/** Append-only history of doubly-signed updates; the key refuses a nonce twice. */
export const channelUpdates = pgTable(
  "channel_updates",
  {
    channelAddress: text("channel_address")
      .notNull()
      .references(() => channels.address),
    nonce: integer("nonce").notNull(),
    type: text("type").notNull(),
    /** ChannelUpdate, wire-encoded. */
    update: json("update").notNull(),
    createdAt: createdAt(),
  },
  (table) => [primaryKey({ columns: [table.channelAddress, table.nonce] })],
);

/** disputed: left the channel at a resume, settled on-chain in a dispute (DESIGN §4.7). */
export const TRANSFER_STATUSES = ["active", "resolved", "disputed"] as const;

export const transfers = pgTable(
  "transfers",
  {
    transferId: text("transfer_id").primaryKey(),
    channelAddress: text("channel_address")
      .notNull()
      .references(() => channels.address),
    transferDefinition: text("transfer_definition").notNull(),
    initiator: text("initiator").notNull(),
    responder: text("responder").notNull(),
    assetId: text("asset_id").notNull(),
    initiatorAmount: uint256("initiator_amount").notNull(),
    responderAmount: uint256("responder_amount").notNull(),
    /** FullTransferState, wire-encoded (including the resolver once resolved). */
    state: json("state").notNull(),
    resolver: text("resolver"),
    status: text("status", { enum: TRANSFER_STATUSES }).notNull(),
    /** Leaf index in the channel's merkle tree while active; null once resolved. */
    position: integer("position"),
    createdNonce: integer("created_nonce").notNull(),
    resolvedNonce: integer("resolved_nonce"),
    meta: json("meta"),
    createdAt: createdAt(),
    resolvedAt: timestamp("resolved_at", { withTimezone: true }),
  },
  (table) => [
    index("transfers_active_idx")
      .on(table.channelAddress, table.position)
      .where(sql`${table.status} = 'active'`),
  ],
);

export const PAYMENT_STATUSES = ["pending", "completed", "cancelled", "failed"] as const;

/** A routed payment (DESIGN §4.6): the payer's transfer and its mirror in the payee's channel. */
export const payments = pgTable(
  "payments",
  {
    paymentId: text("payment_id").primaryKey(),
    senderTransferId: text("sender_transfer_id").notNull(),
    recipientTransferId: text("recipient_transfer_id"),
    sender: text("sender").notNull(),
    recipient: text("recipient").notNull(),
    assetId: text("asset_id").notNull(),
    amount: uint256("amount").notNull(),
    /** sha256 of the pre-image both transfers lock on. */
    lockHash: text("lock_hash").notNull(),
    /** The payer's transfer expiry, unix seconds; the node cancels what is not done before. */
    expiry: bigint("expiry", { mode: "number" }).notNull(),
    status: text("status", { enum: PAYMENT_STATUSES }).notNull(),
    /**
     * The highest channel nonce at which the node signed a mirror of this payment, and that
     * mirror's expiry. A signed mirror stays live until the payee's channel holds a
     * doubly-signed update past that nonce, or the mirror expires: until then the payer is not
     * refunded (DESIGN §4.6).
     */
    mirrorNonce: integer("mirror_nonce"),
    mirrorExpiry: bigint("mirror_expiry", { mode: "number" }),
    /** The pre-image, once the payee revealed it on-chain (a mirror claimed in a dispute). */
    preImage: text("pre_image"),
    /** Why a payment was cancelled or failed. */
    error: text("error"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    index("payments_status_idx").on(table.status),
    index("payments_sender_transfer_idx").on(table.senderTransferId),
    index("payments_recipient_transfer_idx").on(table.recipientTransferId),
    // Collateral follows a payee's demand, read before every top-up: its payments by asset
    // completed within the demand window, and those waiting to be forwarded.
    index("payments_recipient_asset_idx").on(table.recipient, table.assetId, table.updatedAt),
    index("payments_waiting_idx")
      .on(table.recipient, table.assetId)
      .where(sql`${table.status} = 'pending' and ${table.recipientTransferId} is null`),
  ],
);

export const ONCHAIN_STATUSES = ["pending", "submitted", "mined", "failed"] as const;

export const onchainTransactions = pgTable(
  "onchain_transactions",
  {
    id: serial("id").primaryKey(),
    channelAddress: text("channel_address"),
    /** e.g. deploy, deposit, withdraw, dispute. */
    purpose: text("purpose").notNull(),
    /** The sending account and the nonce it used. */
    fromAddress: text("from_address"),
    nonce: integer("nonce"),
    transactionHash: text("transaction_hash"),
    attempts: integer("attempts").notNull().default(0),
    status: text("status", { enum: ONCHAIN_STATUSES }).notNull(),
    error: text("error"),
    /** Gas the transaction used, from its receipt (mined, or reverted on-chain). */
    gasUsed: uint256("gas_used"),
    /**
     * Several node processes on one key (DESIGN §3): the signed transaction, written before it
     * is broadcast while its row is still `pending`, so that the next sender can broadcast it
     * again when the process that signed it died before it could say it was out.
     */
    rawTransaction: text("raw_transaction"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    index("onchain_transactions_channel_idx").on(table.channelAddress),
    // Read at every sender turn with several node processes: only rows a dead sender left.
    index("onchain_transactions_unconfirmed_idx")
      .on(table.fromAddress)
      .where(sql`${table.status} = 'pending' and ${table.rawTransaction} is not null`),
  ],
);

/** Just-in-time collateral per asset: top up to `target` below `threshold`, reclaim above. */
export const collateralSettings = pgTable("collateral_settings", {
  assetId: text("asset_id").primaryKey(),
  target: uint256("target").notNull(),
  threshold: uint256("threshold").notNull(),
  reclaimThreshold: uint256("reclaim_threshold").notNull(),
  updatedAt: updatedAt(),
});

/**
 * Users' public keys, learnt from their signed auth nonce: a payer encrypts the pre-image to
 * the payee's key, and checks that it hashes to the payee's address.
 */
export const identities = pgTable("identities", {
  address: text("address").primaryKey(),
  publicKey: text("public_key").notNull(),
  createdAt: createdAt(),
});

/**
 * Channels with a dispute on record on-chain, as the dispute watcher saw them: the node signs
 * no update on these (DESIGN §4.7) and carries their dispute through.
 */
export const channelDisputes = pgTable("channel_disputes", {
  channelAddress: text("channel_address").primaryKey(),
  /** The block of the latest ChannelDisputed event seen. */
  firstBlock: bigint("first_block", { mode: "number" }).notNull(),
  /** The dispute round a resume update moved the channel past; null while in dispute. */
  resumedRound: integer("resumed_round"),
  createdAt: createdAt(),
});

/** How far a chain log scanner has read, by scanner name: it resumes from here. */
export const chainCursors = pgTable("chain_cursors", {
  name: text("name").primaryKey(),
  block: bigint("block", { mode: "number" }).notNull(),
  updatedAt: updatedAt(),
});

/**
 * Cross-process channel locks as leases (issue 11; src/node/store/channelLeases.ts): a row per
 * channel being updated, whose owner (a node process) renews it until it is done. A lease whose
 * expiry passed, by the database's clock, may be taken over: its holder crashed or was cut off.
 * Created UNLOGGED (by hand in drizzle/0004_channel_leases.sql: drizzle-kit does not model
 * it): no WAL flush on the hot path.
 */
export const channelLeases = pgTable("channel_leases", {
  /** The channel address, lowercase. */
  channelKey: text("channel_key").primaryKey(),
  owner: text("owner").notNull(),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
});

/**
 * One row per sending account when several node processes share a key (DESIGN §3,
 * src/node/store/senderTurns.ts): its row lock lets one process at a time pick a nonce and
 * broadcast, and `next_nonce` is the nonce the last of them left for the next (null: ask the
 * chain).
 */
export const transactionSenders = pgTable("transaction_senders", {
  /** The account, lowercase. */
  address: text("address").primaryKey(),
  nextNonce: integer("next_nonce"),
  updatedAt: updatedAt(),
});

/**
 * Withdrawal commitments the node holds both signatures of (a user's withdrawal it
 * countersigned, or its own reclaim the user countersigned) and has not seen executed yet:
 * sent, and sent again with a back-off, until the chain says executed; then the row goes.
 * What is still pending, never the history, so the retry query stays small (issue 11).
 */
export const pendingWithdrawals = pgTable(
  "pending_withdrawals",
  {
    transferId: text("transfer_id").primaryKey(),
    channelAddress: text("channel_address").notNull(),
    /** Sends that failed so far: the next one waits longer. */
    attempts: integer("attempts").notNull().default(0),
    /** When it may be sent (again); a send in progress holds it this far ahead. */
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull().defaultNow(),
    lastError: text("last_error"),
    createdAt: createdAt(),
  },
  (table) => [index("pending_withdrawals_next_attempt_idx").on(table.nextAttemptAt)],
);
