import type { Logger } from "pino";
import {
  type AppliedUpdate,
  acceptCountersigned,
  adoptApplied,
  applyDoublySigned,
  type ChainDisputeOutcome,
  type ChannelSigner,
  type ChannelUpdate,
  type ChannelView,
  channelAddressFor,
  encodeMessage,
  MerkleTree,
  PROTOCOL_VERSION,
  ProtocolError,
  type ProtocolPolicy,
  proposeUpdate,
  respondToUpdate,
  type UpdateContext,
  type UpdateDraft,
  type UpdateMessage,
} from "../../protocol";
import { decodeReply, updateResultSchema } from "../../protocol/messaging";
import type { NetworkContext } from "../../protocol/types";
import type { ChannelStore, Tx } from "../store/channelStore";
import type { ChannelLocks } from "./channelLocks";
import { isNodeError, NodeError } from "./errors";

export type ChainDeposits = NonNullable<UpdateContext["chainDeposits"]>;

/**
 * Sends a request to a user and returns its raw reply; throws PEER_UNAVAILABLE. `timeoutMs`
 * caps how long the reply may take (the messaging may give an unresponsive user less).
 */
export type PeerRequest = (
  user: string,
  method: string,
  payload: string,
  options?: { timeoutMs?: number },
) => Promise<Uint8Array>;

export interface ChannelServiceDeps {
  signer: ChannelSigner;
  network: NetworkContext;
  store: ChannelStore;
  locks: ChannelLocks;
  lookupDefinition: UpdateContext["lookupDefinition"];
  /** Bounds the node puts on what it signs (channel and transfer timeouts). */
  policy: ProtocolPolicy;
  /**
   * Whether a dispute is on record on-chain for the channel: then the node signs nothing on it
   * (it still adopts doubly-signed updates, which can only help it answer the dispute).
   */
  inDispute(channelAddress: string): boolean;
  readDeposits(channelAddress: string, assetId: string): Promise<ChainDeposits>;
  /** What the channel's finished dispute left on-chain, for a resume update. */
  readDisputeOutcome(view: ChannelView): Promise<ChainDisputeOutcome>;
  requestPeer: PeerRequest;
  /** Whether background work for the user should wait: its last requests timed out. */
  peerDeferred?(user: string): boolean;
  now(): number;
  logger: Logger;
  /** Whether another process may write the same channels (PostgreSQL): then views are re-checked. */
  shared: boolean;
  /** Bookkeeping stored in the same transaction as the update (payments, for example). */
  record(tx: Tx, applied: AppliedUpdate, before: ChannelView): Promise<void>;
  /** After an update is stored: what it sets off (forwarding, notifications). Must not throw. */
  committed(applied: AppliedUpdate, before: ChannelView): void;
  /** A resume was stored: the channel is past its dispute. Must not throw. */
  resumed?(channelAddress: string, round: number): void;
  observeLatency(type: string, role: "proposer" | "responder", seconds: number): void;
  /** Channel views kept in memory, most recently used first (default 10,000). */
  cachedViews?: number;
}

/** What a proposer may want to know about its proposal while the channel is still locked. */
export interface ProposeHooks {
  /** The proposal reached nobody (no subscriber): it was never out of our hands. */
  undelivered?(update: ChannelUpdate): Promise<void>;
  /** At most this long for the user's reply (background work that can try again later). */
  replyTimeoutMs?: number;
}

/** A check the node adds to an incoming proposal before countersigning it. */
export type ProposalCheck = (view: ChannelView, update: ChannelUpdate) => Promise<void> | void;

/**
 * The node's side of every channel (DESIGN §4.4): answers users' proposals and proposes its own,
 * one update at a time per channel, catching up from doubly-signed updates either side is
 * missing. Nothing is countersigned before it is validated, and no reply leaves before the
 * update is stored.
 */
export class ChannelService {
  /** Recently used views, least recent first (a Map keeps insertion order). */
  private readonly views = new Map<string, ChannelView>();

  constructor(private readonly deps: ChannelServiceDeps) {}

  get identifier(): string {
    return this.deps.signer.address;
  }

  /** How many channel views are kept in memory (bounded by `cachedViews`). */
  get cachedViewCount(): number {
    return this.views.size;
  }

  channelFor(user: string): string {
    return channelAddressFor(this.deps.signer.address, user, this.deps.network);
  }

  /** The latest view of a user's channel (read-only use: may change right after). */
  async currentView(user: string): Promise<ChannelView | undefined> {
    const view = await this.load(this.channelFor(user));
    return view.state ? view : undefined;
  }

  /** Runs `work` with the user's channel locked. */
  withChannel<T>(user: string, work: () => Promise<T>): Promise<T> {
    return this.deps.locks.run(this.channelFor(user), work);
  }

  /**
   * Whether background work for the user should wait: the user let the node's last requests
   * time out (see NodeMessaging.deferred). Such a user delays only itself.
   */
  deferred(user: string): boolean {
    return this.deps.peerDeferred?.(user) ?? false;
  }

  /** Answers a user's proposal: the countersigned update, stored. */
  async respond(
    user: string,
    message: UpdateMessage,
    check: ProposalCheck,
  ): Promise<ChannelUpdate> {
    const { update } = message;
    const channelAddress = this.channelFor(user);
    if (update.fromIdentifier.toLowerCase() !== user.toLowerCase()) {
      throw new ProtocolError(
        "WRONG_PARTICIPANTS",
        `the update is from ${update.fromIdentifier}, the message from ${user}`,
      );
    }
    if (update.channelAddress !== channelAddress) {
      throw new ProtocolError(
        "WRONG_CHANNEL",
        `expected channel ${channelAddress}, got ${update.channelAddress}`,
      );
    }
    return this.deps.locks.run(channelAddress, async (hold) => {
      const started = performance.now();
      let view = await this.load(channelAddress);
      if (message.previousUpdate) view = await this.catchUp(view, message.previousUpdate);
      const nonce = view.state?.nonce ?? 0;
      if (update.nonce <= nonce) {
        throw new ProtocolError("STALE_NONCE", `expected nonce ${nonce + 1}, got ${update.nonce}`, {
          latestUpdate: view.state?.latestUpdate,
        });
      }
      this.requireNoDispute(channelAddress, update.type);
      await check(view, update);
      const context = await this.context(view, update);
      // Nothing is countersigned unless the channel is still surely ours (ChannelLocks).
      await hold.confirm();
      const { applied } = await respondToUpdate(view, update, this.deps.signer, context);
      await this.save(view, applied);
      this.deps.observeLatency(update.type, "responder", (performance.now() - started) / 1000);
      return applied.state.latestUpdate;
    });
  }

  /**
   * A user's hello: adopts its latest update when it is the one we are missing, and returns
   * ours, so that it can catch up in turn.
   */
  async sync(user: string, theirs: ChannelUpdate | undefined): Promise<ChannelUpdate | undefined> {
    const channelAddress = this.channelFor(user);
    if (theirs && theirs.channelAddress !== channelAddress) {
      throw new ProtocolError(
        "WRONG_CHANNEL",
        `expected channel ${channelAddress}, got ${theirs.channelAddress}`,
      );
    }
    return this.deps.locks.run(channelAddress, async () => {
      let view = await this.load(channelAddress);
      if (theirs) view = await this.catchUp(view, theirs);
      return view.state?.latestUpdate;
    });
  }

  /**
   * Proposes an update in the user's channel. `draft` sees the locked, current view and may
   * return undefined when there is nothing to do any more.
   */
  async propose(
    user: string,
    draft: (view: ChannelView) => Promise<UpdateDraft | undefined> | UpdateDraft | undefined,
    hooks: ProposeHooks = {},
  ): Promise<AppliedUpdate | undefined> {
    const channelAddress = this.channelFor(user);
    return this.deps.locks.run(channelAddress, async (hold) => {
      let view = await this.load(channelAddress);
      // One retry: the user may hold an update we lost (we crashed before storing its reply).
      for (let attempt = 0; attempt < 2; attempt++) {
        if (!view.state) {
          throw new ProtocolError("CHANNEL_NOT_SETUP", `no channel with ${user}`);
        }
        const wanted = await draft(view);
        if (!wanted) return undefined;
        this.requireNoDispute(channelAddress, wanted.type);
        const started = performance.now();
        const context = await this.context(view, wanted);
        // Nothing is signed unless the channel is still surely ours (ChannelLocks).
        await hold.confirm();
        const { update } = await proposeUpdate(view, wanted, this.deps.signer, context);
        const message: UpdateMessage = {
          protocolVersion: PROTOCOL_VERSION,
          update,
          previousUpdate: view.state.latestUpdate,
        };
        const raw = await this.deps
          .requestPeer(
            user,
            "update",
            encodeMessage(message),
            hooks.replyTimeoutMs !== undefined ? { timeoutMs: hooks.replyTimeoutMs } : {},
          )
          .catch(async (error) => {
            // Still under the lock (confirmed: still ours): nobody can have signed anything on
            // top meanwhile.
            if (isNodeError(error) && error.context.delivered === false) {
              await hold.confirm();
              await hooks.undelivered?.(update);
            }
            throw error;
          });
        const reply = decodeReply<{ update: ChannelUpdate }>(raw, updateResultSchema);
        if (reply.ok) {
          const applied = acceptCountersigned(view, update, reply.result.update, context);
          await this.save(view, applied);
          this.deps.observeLatency(update.type, "proposer", (performance.now() - started) / 1000);
          return applied;
        }
        const theirs = reply.error.latestUpdate;
        if (
          reply.error.code === "STALE_NONCE" &&
          theirs &&
          theirs.nonce === view.state.nonce + 1 &&
          attempt === 0
        ) {
          view = await this.catchUp(view, theirs);
          continue;
        }
        throw new NodeError("PEER_REJECTED", `${user} refused: ${reply.error.message}`, {
          peerCode: reply.error.code,
        });
      }
      throw new NodeError("PEER_REJECTED", `${user} stayed ahead after catching up`);
    });
  }

  /** In dispute, only the resume that moves the channel past it. */
  private requireNoDispute(channelAddress: string, type: string): void {
    if (type !== "resume" && this.deps.inDispute(channelAddress)) {
      throw new ProtocolError(
        "CHANNEL_IN_DISPUTE",
        `a dispute is on record for ${channelAddress}: no updates until it has run its course`,
      );
    }
  }

  /** The doubly-signed update `latest` when it is the next one for us; our view otherwise. */
  private async catchUp(view: ChannelView, latest: ChannelUpdate): Promise<ChannelView> {
    const nonce = view.state?.nonce ?? 0;
    if (latest.nonce !== nonce + 1) return view;
    const applied = applyDoublySigned(view, latest, this.baseContext());
    this.deps.logger.info(
      { channel: latest.channelAddress, nonce: latest.nonce, type: latest.type },
      "caught up from a doubly-signed update",
    );
    return this.save(view, applied);
  }

  private async save(before: ChannelView, applied: AppliedUpdate): Promise<ChannelView> {
    await this.deps.store.saveApplied(applied, (tx) => this.deps.record(tx, applied, before));
    const next = adoptApplied(before, applied);
    this.remember(applied.state.channelAddress, next);
    const update = applied.state.latestUpdate;
    if (update.type === "resume") {
      this.deps.resumed?.(update.channelAddress, (update as ChannelUpdate<"resume">).details.round);
    }
    this.deps.committed(applied, before);
    return next;
  }

  private async load(channelAddress: string): Promise<ChannelView> {
    const cached = this.views.get(channelAddress);
    if (cached && !this.deps.shared) return this.remember(channelAddress, cached);
    if (cached && (await this.deps.store.latestNonce(channelAddress)) === cached.state?.nonce) {
      return this.remember(channelAddress, cached);
    }
    const view = (await this.deps.store.loadChannelView(channelAddress)) ?? {
      state: undefined,
      transfers: new Map(),
      tree: new MerkleTree(),
    };
    if (view.state) this.remember(channelAddress, view);
    return view;
  }

  /** Keeps `view` as the most recently used; the least recently used go past the bound. */
  private remember(channelAddress: string, view: ChannelView): ChannelView {
    this.views.delete(channelAddress);
    this.views.set(channelAddress, view);
    const bound = this.deps.cachedViews ?? 10_000;
    while (this.views.size > bound) {
      this.views.delete(this.views.keys().next().value as string);
    }
    return view;
  }

  private baseContext(): UpdateContext {
    return {
      network: this.deps.network,
      now: this.deps.now(),
      lookupDefinition: this.deps.lookupDefinition,
      policy: this.deps.policy,
    };
  }

  private async context(
    view: ChannelView,
    update: { type: string; assetId?: string },
  ): Promise<UpdateContext> {
    const context = this.baseContext();
    if (update.type === "deposit" && view.state && update.assetId) {
      context.chainDeposits = await this.deps.readDeposits(
        view.state.channelAddress,
        update.assetId,
      );
    }
    if (update.type === "resume" && view.state) {
      context.chainDispute = await this.deps.readDisputeOutcome(view);
    }
    return context;
  }
}
