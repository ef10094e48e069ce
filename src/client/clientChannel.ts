import {
  type AppliedUpdate,
  acceptCountersigned,
  adoptApplied,
  applyDoublySigned,
  type ChannelSigner,
  type ChannelUpdate,
  type ChannelView,
  decodeUpdateMessage,
  encodeMessage,
  isProtocolError,
  MerkleTree,
  PROTOCOL_VERSION,
  ProtocolError,
  proposeUpdate,
  type RestoreMessage,
  respondToUpdate,
  type UpdateContext,
  type UpdateDraft,
  type UpdateMessage,
  validateRestore,
} from "../protocol";
import {
  decodeReply,
  emptyResultSchema,
  encodeWire,
  errorReply,
  okReply,
  type RestoreRequest,
  type SyncResult,
  syncResultSchema,
  updateResultSchema,
} from "../protocol/messaging";
import { MAX_RESTORE_BYTES, type RestorePage, restorePageSchema } from "../protocol/schemas";
import type { NetworkContext } from "../protocol/types";
import { ClientError, nodeRefusal } from "./errors";
import { Mutex } from "./mutex";
import { ChannelStorage } from "./store/channelStorage";
import type { ClientStore } from "./store/types";

export type ChainDeposits = NonNullable<UpdateContext["chainDeposits"]>;
export type ChainDisputeOutcome = NonNullable<UpdateContext["chainDispute"]>;

export interface ClientChannelDeps {
  signer: ChannelSigner;
  node: string;
  network: NetworkContext;
  store: ClientStore;
  lookupDefinition: UpdateContext["lookupDefinition"];
  readDeposits(channelAddress: string, assetId: string): Promise<ChainDeposits>;
  /** What the channel's finished dispute left on-chain, for a resume update. */
  readDisputeOutcome(
    channelAddress: string,
    assetIds: string[],
    transferIds: string[],
  ): Promise<ChainDisputeOutcome>;
  /**
   * Before countersigning the node's resume: throws (CHANNEL_IN_DISPUTE) while our own side of
   * the dispute is not carried through yet. Absent: no such check.
   */
  beforeResume?(): Promise<void>;
  /** A request to the node; returns its raw reply. */
  request(method: string, payload: string): Promise<Uint8Array>;
  /** The client's own checks on a node proposal, before it countersigns. */
  check(view: ChannelView, update: ChannelUpdate): Promise<void> | void;
  /** After any update is stored, whoever proposed it. */
  applied(applied: AppliedUpdate, before: ChannelView, proposedByUs: boolean): void;
  now(): number;
}

const EMPTY: ChannelView = { state: undefined, transfers: new Map(), tree: new MerkleTree() };
const MAX_RETRIES = 5;
const RECENT_KEPT = 16;

/**
 * The user's side of its channel with the node (DESIGN §4.4): proposes one update at a time,
 * answers the node's proposals (alice wins a same-nonce race: the node's proposal is answered
 * even while ours is in flight, and ours is re-proposed on top), catches up from doubly-signed
 * updates, and stores every state before acknowledging it.
 *
 * While a dispute is on record (DESIGN §4.7) it neither proposes nor answers updates
 * (CHANNEL_IN_DISPUTE), except the `resume` that moves the channel past the dispute; it still
 * adopts doubly-signed updates, which can only help it answer the dispute.
 */
export class ClientChannel {
  private current: ChannelView = EMPTY;
  private disputed = false;
  /** The sync running now, and the one calls made meanwhile wait for. */
  private syncing: Promise<void> | undefined;
  private nextSync: Promise<void> | undefined;
  /** The last few updates applied, by nonce: a reply can arrive after its update was adopted. */
  private readonly recent = new Map<number, AppliedUpdate>();
  /** Guards every change of the view and its storage. */
  private readonly state = new Mutex();
  /** Our own proposals, one at a time. */
  private readonly proposals = new Mutex();

  private readonly storage: ChannelStorage;

  constructor(private readonly deps: ClientChannelDeps) {
    const pair = `${deps.node.toLowerCase()}:${deps.signer.address.toLowerCase()}`;
    this.storage = new ChannelStorage(deps.store, `channel:${pair}`, `transfers:${pair}`);
  }

  get view(): ChannelView {
    return this.current;
  }

  /** Whether a dispute is on record: only a resume is proposed or answered. */
  get inDispute(): boolean {
    return this.disputed;
  }

  /** From now on, nothing but a resume; resolves once no update of ours or theirs is in flight. */
  async enterDispute(): Promise<void> {
    this.disputed = true;
    await this.proposals.run(async () => {});
    await this.state.run(async () => {});
  }

  /** Back to off-chain updates (a resume was stored, or the dispute we meant to start never was). */
  leaveDispute(): void {
    this.disputed = false;
  }

  /** Loads the stored channel, checked like a restore from the node. */
  async load(): Promise<boolean> {
    const view = await this.storage.load(this.baseContext(), this.deps.signer.address);
    if (!view) return false;
    this.current = view;
    return true;
  }

  /** Proposes an update built from the current view; retried on top of the node's updates. */
  propose(
    draft: (view: ChannelView) => Promise<UpdateDraft | undefined> | UpdateDraft | undefined,
  ): Promise<AppliedUpdate | undefined> {
    return this.proposals.run(async () => {
      for (let attempt = 0; ; attempt++) {
        const view = this.current;
        const wanted = await draft(view);
        if (!wanted) return undefined;
        this.requireNoDispute(wanted.type);
        const context = await this.context(view, wanted);
        const { update } = await proposeUpdate(view, wanted, this.deps.signer, context);
        const message: UpdateMessage = {
          protocolVersion: PROTOCOL_VERSION,
          update,
          ...(view.state ? { previousUpdate: view.state.latestUpdate } : {}),
        };
        const raw = await this.deps.request("update", encodeMessage(message));
        const reply = decodeReply<{ update: ChannelUpdate }>(raw, updateResultSchema);
        if (reply.ok) {
          return this.state.run(async () => {
            // Applied already, as the previous update of the node's next proposal?
            if ((this.current.state?.nonce ?? 0) >= update.nonce) {
              return this.appliedEarlier(update.nonce, reply.result.update);
            }
            const applied = acceptCountersigned(view, update, reply.result.update, context);
            await this.adopt(view, applied, true);
            return applied;
          });
        }
        const { code, message: reason, latestUpdate } = reply.error;
        const retriable = code === "STALE_NONCE" || code === "NONCE_GAP";
        if (!retriable || attempt >= MAX_RETRIES) {
          throw nodeRefusal(code, `the node refused the ${wanted.type}: ${reason}`);
        }
        // The node moved on (its own proposal won the nonce, or we missed one): catch up.
        if (latestUpdate) await this.catchUp(latestUpdate);
        if ((this.current.state?.nonce ?? 0) < (latestUpdate?.nonce ?? 0)) await this.restore();
      }
    });
  }

  /** Answers a proposal from the node: the reply to send back. */
  async respond(raw: Uint8Array): Promise<string> {
    let message: UpdateMessage;
    try {
      message = decodeUpdateMessage(raw);
    } catch (error) {
      return replyFor(error);
    }
    return this.state.run(async () => {
      try {
        if (message.update.fromIdentifier.toLowerCase() !== this.deps.node.toLowerCase()) {
          throw new ProtocolError("WRONG_PARTICIPANTS", "only the node proposes to us here");
        }
        if (message.previousUpdate) await this.catchUpLocked(message.previousUpdate);
        this.requireNoDispute(message.update.type);
        if (message.update.type === "resume") await this.deps.beforeResume?.();
        let view = this.current;
        const nonce = view.state?.nonce ?? 0;
        if (message.update.nonce <= nonce) {
          throw new ProtocolError(
            "STALE_NONCE",
            `expected nonce ${nonce + 1}, got ${message.update.nonce}`,
            { latestUpdate: view.state?.latestUpdate },
          );
        }
        await this.deps.check(view, message.update);
        view = this.current;
        const context = await this.context(view, message.update);
        const { applied } = await respondToUpdate(view, message.update, this.deps.signer, context);
        await this.adopt(view, applied, false);
        return okReply({ update: applied.state.latestUpdate });
      } catch (error) {
        return replyFor(error);
      }
    });
  }

  /**
   * Exchanges latest updates with the node; whoever is one behind catches up. Calls while one
   * runs share a single next one (it starts after the running one, so it sees what they were
   * told about): a burst of hints costs the node two syncs, not one each.
   */
  sync(): Promise<void> {
    if (!this.syncing) {
      this.syncing = this.syncOnce().finally(() => {
        this.syncing = undefined;
      });
      return this.syncing;
    }
    this.nextSync ??= this.syncing
      .catch(() => {})
      .then(() => {
        this.nextSync = undefined;
        return this.sync();
      });
    return this.nextSync;
  }

  private async syncOnce(): Promise<void> {
    const latest = this.current.state?.latestUpdate;
    const raw = await this.deps.request(
      "sync",
      encodeWire({
        protocolVersion: PROTOCOL_VERSION,
        ...(latest ? { latestUpdate: latest } : {}),
      }),
    );
    const reply = decodeReply<SyncResult>(raw, syncResultSchema);
    if (!reply.ok) throw nodeRefusal(reply.error.code, reply.error.message);
    const theirs = reply.result.latestUpdate;
    if (!theirs) return;
    await this.catchUp(theirs);
    if ((this.current.state?.nonce ?? 0) < theirs.nonce) await this.restore();
  }

  /**
   * Replaces the channel with the node's latest doubly-signed state, after checking it. The
   * node sends it in pages (RESTORE_PAGE_TRANSFERS transfers each); a channel that moves on
   * between two pages starts the restore over.
   */
  async restore(): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      const first = await this.restorePage({});
      if (!first) return false;
      if (first === "moved") continue;
      const transfers = [...first.activeTransfers];
      let moved = false;
      while (!moved && transfers.length < first.totalTransfers) {
        const page = await this.restorePage({
          nonce: first.channel.nonce,
          offset: transfers.length,
        });
        if (page === undefined || page === "moved") {
          moved = true;
        } else if (page.offset !== transfers.length || page.activeTransfers.length === 0) {
          throw new ClientError(
            "MALFORMED_MESSAGE",
            `the node sent restore page ${page.offset} (${page.activeTransfers.length} transfers) for offset ${transfers.length}`,
          );
        } else {
          transfers.push(...page.activeTransfers);
        }
      }
      if (moved) {
        if (attempt >= MAX_RETRIES) {
          throw new ClientError("STALE_NONCE", "the channel kept moving on during the restore");
        }
        continue;
      }
      const message: RestoreMessage = {
        protocolVersion: PROTOCOL_VERSION,
        channel: first.channel,
        activeTransfers: transfers.slice(0, first.totalTransfers),
      };
      await this.state.run(async () => {
        const view = validateRestore(
          message,
          { identity: this.deps.signer.address, state: this.current.state },
          this.baseContext(),
        );
        await this.storage.replace(view);
        this.current = view;
      });
      return true;
    }
  }

  /** One restore page; undefined: no channel; "moved": the channel moved on since `nonce`. */
  private async restorePage(
    request: Omit<RestoreRequest, "protocolVersion">,
  ): Promise<RestorePage | "moved" | undefined> {
    const raw = await this.deps.request(
      "restore",
      encodeWire({ protocolVersion: PROTOCOL_VERSION, ...request }),
    );
    const reply = decodeReply<RestorePage>(raw, restorePageSchema, MAX_RESTORE_BYTES);
    if (reply.ok) return reply.result;
    if (reply.error.code === "CHANNEL_NOT_SETUP") return undefined;
    if (reply.error.code === "STALE_NONCE" && request.nonce !== undefined) return "moved";
    throw nodeRefusal(reply.error.code, reply.error.message);
  }

  /** Asks the node for something that needs no channel update from us. */
  async call(method: string, payload: object): Promise<void> {
    const raw = await this.deps.request(
      method,
      encodeWire({ protocolVersion: PROTOCOL_VERSION, ...payload }),
    );
    const reply = decodeReply(raw, emptyResultSchema);
    if (!reply.ok) throw nodeRefusal(reply.error.code, reply.error.message);
  }

  private requireNoDispute(type: string): void {
    if (this.disputed && type !== "resume") {
      throw new ProtocolError(
        "CHANNEL_IN_DISPUTE",
        `a dispute is on record for the channel: no ${type} until it has run its course and the channel resumed`,
      );
    }
  }

  private catchUp(latest: ChannelUpdate): Promise<void> {
    return this.state.run(() => this.catchUpLocked(latest));
  }

  /** Adopts a doubly-signed update that is exactly our next one; anything else is left. */
  private async catchUpLocked(latest: ChannelUpdate): Promise<void> {
    const view = this.current;
    if (latest.nonce !== (view.state?.nonce ?? 0) + 1) return;
    const applied = applyDoublySigned(view, latest, this.baseContext());
    await this.adopt(view, applied, latest.fromIdentifier === this.deps.signer.address);
  }

  /**
   * Our update, countersigned, that reached us first through the node's next proposal. It
   * must be the very update we hold at that nonce: anything else would be two signed states
   * with one nonce.
   */
  private appliedEarlier(nonce: number, countersigned: ChannelUpdate): AppliedUpdate {
    const applied = this.recent.get(nonce);
    const held = applied?.state.latestUpdate;
    if (
      !applied ||
      held?.aliceSignature !== countersigned.aliceSignature ||
      held?.bobSignature !== countersigned.bobSignature
    ) {
      throw new ClientError(
        "UPDATE_MISMATCH",
        `the node countersigned an update at nonce ${nonce} that is not the one we hold`,
      );
    }
    return applied;
  }

  private async adopt(before: ChannelView, applied: AppliedUpdate, ours: boolean): Promise<void> {
    const next = adoptApplied(before, applied);
    await this.persist(next);
    this.current = next;
    this.recent.set(applied.state.nonce, applied);
    if (this.recent.size > RECENT_KEPT)
      this.recent.delete(this.recent.keys().next().value as number);
    this.deps.applied(applied, before, ours);
  }

  private async persist(view: ChannelView): Promise<void> {
    await this.storage.save(view);
  }

  private baseContext(): UpdateContext {
    return {
      network: this.deps.network,
      now: this.deps.now(),
      lookupDefinition: this.deps.lookupDefinition,
    };
  }

  private async context(
    view: ChannelView,
    update: { type: string; assetId?: string },
  ): Promise<UpdateContext> {
    const context = this.baseContext();
    if (update.type === "deposit" && update.assetId) {
      const channelAddress = view.state?.channelAddress;
      if (!channelAddress) throw new ProtocolError("CHANNEL_NOT_SETUP", "deposit before setup");
      context.chainDeposits = await this.deps.readDeposits(channelAddress, update.assetId);
    }
    if (update.type === "resume") {
      const state = view.state;
      if (!state) throw new ProtocolError("CHANNEL_NOT_SETUP", "resume before setup");
      context.chainDispute = await this.deps.readDisputeOutcome(
        state.channelAddress,
        state.assetIds,
        [...view.transfers.keys()],
      );
    }
    return context;
  }
}

function replyFor(error: unknown): string {
  if (isProtocolError(error)) {
    const latest = error.context.latestUpdate as ChannelUpdate | undefined;
    return errorReply({
      code: error.code,
      message: error.message,
      ...(latest ? { latestUpdate: latest } : {}),
    });
  }
  if (error instanceof ClientError) return errorReply({ code: error.code, message: error.message });
  return errorReply({ code: "INTERNAL", message: "the client could not answer" });
}

export { EMPTY as EMPTY_VIEW };
