import { ProtocolError } from "../errors";
import type { UpdateType } from "../types";
import type { ChannelView } from "../updates/context";
import type { ChainFacts, Effect } from "./types";

/**
 * The chain facts an update needs before it can be signed or countersigned, by update type:
 * a deposit the on-chain deposit totals of its asset, a resume what the finished dispute
 * left on-chain. The shell reads them (the only chain reads of the conversation) and answers
 * `chainFacts`; the other types need none.
 */
type FactsRequest = (
  view: ChannelView,
  update: { assetId?: string },
  thread: "ours" | "theirs",
) => Effect;

const REQUESTS: Partial<Record<UpdateType, FactsRequest>> = {
  deposit: (view, update, thread) => ({
    kind: "readDeposits",
    thread,
    channelAddress: setUp(view, "deposit"),
    assetId: update.assetId as string,
  }),
  resume: (view, _update, thread) => ({
    kind: "readDisputeOutcome",
    thread,
    view,
    channelAddress: setUp(view, "resume"),
    assetIds: view.state?.assetIds ?? [],
    transferIds: [...view.transfers.keys()],
  }),
};

/** The read an update of this type needs, or undefined when it needs none. Throws CHANNEL_NOT_SETUP. */
export function factsRequest(
  view: ChannelView,
  update: { type: UpdateType; assetId?: string },
  thread: "ours" | "theirs",
): Effect | undefined {
  return REQUESTS[update.type]?.(view, update, thread);
}

/** No facts: what an update of a type that reads none is built with. */
export const NO_FACTS: ChainFacts = {};

function setUp(view: ChannelView, type: string): string {
  if (!view.state) throw new ProtocolError("CHANNEL_NOT_SETUP", `${type} before setup`);
  return view.state.channelAddress;
}
