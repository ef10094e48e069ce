import { transferStateHash } from "./hashing";
import {
  PROTOCOL_VERSION,
  RESTORE_PAGE_TRANSFERS,
  type RestoreMessage,
  type RestorePage,
} from "./schemas";
import type { FullTransferState } from "./types";
import type { ChannelView } from "./updates/context";

/**
 * A view's active transfers in merkle-tree order: the order a restore must list them in for
 * the receiver to rebuild the same root (removals move the last leaf, so creation order is
 * not it).
 */
export function transfersInTreeOrder(view: ChannelView): FullTransferState[] {
  const byHash = new Map<string, FullTransferState>();
  for (const transfer of view.transfers.values()) byHash.set(transferStateHash(transfer), transfer);
  return view.tree.leafHashes.map((hash) => byHash.get(hash) as FullTransferState);
}

/** The restore message for a set-up view: its latest state and active transfers. */
export function restoreMessageOf(view: ChannelView): RestoreMessage {
  if (!view.state) throw new Error("restoreMessageOf: the channel is not set up");
  return {
    protocolVersion: PROTOCOL_VERSION,
    channel: view.state,
    activeTransfers: transfersInTreeOrder(view),
  };
}

/** Page `offset` of a restore of a set-up view (RESTORE_PAGE_TRANSFERS transfers at most). */
export function restorePageOf(view: ChannelView, offset = 0): RestorePage {
  const message = restoreMessageOf(view);
  return {
    ...message,
    activeTransfers: message.activeTransfers.slice(offset, offset + RESTORE_PAGE_TRANSFERS),
    offset,
    totalTransfers: message.activeTransfers.length,
  };
}
