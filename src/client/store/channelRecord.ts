import {
  encodeMessage,
  type FullChannelState,
  type FullTransferState,
  isProtocolError,
  PROTOCOL_VERSION,
  type RestoreMessage,
  validateRestore,
} from "../../protocol";
import { restoreMessageSchema } from "../../protocol/schemas";
import { ClientStoreError } from "./errors";

/** What the client persists per channel: the latest doubly-signed state and active transfers. */
export interface ChannelRecord {
  channel: FullChannelState;
  activeTransfers: FullTransferState[];
}

/**
 * The stored text of a channel: a protocol RestoreMessage, the same JSON the node sends on
 * restore.
 *
 * @example
 * await store.set(`channel:${channel.channelAddress}`, encodeChannelRecord({ channel, activeTransfers }));
 */
export function encodeChannelRecord(record: ChannelRecord): string {
  const message: RestoreMessage = {
    protocolVersion: PROTOCOL_VERSION,
    channel: record.channel,
    activeTransfers: record.activeTransfers,
  };
  return encodeMessage(message);
}

/**
 * Parses a stored channel and checks it as a restore from the node would be checked: the
 * wire schema, both signatures on the state, the channel address and the merkle root over
 * the transfers. Anything else is CORRUPT_RECORD, with the protocol's reason in `context`.
 * The caller still checks that the channel is its own and on its network.
 *
 * Unlike `decodeRestoreMessage`, no 64 KiB message limit: a channel with many active
 * transfers outgrows it, and a client must always be able to read its own store.
 *
 * @example
 * const raw = await store.get(key);
 * const record = raw === undefined ? undefined : decodeChannelRecord(raw);
 */
export function decodeChannelRecord(raw: string): ChannelRecord {
  const message = parse(raw);
  const { channel } = message;
  try {
    validateRestore(
      message,
      { identity: channel.alice, state: undefined },
      // Checked against its own network: signatures bind the chain id, the address binds the factory.
      { network: channel.networkContext, now: 0, lookupDefinition: () => undefined },
    );
  } catch (cause) {
    if (!isProtocolError(cause)) throw cause;
    throw new ClientStoreError("CORRUPT_RECORD", `stored channel refused: ${cause.message}`, {
      cause,
      context: { reason: cause.code, channelAddress: channel.channelAddress },
    });
  }
  return { channel, activeTransfers: message.activeTransfers };
}

function parse(raw: string): RestoreMessage {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (cause) {
    throw new ClientStoreError("CORRUPT_RECORD", "stored channel is not JSON", { cause });
  }
  const parsed = restoreMessageSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join(".") : "record";
    throw new ClientStoreError(
      "CORRUPT_RECORD",
      `stored channel is invalid at ${where}: ${issue?.message ?? "invalid"}`,
      { context: { reason: "MALFORMED_MESSAGE" } },
    );
  }
  return parsed.data as unknown as RestoreMessage;
}
