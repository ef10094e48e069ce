import {
  type AppliedUpdate,
  type ChannelUpdate,
  type ChannelView,
  channelAddressFor,
  type UpdateMessage,
} from "../../protocol";
import {
  type Conversation,
  type Effect,
  type Event,
  runConversation,
} from "../../protocol/conversation";
import {
  answerOf,
  nodeConversation,
  proposedOf,
  protocolErrorOf,
  stepContext,
} from "./channelOutcomes";
import { type CallScope, nodePerformer } from "./channelPerformer";
import type { ChannelServiceDeps, ProposalCheck, ProposeHooks } from "./channelServiceDeps";
import { NodeError } from "./errors";
import { ViewCache } from "./viewCache";

export type * from "./channelServiceDeps";

/**
 * The node's side of every channel (DESIGN §4.4): answers users' proposals and proposes its own,
 * one update at a time per channel (under the channel's lock), by driving the protocol's
 * conversation step (src/protocol/conversation) and carrying out what it asks: nothing is
 * countersigned before it is validated, and no reply leaves before the update is stored.
 */
export class ChannelService {
  private readonly views: ViewCache;
  /**
   * Channel addresses by user as asked for, most recent last (bounded like the views): five
   * keccaks each, asked for on every call for a user, and fixed for the node's network.
   */
  private readonly addresses = new Map<string, string>();

  constructor(private readonly deps: ChannelServiceDeps) {
    this.views = new ViewCache(deps.store, deps.shared, deps.cachedViews);
  }

  get identifier(): string {
    return this.deps.signer.address;
  }

  /** How many channel views are kept in memory (bounded by `cachedViews`). */
  get cachedViewCount(): number {
    return this.views.size;
  }

  channelFor(user: string): string {
    let address = this.addresses.get(user);
    if (address === undefined) {
      address = channelAddressFor(this.deps.signer.address, user, this.deps.network);
      if (this.addresses.size >= (this.deps.cachedViews ?? 10_000)) {
        this.addresses.delete(this.addresses.keys().next().value as string);
      }
    } else {
      this.addresses.delete(user);
    }
    this.addresses.set(user, address);
    return address;
  }

  /** The latest view of a user's channel (read-only use: may change right after). */
  async currentView(user: string): Promise<ChannelView | undefined> {
    const view = await this.views.load(this.channelFor(user));
    return view.state ? view : undefined;
  }

  /** Runs `work` with the user's channel locked. */
  withChannel<T>(user: string, work: () => Promise<T>): Promise<T> {
    return this.deps.locks.run(this.channelFor(user), work);
  }

  /** Whether background work for the user should wait: its last requests timed out. */
  deferred(user: string): boolean {
    return this.deps.peerDeferred?.(user) ?? false;
  }

  /** Answers a user's proposal: the countersigned update, stored. */
  async respond(
    user: string,
    message: UpdateMessage,
    check: ProposalCheck,
  ): Promise<ChannelUpdate> {
    const started = performance.now();
    const event = (now: number): Event => ({ type: "message", message, now });
    const { ended } = await this.converse(user, { check }, event);
    const update = answerOf(ended[0]);
    this.observe(update, "responder", started);
    return update;
  }

  /** A user's hello: adopts its latest update when it is our next one, and returns ours. */
  async sync(user: string, theirs: ChannelUpdate | undefined): Promise<ChannelUpdate | undefined> {
    if (!theirs) return (await this.currentView(user))?.state?.latestUpdate;
    const event = (now: number): Event => ({ type: "peerLatest", update: theirs, now });
    const { ended, conversation } = await this.converse(user, {}, event);
    const refusal = ended.find((end) => end.kind === "synced")?.refusal;
    if (refusal) throw protocolErrorOf(refusal);
    return conversation.view.state?.latestUpdate;
  }

  /**
   * Proposes an update in the user's channel. `draft` sees the locked, current view and may
   * return undefined when there is nothing to do any more.
   */
  async propose(
    user: string,
    draft: NonNullable<CallScope["draft"]>,
    hooks: ProposeHooks = {},
  ): Promise<AppliedUpdate | undefined> {
    const started = performance.now();
    const { ended } = await this.converse(user, { draft, hooks }, () => ({ type: "abandon" }));
    const applied = proposedOf(user, ended[0]);
    if (applied) this.observe(applied.state.latestUpdate, "proposer", started);
    return applied;
  }

  private observe(update: ChannelUpdate, role: "proposer" | "responder", started: number): void {
    this.deps.observeLatency(update.type, role, (performance.now() - started) / 1000);
  }

  /** One conversation under the channel's lock, from the stored view; the effects that ended it. */
  private converse(
    user: string,
    call: Pick<CallScope, "draft" | "check" | "hooks">,
    event: (now: number) => Event,
  ): Promise<{ ended: Effect[]; conversation: Conversation }> {
    const channelAddress = this.channelFor(user);
    return this.deps.locks.run(channelAddress, async (hold) => {
      // Queued behind others on a busy channel: at shutdown, resumed at the next start instead.
      if (this.deps.stopping?.()) throw new NodeError("SHUTTING_DOWN", "the node is stopping");
      const view = await this.views.load(channelAddress);
      const holder = { conversation: nodeConversation(this.deps, user, channelAddress, view) };
      const confirm = () => hold.confirm();
      const scope: CallScope = { user, channelAddress, confirm, committed: [], ...call };
      const perform = nodePerformer(this.deps, this.views, scope);
      try {
        // A proposal starts from its draft on the locked view; the rest from the event given.
        const first = call.draft
          ? await perform({ kind: "draft", view, attempt: 0 })
          : event(this.deps.now());
        const ended = first
          ? await runConversation(holder, first, stepContext(this.deps), perform)
          : [];
        return { ended, conversation: holder.conversation };
      } finally {
        // Set off as the conversation ends (however it ends: stored is stored), so an answer's
        // reply leaves before the forwarding it sets off competes with it.
        for (const consequence of scope.committed) consequence();
      }
    });
  }
}
