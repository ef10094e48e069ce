import {
  type ChannelUpdate,
  encodeMessage,
  PROTOCOL_VERSION,
  type UpdateMessage,
} from "../protocol";
import type { Refusal } from "../protocol/conversation";
import {
  decodeReply,
  emptyResultSchema,
  encodeWire,
  type SyncResult,
  syncResultSchema,
  updateResultSchema,
} from "../protocol/messaging";
import type { ClientChannelDeps } from "./channelDeps";
import { nodeRefusal } from "./errors";

/**
 * The client's requests to the node about its channel, encoded by the protocol's one encoder
 * and checked against the reply's schema. A restore has its own file (restorePages.ts).
 */

type Request = ClientChannelDeps["request"];

/** Sends our proposal; the node's answer, a refusal included (the step decides what follows). */
export async function sendProposal(
  request: Request,
  message: UpdateMessage,
): Promise<{ ok: true; update: ChannelUpdate } | { ok: false; error: Refusal }> {
  const raw = await request("update", encodeMessage(message));
  const reply = decodeReply<{ update: ChannelUpdate }>(raw, updateResultSchema);
  return reply.ok ? { ok: true, update: reply.result.update } : { ok: false, error: reply.error };
}

/** Tells the node our latest update (whoever is one behind catches up); the node's latest. */
export async function exchangeLatest(
  request: Request,
  latest: ChannelUpdate | undefined,
): Promise<ChannelUpdate | undefined> {
  const raw = await request(
    "sync",
    encodeWire({ protocolVersion: PROTOCOL_VERSION, ...(latest ? { latestUpdate: latest } : {}) }),
  );
  const reply = decodeReply<SyncResult>(raw, syncResultSchema);
  if (!reply.ok) throw nodeRefusal(reply.error.code, reply.error.message);
  return reply.result.latestUpdate;
}

/** Asks the node for something that needs no channel update from us. */
export async function callNode(request: Request, method: string, payload: object): Promise<void> {
  const raw = await request(method, encodeWire({ protocolVersion: PROTOCOL_VERSION, ...payload }));
  const reply = decodeReply(raw, emptyResultSchema);
  if (!reply.ok) throw nodeRefusal(reply.error.code, reply.error.message);
}
