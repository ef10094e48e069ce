import type { NatsConnection, Subscription } from "@nats-io/nats-core";
import {
  ChannelMastercopy__factory,
  readChannelDeposits,
  readDisputeOutcome,
} from "../contracts-bindings";
import {
  type AppliedUpdate,
  acceptCountersigned,
  adoptApplied,
  applyDoublySigned,
  type ChannelUpdate,
  type ChannelView,
  DEFAULT_CLAIM_BUFFER_SECONDS,
  decodeUpdateMessage,
  definitionRegistry,
  encodeMessage,
  type FullChannelState,
  hashlock,
  MerkleTree,
  minimumPayerExpiry,
  PROTOCOL_VERSION,
  privateKeySigner,
  proposeUpdate,
  respondToUpdate,
  type UpdateContext,
  type UpdateDraft,
  type UpdateMessage,
  withdraw,
} from "../protocol";
import {
  decodeReply,
  emptyResultSchema,
  encodeWire,
  errorReply,
  okReply,
  type ReplyError,
  subjectFor,
  syncResultSchema,
  updateResultSchema,
} from "../protocol/messaging";
import type { Stack } from "./stack";
import { connectAsUser } from "./userConnection";

/** What a raw user answers to one of the node's proposals: the reply payload to send. */
export type ProposalHandler = (message: UpdateMessage, user: RawUser) => Promise<string>;

/**
 * A user built from the protocol's own functions over raw NATS, with no client library: what
 * a real attacker would run. It keeps its own copy of the channel, proposes what it likes,
 * and answers the node's proposals through `onProposal` (honestly unless a test replaces it).
 */
export class RawUser {
  view: ChannelView = { state: undefined, transfers: new Map(), tree: new MerkleTree() };
  /** Every doubly-signed state this user adopted, oldest first: what a stale dispute uses. */
  readonly history: FullChannelState[] = [];
  /** The node's proposals in arrival order, whatever was answered. */
  readonly proposals: UpdateMessage[] = [];
  onProposal: ProposalHandler = (message, user) => user.countersignAndAdopt(message);
  private subscription: Subscription | undefined;

  private constructor(
    private readonly stack: Stack,
    readonly index: number,
    readonly nats: NatsConnection,
  ) {}

  /** Signs in as dev account `index`, listens for the node's proposals, sets the channel up. */
  static async connect(stack: Stack, index: number, timeout = 3600): Promise<RawUser> {
    const wallet = stack.wallet(index);
    const nats = await connectAsUser(stack, index);
    const user = new RawUser(stack, index, nats);
    user.subscription = nats.subscribe(
      subjectFor(wallet.address, stack.node.identifier, "update"),
      {
        callback: (_error, msg) => {
          const message = decodeUpdateMessage(msg.data);
          user.proposals.push(message);
          user
            .onProposal(message, user)
            .catch((error: Error) => errorReply({ code: "INTERNAL", message: error.message }))
            .then((reply) => msg.respond(reply));
        },
      },
    );
    await nats.flush();
    await user.propose({
      type: "setup",
      counterparty: stack.node.identifier,
      timeout,
      networkContext: network(stack),
    });
    return user;
  }

  get address(): string {
    return this.stack.wallet(this.index).address;
  }

  get state(): FullChannelState {
    if (!this.view.state) throw new Error("the raw user has no channel");
    return this.view.state;
  }

  get channel() {
    return ChannelMastercopy__factory.connect(
      this.state.channelAddress,
      this.stack.wallet(this.index),
    );
  }

  context(extra: Partial<UpdateContext> = {}): UpdateContext {
    const book = this.stack.book;
    const registry = definitionRegistry([
      { address: book.hashlockTransfer, rules: hashlock },
      { address: book.withdraw, rules: withdraw },
    ]);
    return {
      network: network(this.stack),
      now: this.stack.clock.now(),
      lookupDefinition: (address) => registry.get(address.toLowerCase()),
      ...extra,
    };
  }

  /** Proposes an update and adopts it once countersigned; throws the node's refusal. */
  async propose(draft: UpdateDraft, extra: Partial<UpdateContext> = {}): Promise<ChannelUpdate> {
    const context = this.context(extra);
    const { update } = await proposeUpdate(
      this.view,
      draft,
      privateKeySigner(this.stack.wallet(this.index).privateKey),
      context,
    );
    const reply = await this.send(update);
    if (!reply.ok) throw new RefusedError(reply.error);
    // Adopted already, as the previous update of the node's next proposal.
    if ((this.view.state?.nonce ?? 0) >= update.nonce) return reply.result.update;
    this.adopt(acceptCountersigned(this.view, update, reply.result.update, context));
    return reply.result.update;
  }

  /** Sends an update (signed or not) as a proposal; the node's raw answer. */
  async send(update: ChannelUpdate, previousUpdate?: ChannelUpdate) {
    const message: UpdateMessage = {
      protocolVersion: PROTOCOL_VERSION,
      update,
      ...(previousUpdate ? { previousUpdate } : {}),
    };
    const raw = await this.nats.request(
      subjectFor(this.stack.node.identifier, this.address, "update"),
      encodeMessage(message),
      { timeout: 10_000 },
    );
    return decodeReply<{ update: ChannelUpdate }>(raw.data, updateResultSchema);
  }

  /** Calls a node method that needs no channel update (collateral); throws its refusal. */
  async call(method: string, body: Record<string, unknown>): Promise<void> {
    const raw = await this.nats.request(
      subjectFor(this.stack.node.identifier, this.address, method),
      JSON.stringify({ protocolVersion: PROTOCOL_VERSION, ...body }),
      { timeout: 10_000 },
    );
    const reply = decodeReply(raw.data, emptyResultSchema);
    if (!reply.ok) throw new RefusedError(reply.error);
  }

  /** Says hello with `latest` (default: our latest update); returns the node's latest. */
  async sync(latest: ChannelUpdate | undefined = this.view.state?.latestUpdate) {
    const raw = await this.nats.request(
      subjectFor(this.stack.node.identifier, this.address, "sync"),
      encodeWire({
        protocolVersion: PROTOCOL_VERSION,
        ...(latest ? { latestUpdate: latest } : {}),
      }),
      { timeout: 10_000 },
    );
    const reply = decodeReply<{ latestUpdate?: ChannelUpdate }>(raw.data, syncResultSchema);
    if (!reply.ok) throw new RefusedError(reply.error);
    return reply.result.latestUpdate;
  }

  /** Countersigns a node proposal (catching up on its previous update) without adopting it. */
  async countersign(message: UpdateMessage): Promise<AppliedUpdate> {
    if (
      message.previousUpdate &&
      message.previousUpdate.nonce === (this.view.state?.nonce ?? 0) + 1
    ) {
      this.adopt(applyDoublySigned(this.view, message.previousUpdate, this.context()));
    }
    const context = await this.contextFor(message.update);
    const signer = privateKeySigner(this.stack.wallet(this.index).privateKey);
    const { applied } = await respondToUpdate(this.view, message.update, signer, context);
    return applied;
  }

  /** The honest answer: countersign, adopt, reply ok. */
  async countersignAndAdopt(message: UpdateMessage): Promise<string> {
    const applied = await this.countersign(message);
    this.adopt(applied);
    return okReply({ update: applied.state.latestUpdate });
  }

  adopt(applied: AppliedUpdate): void {
    this.view = adoptApplied(this.view, applied);
    this.history.push(applied.state);
  }

  /** Deposits on-chain (plain transfer to the channel address) and reconciles it. */
  async deposit(amount: bigint): Promise<void> {
    const wallet = this.stack.wallet(this.index);
    await (await wallet.sendTransaction({ to: this.state.channelAddress, value: amount })).wait();
    // The node's deposit watcher may reconcile it first (we countersign): then we are done.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const chain = await this.chainDeposits(ETH);
      const index = this.state.assetIds.findIndex((a) => a.toLowerCase() === ETH);
      if (
        index !== -1 &&
        (this.state.processedDepositsB[index] as bigint) >= chain.totalDepositsBob
      ) {
        return;
      }
      try {
        await this.propose({ type: "deposit", assetId: ETH }, { chainDeposits: chain });
        return;
      } catch (error) {
        const raced = error instanceof RefusedError && error.error.code === "STALE_NONCE";
        if (!raced || Date.now() > deadline) throw error;
        await Bun.sleep(50);
      }
    }
  }

  chainDeposits(assetId: string) {
    return readChannelDeposits(this.stack.provider, this.state.channelAddress, assetId);
  }

  async close(): Promise<void> {
    this.subscription?.unsubscribe();
    await this.nats.close();
  }

  private async contextFor(update: ChannelUpdate): Promise<UpdateContext> {
    if (update.type === "resume") return this.context({ chainDispute: await this.chainDispute() });
    if (update.type !== "deposit") return this.context();
    return this.context({ chainDeposits: await this.chainDeposits(update.assetId) });
  }

  /** What the channel's finished dispute left on-chain, for a resume. */
  chainDispute() {
    return readDisputeOutcome(this.stack.provider, this.state.channelAddress, this.state.assetIds, [
      ...this.view.transfers.keys(),
    ]);
  }
}

/** The node refused a raw user's proposal. */
export class RefusedError extends Error {
  constructor(readonly error: ReplyError) {
    super(`${error.code}: ${error.message}`);
  }
}

export const ETH = "0x0000000000000000000000000000000000000000";

function network(stack: Stack) {
  const book = stack.book;
  return {
    chainId: book.chainId,
    channelFactoryAddress: book.channelFactory,
    channelMastercopyAddress: book.channelMastercopy,
    transferRegistryAddress: book.transferRegistry,
  };
}

/** A refusal reply, as a misbehaving user answers. */
export function refuse(code = "TRANSFER_REJECTED", message = "no"): string {
  return errorReply({ code, message });
}

/**
 * A routed payment's create draft, with an expiry the node accepts for two channels of
 * `channelTimeout` (and `window` seconds for the payee to claim), unless `expiry` is given.
 */
export function paymentDraft(
  stack: Stack,
  args: {
    recipient: string;
    amount: bigint;
    lockHash: string;
    paymentId: string;
    channelTimeout?: number;
    window?: number;
    expiry?: number;
    transferTimeout?: number;
  },
): UpdateDraft {
  const now = stack.clock.now();
  const timeout = args.channelTimeout ?? 3600;
  const buffer = DEFAULT_CLAIM_BUFFER_SECONDS;
  const expiry =
    args.expiry ??
    Number(minimumPayerExpiry(now, timeout, timeout, buffer)) + (args.window ?? 3600);
  return {
    type: "create",
    assetId: ETH,
    amount: args.amount,
    transferDefinition: stack.book.hashlockTransfer,
    transferInitialState: hashlock.encodeState({ lockHash: args.lockHash, expiry: BigInt(expiry) }),
    transferTimeout: args.transferTimeout ?? expiry - now + buffer,
    meta: { routing: { paymentId: args.paymentId, recipient: args.recipient } },
  };
}
