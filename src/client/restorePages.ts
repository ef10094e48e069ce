import { PROTOCOL_VERSION, type RestoreMessage } from "../protocol";
import { MAX_RETRIES } from "../protocol/conversation";
import { decodeReply, encodeWire, type RestoreRequest } from "../protocol/messaging";
import { MAX_RESTORE_BYTES, type RestorePage, restorePageSchema } from "../protocol/schemas";
import type { ClientChannelDeps } from "./channelDeps";
import { ClientError, nodeRefusal } from "./errors";

type Request = ClientChannelDeps["request"];

/**
 * The node's latest doubly-signed state and active transfers, unchecked (the step checks
 * them): undefined when the node has no channel with us. The transfers come in pages
 * (RESTORE_PAGE_TRANSFERS each, so a reply fits the broker's limit), each for the nonce the
 * first page named; a channel that moves on between two pages starts the fetch over, at
 * most MAX_RETRIES times, so a node that keeps moving cannot keep us fetching.
 */
export async function fetchRestore(request: Request): Promise<RestoreMessage | undefined> {
  for (let attempt = 0; ; attempt++) {
    const first = await page(request, {});
    if (first === "moved") continue; // not for a first page: it names no nonce
    if (!first) return undefined;
    const transfers = await rest(request, first);
    if (transfers) {
      return {
        protocolVersion: PROTOCOL_VERSION,
        channel: first.channel,
        activeTransfers: transfers.slice(0, first.totalTransfers),
      };
    }
    if (attempt >= MAX_RETRIES) {
      throw new ClientError("STALE_NONCE", "the channel kept moving on during the restore");
    }
  }
}

/** All the transfers `first` announces, or undefined when the channel moved on meanwhile. */
async function rest(
  request: Request,
  first: RestorePage,
): Promise<RestorePage["activeTransfers"] | undefined> {
  const transfers = [...first.activeTransfers];
  while (transfers.length < first.totalTransfers) {
    const next = await page(request, { nonce: first.channel.nonce, offset: transfers.length });
    if (next === undefined || next === "moved") return undefined;
    if (next.offset !== transfers.length || next.activeTransfers.length === 0) {
      throw new ClientError(
        "MALFORMED_MESSAGE",
        `the node sent restore page ${next.offset} (${next.activeTransfers.length} transfers) for offset ${transfers.length}`,
      );
    }
    transfers.push(...next.activeTransfers);
  }
  return transfers;
}

/** One page; undefined: no channel; "moved": the channel moved on since `nonce`. */
async function page(
  request: Request,
  asked: Omit<RestoreRequest, "protocolVersion">,
): Promise<RestorePage | "moved" | undefined> {
  const raw = await request("restore", encodeWire({ protocolVersion: PROTOCOL_VERSION, ...asked }));
  const reply = decodeReply<RestorePage>(raw, restorePageSchema, MAX_RESTORE_BYTES);
  if (reply.ok) return reply.result;
  if (reply.error.code === "CHANNEL_NOT_SETUP") return undefined;
  if (reply.error.code === "STALE_NONCE" && asked.nonce !== undefined) return "moved";
  throw nodeRefusal(reply.error.code, reply.error.message);
}
