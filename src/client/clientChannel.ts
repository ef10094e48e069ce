import { type AppliedUpdate, type ChannelView, decodeUpdateMessage } from "../protocol";
import {
  type ConversationHolder,
  type Effect,
  type Event,
  runConversation,
  type StepContext,
  step,
  threadOf,
} from "../protocol/conversation";
import { type ClientChannelDeps, clientConversation, type Drafter } from "./channelDeps";
import { proposalOutcome, replyFor, replyOf, syncOutcome } from "./channelOutcomes";
import { ChannelPerformer } from "./channelPerformer";
import { callNode, exchangeLatest } from "./channelRequests";
import { coalesced } from "./coalesce";
import { Mutex } from "./mutex";
import { fetchRestore } from "./restorePages";

export type { ChainDeposits, ChainDisputeOutcome, ClientChannelDeps } from "./channelDeps";
export { EMPTY_VIEW } from "./channelDeps";

/**
 * The user's side of its channel with the node (DESIGN §4.4): it runs the channel's one
 * conversation (src/protocol/conversation), feeding the step one event at a time and carrying
 * out the effects (channelPerformer.ts). What to sign, store, refuse, retry, catch up from or
 * restore is the step's: alice (the node) wins a same-nonce race and ours is drafted again on
 * top, and while a dispute is on record (DESIGN §4.7) nothing is signed but the resume.
 */
export class ClientChannel {
  private readonly holder: ConversationHolder;
  private readonly performer: ChannelPerformer;
  private readonly context: StepContext;
  /** Steps and writes: a write is adopted before any other step looks at the channel. */
  private readonly state = new Mutex();
  /** Our own proposals, one at a time; syncs and restores, one at a time. */
  private readonly proposals = new Mutex();
  private readonly syncs = new Mutex();
  private readonly coalescedSync = coalesced(() => this.syncOnce());

  constructor(private readonly deps: ClientChannelDeps) {
    this.performer = new ChannelPerformer(deps);
    this.context = { network: deps.network, lookupDefinition: deps.lookupDefinition };
    this.holder = { conversation: clientConversation(deps) };
  }

  get view(): ChannelView {
    return this.holder.conversation.view;
  }

  /** Whether a dispute is on record: only a resume is proposed or answered. */
  get inDispute(): boolean {
    return this.holder.conversation.disputed;
  }

  /** From now on, nothing but a resume; resolves once no update of ours or theirs is in flight. */
  async enterDispute(): Promise<void> {
    this.feed({ type: "disputeStarted" });
    await this.proposals.run(async () => {});
    await this.state.run(async () => {});
  }

  /** Back to off-chain updates (a resume was stored, or the dispute we meant to start never was). */
  leaveDispute(): void {
    this.feed({ type: "disputeEnded" });
  }

  /** Loads the stored channel, checked like a restore from the node. */
  async load(): Promise<boolean> {
    const view = await this.performer.load();
    if (view) this.holder.conversation = { ...this.holder.conversation, view };
    return view !== undefined;
  }

  /** Proposes an update drafted on the current view; drafted again on top of the node's updates. */
  propose(draft: Drafter): Promise<AppliedUpdate | undefined> {
    return this.proposals.run(async () => {
      const first = await this.performer.drafted(draft, this.view);
      if (first.type !== "propose") return undefined;
      return proposalOutcome(await this.drive(first, draft), first.draft.type);
    });
  }

  /** Answers a proposal from the node: the reply to send back. */
  async respond(raw: Uint8Array): Promise<string> {
    try {
      const message = decodeUpdateMessage(raw);
      return replyOf(await this.drive({ type: "message", message, now: this.deps.now() }));
    } catch (error) {
      return replyFor(error);
    }
  }

  /** Exchanges latest updates with the node; whoever is one behind catches up (coalesce.ts). */
  sync(): Promise<void> {
    return this.coalescedSync();
  }

  /** The request leaves at once; the catching up waits for any restore under way. */
  private async syncOnce(): Promise<void> {
    const update = await exchangeLatest(this.deps.request, this.view.state?.latestUpdate);
    const event: Event | undefined = update && { type: "peerLatest", update, now: this.deps.now() };
    if (event) await this.syncs.run(async () => syncOutcome(await this.drive(event)));
  }

  /** Replaces the channel with the node's latest doubly-signed state, once the step checked it. */
  restore(): Promise<boolean> {
    return this.syncs.run(async () => {
      const message = await fetchRestore(this.deps.request);
      const event: Event = { type: "restored", thread: "sync", message, now: this.deps.now() };
      if (message) syncOutcome(await this.drive(event));
      return message !== undefined;
    });
  }

  /** Asks the node for something that needs no channel update from us. */
  call(method: string, payload: object): Promise<void> {
    return callNode(this.deps.request, method, payload);
  }

  /**
   * Feeds `event`, then what answers each effect, until the thread ends; returns the effects
   * that ended it. Steps and writes run under the state lock; what waits on the node or the
   * caller's draft runs with it let go, so the node's proposal is answered while ours is in
   * flight. Whatever fails (an effect, or a step's bug) ends its thread and is thrown on.
   */
  private async drive(event: Event, draft?: Drafter): Promise<Effect[]> {
    const ended: Effect[] = [];
    for (let next: Event | undefined = event; next; ) {
      const [fed, waiting]: [Event, Effect[]] = [next, []];
      const perform = (effect: Effect) => this.performer.held(effect, waiting);
      const segment = () => runConversation(this.holder, fed, this.context, perform);
      ended.push(...(await this.state.run(segment).catch((error) => this.fail(fed, error))));
      next = waiting[0] && (await this.performer.outside(waiting[0], draft, (e) => this.feed(e)));
    }
    return ended;
  }

  private fail(event: Event, error: unknown): never {
    this.feed({ type: "abort", thread: threadOf(event) ?? "ours" });
    throw error;
  }

  /** An event that needs no effect carried out (a dispute's start or end, a failed effect). */
  private feed(event: Event): void {
    this.holder.conversation = step(this.holder.conversation, event, this.context).channel;
  }
}
