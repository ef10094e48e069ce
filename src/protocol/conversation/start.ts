import { channelAddressFor } from "../channelAddress";
import type { Address, NetworkContext } from "../types";
import type { ChannelView } from "../updates/context";
import type { Conversation } from "./types";

/** A conversation about the channel between `me` and `peer`, as stored in `view`. */
export function startConversation(options: {
  me: Address;
  peer: Address;
  /** Who is alice (the node): the channel address is derived from alice and bob. */
  alice: Address;
  network: NetworkContext;
  view: ChannelView;
  disputed?: boolean;
  canRestore: boolean;
}): Conversation {
  const bob = options.alice === options.me ? options.peer : options.me;
  return {
    me: options.me,
    peer: options.peer,
    channelAddress: channelAddressFor(options.alice, bob, options.network),
    view: options.view,
    disputed: options.disputed ?? false,
    canRestore: options.canRestore,
    recent: [],
    live: [],
  };
}

/** Our signed proposals that may still be countersigned (SECURITY rule 1). */
export function liveProposals(conversation: Conversation): readonly Conversation["live"][number][] {
  return conversation.live;
}
