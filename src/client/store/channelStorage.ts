import { z } from "zod";
import {
  type ChannelView,
  type FullChannelState,
  type FullTransferState,
  isProtocolError,
  PROTOCOL_VERSION,
  transfersInTreeOrder,
  type UpdateContext,
  validateRestore,
} from "../../protocol";
import { encodeWire } from "../../protocol/messaging";
import { channelStateSchema, transferStateSchema } from "../../protocol/schemas";
import { decodeChannelRecord } from "./channelRecord";
import { ClientStoreError } from "./errors";
import type { ClientStore } from "./types";

const counter = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/**
 * The channel's head record: the latest doubly-signed state, how many active transfers it
 * has, and at most one of them inline. Its size does not grow with the number of transfers.
 */
const headSchema = z.strictObject({
  version: z.literal(2),
  protocolVersion: z.literal(PROTOCOL_VERSION),
  channel: channelStateSchema,
  /** Slot records live under this generation; a restore writes a new one. */
  generation: counter,
  /** Active transfers: slots 0..count-1, in merkle-tree order. */
  count: counter,
  /** Slots ever written in this generation, for clean-up when it is replaced. */
  span: counter,
  /** The slot changed by the latest update, held here instead of in its slot record. */
  inline: z.strictObject({ slot: counter, transfer: transferStateSchema }).optional(),
});

interface Head {
  channel: FullChannelState;
  generation: number;
  count: number;
  span: number;
  inline?: { slot: number; transfer: FullTransferState };
}

/**
 * Where a client keeps one channel (DESIGN §4.4): a head record and one record per active
 * transfer, in slots that follow the merkle tree's positions. An update that adds, removes
 * or moves one leaf (a create, a resolve) writes the head with that one transfer inline, plus
 * at most one earlier inline transfer to its slot: what a write costs does not grow with the
 * number of active transfers. Anything that changes several slots at once (a restore, a
 * resume that drops disputed transfers) writes a fresh generation of slots and then the head,
 * so a crash at any point leaves the old channel or the new one, never a mix.
 */
export class ChannelStorage {
  /** What the stored head says: transfer ids by slot, and the inline slot. */
  private slots: string[] = [];
  private head: Omit<Head, "channel"> | undefined;

  /**
   * @param key the head record's key
   * @param slotPrefix the prefix of the slot records' keys (`<prefix>:<generation>:<slot>`)
   */
  constructor(
    private readonly store: ClientStore,
    private readonly key: string,
    private readonly slotPrefix: string,
  ) {}

  /** The stored channel, checked like a restore (signatures, address, merkle root); undefined if none. */
  async load(context: UpdateContext, identity: string): Promise<ChannelView | undefined> {
    const raw = await this.store.get(this.key);
    if (raw === undefined) return undefined;
    const json = parseJson(raw, this.key);
    if (isLegacyRecord(json)) {
      const record = decodeChannelRecord(raw);
      const view = checked(record.channel, record.activeTransfers, context, identity);
      await this.replace(view);
      return view;
    }
    const head = parseHead(json, this.key);
    const transfers: FullTransferState[] = [];
    for (let slot = 0; slot < head.count; slot++) {
      transfers.push(
        head.inline?.slot === slot ? head.inline.transfer : await this.readSlot(head, slot),
      );
    }
    const view = checked(head.channel, transfers, context, identity);
    this.remember(head, transfers);
    return view;
  }

  /** Stores `next`, one update on from what was stored last. */
  async save(next: ChannelView): Promise<void> {
    if (!next.state) return;
    const head = this.head;
    if (!head) return this.replace(next);
    const transfers = transfersInTreeOrder(next);
    const changed: number[] = [];
    for (let slot = 0; slot < transfers.length; slot++) {
      if (this.slots[slot] !== (transfers[slot] as FullTransferState).transferId)
        changed.push(slot);
    }
    if (changed.length > 1) return this.replace(next);

    const slot = changed[0];
    const previous = head.inline;
    const previousKept =
      previous !== undefined &&
      previous.slot < transfers.length &&
      transfers[previous.slot]?.transferId === previous.transfer.transferId;
    let inline: Head["inline"];
    if (slot !== undefined) {
      // The earlier inline transfer moves to its own slot before the head stops carrying it.
      if (previousKept && previous.slot !== slot) {
        await this.writeSlot(head.generation, previous.slot, previous.transfer);
      }
      inline = { slot, transfer: transfers[slot] as FullTransferState };
    } else if (previousKept) {
      inline = previous;
    }
    const written: Head = {
      channel: next.state,
      generation: head.generation,
      count: transfers.length,
      span: Math.max(head.span, transfers.length),
      ...(inline ? { inline } : {}),
    };
    await this.writeHead(written);
    this.remember(written, transfers);
  }

  /** Stores `view` whole, under a new generation, then drops the old one. */
  async replace(view: ChannelView): Promise<void> {
    if (!view.state) return;
    // Never reuse the slots of a head we did not load: a crash would leave it pointing at ours.
    const old = this.head ?? (await this.storedHead());
    const generation = (old?.generation ?? 0) + 1;
    const transfers = transfersInTreeOrder(view);
    for (let slot = 0; slot < transfers.length; slot++) {
      await this.writeSlot(generation, slot, transfers[slot] as FullTransferState);
    }
    const written: Head = {
      channel: view.state,
      generation,
      count: transfers.length,
      span: transfers.length,
    };
    await this.writeHead(written);
    this.remember(written, transfers);
    if (old) {
      for (let slot = 0; slot < old.span; slot++) {
        await this.store.delete(this.slotKey(old.generation, slot));
      }
    }
  }

  private async storedHead(): Promise<Omit<Head, "channel"> | undefined> {
    const raw = await this.store.get(this.key);
    if (raw === undefined) return undefined;
    try {
      const json = parseJson(raw, this.key);
      return isLegacyRecord(json) ? undefined : parseHead(json, this.key);
    } catch {
      // An unreadable head: its slots are left alone, under a generation far from ours.
      return { generation: 2 ** 40 + Math.floor(Math.random() * 2 ** 40), count: 0, span: 0 };
    }
  }

  private remember(head: Head, transfers: FullTransferState[]): void {
    const { channel: _channel, ...rest } = head;
    this.head = rest;
    this.slots = transfers.map((transfer) => transfer.transferId);
  }

  private slotKey(generation: number, slot: number): string {
    return `${this.slotPrefix}:${generation}:${slot}`;
  }

  private async writeHead(head: Head): Promise<void> {
    await this.store.set(
      this.key,
      encodeWire({ version: 2, protocolVersion: PROTOCOL_VERSION, ...head }),
    );
  }

  private async writeSlot(generation: number, slot: number, transfer: FullTransferState) {
    await this.store.set(this.slotKey(generation, slot), encodeWire(transfer));
  }

  private async readSlot(head: Head, slot: number): Promise<FullTransferState> {
    const key = this.slotKey(head.generation, slot);
    const raw = await this.store.get(key);
    if (raw === undefined) {
      throw new ClientStoreError(
        "CORRUPT_RECORD",
        `the stored channel lacks transfer slot ${slot}`,
        {
          context: { key },
        },
      );
    }
    const parsed = transferStateSchema.safeParse(parseJson(raw, key));
    if (!parsed.success) {
      throw new ClientStoreError("CORRUPT_RECORD", `the transfer in ${key} is invalid`, {
        context: { key, reason: parsed.error.issues[0]?.message },
      });
    }
    return parsed.data as unknown as FullTransferState;
  }
}

/** Checks the loaded channel as a restore from the node would be checked. */
function checked(
  channel: FullChannelState,
  activeTransfers: FullTransferState[],
  context: UpdateContext,
  identity: string,
): ChannelView {
  try {
    return validateRestore(
      { protocolVersion: PROTOCOL_VERSION, channel, activeTransfers },
      { identity, state: undefined },
      context,
    );
  } catch (cause) {
    if (!isProtocolError(cause)) throw cause;
    throw new ClientStoreError("CORRUPT_RECORD", `stored channel refused: ${cause.message}`, {
      cause,
      context: { reason: cause.code, channelAddress: channel.channelAddress },
    });
  }
}

function parseJson(raw: string, key: string): unknown {
  try {
    return JSON.parse(raw);
  } catch (cause) {
    throw new ClientStoreError("CORRUPT_RECORD", `the record of ${key} is not JSON`, { cause });
  }
}

function isLegacyRecord(json: unknown): boolean {
  return typeof json === "object" && json !== null && "activeTransfers" in json;
}

function parseHead(json: unknown, key: string): Head {
  const parsed = headSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join(".") : "record";
    throw new ClientStoreError(
      "CORRUPT_RECORD",
      `the stored channel ${key} is invalid at ${where}: ${issue?.message ?? "invalid"}`,
    );
  }
  const head = parsed.data as unknown as Head;
  if (head.count > head.span || (head.inline && head.inline.slot >= head.count)) {
    throw new ClientStoreError("CORRUPT_RECORD", `the stored channel ${key} has impossible slots`);
  }
  return head;
}

/** The channel state in a stored head (or a whole legacy record), for tools and tests. */
export function storedChannelState(raw: string): FullChannelState {
  const json = parseJson(raw, "channel");
  if (isLegacyRecord(json)) return decodeChannelRecord(raw).channel;
  return parseHead(json, "channel").channel;
}
