import type { NatsConnection } from "@nats-io/nats-core";
import type { Logger } from "pino";
import { type Clock, seconds, systemClock } from "../../clock";
import type { TransferDefund } from "../../contracts-bindings";
import {
  type AppliedUpdate,
  type ChainDisputeOutcome,
  type ChannelSigner,
  decodeUpdateMessage,
  ProtocolError,
  restorePageOf,
  toChecksumAddress,
  type UpdateType,
} from "../../protocol";
import { definitionPlugins, type PluginEntry, pluginOf, rulesOf } from "../../protocol/definitions";
import {
  collateralRequestSchema,
  decodeRequest,
  encodeEvent,
  type RestoreRequest,
  restoreRequestSchema,
  type SyncRequest,
  syncRequestSchema,
} from "../../protocol/messaging";
import type { NetworkContext } from "../../protocol/types";
import type { CollateralPolicy } from "../settings";
import type { ChannelStore } from "../store/channelStore";
import type { PaymentRepository } from "../store/payments";
import type { PendingWithdrawalRepository } from "../store/pendingWithdrawals";
import { CatchUps } from "./catchUps";
import { ChannelLocks, type CrossProcessLock } from "./channelLocks";
import { type ChainDeposits, ChannelService } from "./channelService";
import { Collateral, type CollateralRules } from "./collateral";
import { crossProcessExclusive } from "./crossProcessExclusive";
import { DefinitionEffects } from "./definitionEffects";
import { isNodeError } from "./errors";
import { NodeMessaging, type RequestHandler } from "./nodeMessaging";
import { type PayerDisputeOutcome, PayerDisputes } from "./payerDisputes";
import { proposalPolicy } from "./proposalPolicy";
import { PaymentRouter, type RouterDeps } from "./router";
import { DEFAULT_ROUTING_RULES, nodeProtocolPolicy, type RoutingRules } from "./routingRules";
import { WithdrawalLimits, type WithdrawalRules } from "./withdrawalLimits";
import { type SignedWithdrawal, type WithdrawalRetry, Withdrawals } from "./withdrawals";

/** What the engine needs of the chain; the node's ChainService provides it. */
export interface EngineChain {
  readDeposits(channelAddress: string, assetId: string): Promise<ChainDeposits>;
  /** How a transfer was paid out on-chain in a dispute (its TransferDefunded event), if it was. */
  findTransferDefund(
    channelAddress: string,
    transferId: string,
  ): Promise<TransferDefund | undefined>;
  /** What a channel's finished dispute left on-chain (`readDisputeOutcome`), for a resume. */
  readDisputeOutcome(
    channelAddress: string,
    assetIds: string[],
    transferIds: string[],
  ): Promise<ChainDisputeOutcome>;
  depositAlice(args: {
    alice: string;
    bob: string;
    assetId: string;
    amount: bigint;
  }): Promise<{ transactionHash: string }>;
  withdraw(
    args: SignedWithdrawal,
  ): Promise<{ transactionHash?: string; alreadyExecuted?: boolean }>;
  /** Deposits into the channel still in flight, waited for (several node processes). */
  awaitDepositsInFlight?(channelAddress: string): Promise<void>;
}

export interface EngineOptions {
  signer: ChannelSigner;
  network: NetworkContext;
  hashlockAddress: string;
  withdrawAddress: string;
  /** Where ThreadTransfer is deployed; without it the node carries no threads. */
  threadAddress?: string;
  /** Definitions the node carries beyond the built-in ones, each with its plug-in. */
  definitions?: readonly PluginEntry[];
  store: ChannelStore;
  payments: PaymentRepository;
  /** Withdrawal commitments the node must still see executed. */
  pendingWithdrawals: PendingWithdrawalRepository;
  chain: EngineChain;
  connection: NatsConnection;
  collateral: Record<string, CollateralPolicy>;
  /** How collateral is rationed: request rate, demand window, clock (issue 9 §6). */
  collateralRules?: Partial<CollateralRules>;
  crossProcessLock?: CrossProcessLock;
  logger: Logger;
  observeLatency(type: string, role: "proposer" | "responder", seconds: number): void;
  /** Expiry bounds for routed payments (DESIGN §4.6). */
  routing?: Partial<RoutingRules>;
  /** Which channels have a dispute on record on-chain (the dispute watcher); none if absent. */
  disputes?: {
    inDispute(channelAddress: string): boolean;
    /** Reads the chain now: true when a dispute is on record (before a deposit). */
    checkOnchain?(channelAddress: string): Promise<boolean>;
    /** A resume was stored: the channel is out of dispute. */
    markResumed?(channelAddress: string, round: number): Promise<void>;
    /**
     * Puts the node's latest state of a payer's channel on record (the operator's `dispute`)
     * unless it holds none of `transferIds` any more: the node's own dispute of a payer that
     * did not settle a paid payment in time (SECURITY rule 23). Absent: never.
     */
    disputePayer?(channelAddress: string, transferIds: string[]): Promise<PayerDisputeOutcome>;
  };
  requestTimeoutMs?: number;
  /**
   * Tests only: stands between every user request and its handler, so that a test can play a
   * node that misbehaves (refuses, withholds, replies something else) with real machinery.
   */
  intercept?: RequestInterceptor;
  /**
   * Tests only: stands between the node and every withdrawal commitment it sends, so that a
   * test can play a node that withholds it (and says otherwise), or whose send fails.
   */
  interceptWithdrawal?: WithdrawalInterceptor;
  /** How unexecuted withdrawal commitments are sent again (defaults: every 15 s, 30 s → 1 h). */
  withdrawalRetry?: Partial<WithdrawalRetry>;
  /** Users' withdrawals: minimum and fee per asset, how many an hour (default: none, 10). */
  withdrawalRules?: Partial<WithdrawalRules>;
  /**
   * Tests only: replaces the mirror the node proposes to a payee (a node that forwards
   * something else than it was paid), with everything else the real node's.
   */
  replaceMirror?: RouterDeps["replaceMirror"];
  /**
   * Tests only: replaces what the node tells a payer about its payment (a node that lies in
   * its unsigned events).
   */
  replacePaymentEvent?: (event: PaymentEvent) => PaymentEvent;
  /**
   * Tests only: runs inside the database transaction that stores each update, before its
   * bookkeeping (a slow transaction, or a stalled process, at the worst moment).
   */
  insideStore?: (applied: AppliedUpdate) => Promise<void>;
  sweepIntervalMs?: number;
  /** Shortest time between two catch-ups of one user's `sync` (default 2 s). */
  catchUpIntervalMs?: number;
  /** Unix seconds (tests move it; default: `clock`'s). */
  now?: () => number;
  /** What the engine's time-based rules run on (default the system's clock). */
  clock?: Clock;
}

/** What the node tells a payer about its payment (unsigned: a hint, never an outcome). */
export interface PaymentEvent {
  paymentId: string;
  status: "pending" | "completed" | "cancelled" | "failed";
  reason?: string;
}

/** See `EngineOptions.intercept`. */
/** See `EngineOptions.interceptWithdrawal`: returns what the send would have. */
export type WithdrawalInterceptor = (
  withdrawal: SignedWithdrawal & { transferId: string },
  /** The real send. */
  send: () => Promise<{ transactionHash?: string; alreadyExecuted?: boolean }>,
) => Promise<{ transactionHash?: string; alreadyExecuted?: boolean }>;

export type RequestInterceptor = (
  request: { method: string; user: string; data: Uint8Array },
  /** Runs the real handler, on the request's data or on other data given instead. */
  handle: (data?: Uint8Array) => Promise<unknown>,
) => Promise<unknown>;

function intercepted(
  intercept: RequestInterceptor | undefined,
  handlers: Record<string, RequestHandler>,
): Record<string, RequestHandler> {
  if (!intercept) return handlers;
  return Object.fromEntries(
    Object.entries(handlers).map(([method, handler]) => [
      method,
      (user: string, data: Uint8Array) =>
        intercept({ method, user, data }, (other) => handler(user, other ?? data)),
    ]),
  );
}

/**
 * The node's engine (issue 5 §5): channels, payment routing, collateral and withdrawals, wired
 * to users over NATS.
 */
export class Engine {
  readonly channels: ChannelService;
  readonly router: PaymentRouter;
  readonly collateral: Collateral;
  readonly messaging: NodeMessaging;
  /** The expiry bounds this node routes payments with. */
  readonly routing: RoutingRules;
  /** What users' withdrawals must meet (GET /config says it). */
  readonly withdrawalLimits: WithdrawalLimits;
  private readonly withdrawals: Withdrawals;
  private sweeper: ReturnType<typeof setInterval> | undefined;
  /** One catch-up per user at a time, however many syncs it sends. */
  private readonly catchUps: CatchUps;
  private readonly background = new Set<Promise<unknown>>();

  constructor(private readonly options: EngineOptions) {
    this.catchUps = new CatchUps({
      intervalMs: options.catchUpIntervalMs ?? 2_000,
      run: (user) => {
        const work = this.resumeFor(user);
        this.track(work);
        return work;
      },
      // Reported by track().
      onError: () => {},
    });
    const { signer, logger } = options;
    const node = signer.address;
    const clock = options.clock ?? systemClock;
    const now = options.now ?? (() => seconds(clock));
    const rules: RoutingRules = { ...DEFAULT_ROUTING_RULES, ...options.routing };
    this.routing = rules;
    this.withdrawalLimits = new WithdrawalLimits(options.withdrawalRules);
    const inDispute = (channelAddress: string) =>
      options.disputes?.inDispute(channelAddress) ?? false;
    const plugins = definitionPlugins(
      {
        hashlockTransfer: options.hashlockAddress,
        withdraw: options.withdrawAddress,
        ...(options.threadAddress ? { threadTransfer: options.threadAddress } : {}),
      },
      options.definitions,
    );
    const registry = rulesOf(plugins);
    this.messaging = new NodeMessaging({
      connection: options.connection,
      node,
      requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
      clock,
      logger,
      handlers: intercepted(options.intercept, {
        update: (user, data) => this.onUpdate(user, data),
        sync: (user, data) => this.onSync(user, data),
        restore: (user, data) => this.onRestore(user, data),
        collateral: (user, data) => this.onCollateral(user, data),
      }),
    });
    this.channels = new ChannelService({
      signer,
      network: options.network,
      store: options.store,
      locks: new ChannelLocks(options.crossProcessLock),
      lookupDefinition: (address) => registry.get(address.toLowerCase()),
      policy: nodeProtocolPolicy(rules),
      inDispute,
      readDeposits: (channel, asset) => options.chain.readDeposits(channel, asset),
      readDisputeOutcome: (view) =>
        options.chain.readDisputeOutcome(
          view.state?.channelAddress as string,
          view.state?.assetIds ?? [],
          [...view.transfers.keys()],
        ),
      resumed: (channelAddress, round) => {
        options.disputes?.markResumed?.(channelAddress, round).catch((error) => {
          logger.error({ channel: channelAddress, err: error }, "resume not recorded");
        });
      },
      requestPeer: (user, method, payload, request) =>
        this.messaging.request(user, method, payload, request),
      peerDeferred: (user) => this.messaging.deferred(user),
      stopping: () => this.messaging.isStopping,
      now,
      logger,
      shared: options.crossProcessLock !== undefined,
      record: async (tx, applied) => {
        await options.insideStore?.(applied);
        await this.effects.record(tx, applied);
      },
      committed: (applied) => this.committed(applied),
      observeLatency: options.observeLatency,
    });
    const notifyPayment = (user: string, event: PaymentEvent) => {
      const told = options.replacePaymentEvent ? options.replacePaymentEvent(event) : event;
      this.messaging.publish(user, "event", encodeEvent({ event: "payment", ...told }));
    };
    this.collateral = new Collateral({
      node,
      channels: this.channels,
      policies: options.collateral,
      readDeposits: (channel, asset) => options.chain.readDeposits(channel, asset),
      depositAlice: async (args) => {
        // Deposited into a channel past a dispute, collateral could never be defunded again.
        const channelAddress = this.channels.channelFor(args.bob);
        if (await options.disputes?.checkOnchain?.(channelAddress)) {
          throw new ProtocolError(
            "CHANNEL_IN_DISPUTE",
            `a dispute is on record for ${channelAddress}: no deposit into it`,
          );
        }
        return options.chain.depositAlice(args);
      },
      inboundDemand: (user, asset, since) => options.payments.inboundDemand(user, asset, since),
      ...(options.crossProcessLock
        ? { exclusive: crossProcessExclusive(options.crossProcessLock) }
        : {}),
      ...(options.chain.awaitDepositsInFlight
        ? {
            awaitDepositsInFlight: (channelAddress: string) =>
              options.chain.awaitDepositsInFlight?.(channelAddress) ?? Promise.resolve(),
          }
        : {}),
      notify: (user, event) =>
        this.messaging.publish(user, "event", encodeEvent({ event: "collateral", ...event })),
      logger,
      ...(options.collateralRules ? { rules: options.collateralRules } : {}),
    });
    this.router = new PaymentRouter({
      node,
      plugins,
      channels: this.channels,
      store: options.store,
      payments: options.payments,
      rules,
      now,
      ensureCollateral: (user, asset, amount) => this.collateral.ensure(user, asset, amount),
      findTransferDefund: (channel, transferId) =>
        options.chain.findTransferDefund(channel, transferId),
      notify: notifyPayment,
      track: (work) => this.track(work),
      logger,
      ...(options.replaceMirror ? { replaceMirror: options.replaceMirror } : {}),
    });
    this.withdrawals = new Withdrawals({
      signer,
      chainId: options.network.chainId,
      withdrawAddress: options.withdrawAddress,
      channels: this.channels,
      policies: options.collateral,
      submit: (args, transferId) =>
        options.interceptWithdrawal
          ? options.interceptWithdrawal({ ...args, transferId }, () => options.chain.withdraw(args))
          : options.chain.withdraw(args),
      pending: options.pendingWithdrawals,
      shared: options.crossProcessLock !== undefined,
      transfer: async (transferId) => (await options.store.getTransfer(transferId))?.transfer,
      ...(options.withdrawalRetry ? { retry: options.withdrawalRetry } : {}),
      notify: (user, event) =>
        this.messaging.publish(user, "event", encodeEvent({ event: "withdraw", ...event })),
      track: (work) => this.track(work),
      logger,
    });
    this.effects = new DefinitionEffects({
      node,
      plugins,
      router: this.router,
      withdrawals: this.withdrawals,
    });
    this.policy = proposalPolicy({
      node,
      definitions: plugins,
      network: options.network,
      hashlockAddress: options.hashlockAddress,
      withdrawAddress: options.withdrawAddress,
      // Live: the admin API adds and removes assets while the node runs (keys are lowercase).
      supportedAssets: { has: (asset) => Object.hasOwn(options.collateral, asset.toLowerCase()) },
      rules,
      now,
      channelTimeout: async (user) => (await this.channels.currentView(user))?.state?.timeout,
      inDispute: (user) => inDispute(this.channels.channelFor(user)),
      paymentExists: (paymentId) => options.payments.exists(paymentId),
      withdrawals: this.withdrawalLimits,
    });
    const disputePayer = options.disputes?.disputePayer;
    if (disputePayer) {
      this.payerDisputes = new PayerDisputes({
        payments: options.payments,
        // A routed payment's payer side: the responder claims it with what the payee revealed.
        claimable: (definition) => pluginOf(plugins, definition)?.routing !== undefined,
        rules,
        now,
        dispute: (channelAddress, transferIds) => disputePayer(channelAddress, transferIds),
        logger,
      });
    }
    this.sweepIntervalMs = options.sweepIntervalMs ?? 5_000;
  }

  /** The node's own disputes of payers that do not settle in time; none without disputes. */
  private readonly payerDisputes: PayerDisputes | undefined;

  private readonly policy: ReturnType<typeof proposalPolicy>;
  private readonly effects: DefinitionEffects;
  private readonly sweepIntervalMs: number;

  /** Starts serving users and resumes whatever was left in flight. */
  start(): void {
    this.messaging.start();
    this.sweeper = setInterval(() => {
      this.track(this.router.sweepExpired());
      this.track(this.router.retryFailed());
      if (this.payerDisputes) this.track(this.payerDisputes.sweep());
    }, this.sweepIntervalMs);
    this.track(this.router.resume());
    this.track(this.withdrawals.start());
  }

  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.withdrawals.stop();
    await this.catchUps.stop();
    await this.messaging.stop();
    // Work in flight finishes (or fails fast: new requests to users are refused now); what
    // it leaves undone is resumed from the database at the next start.
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  /**
   * Proposes the resume that moves a user's channel past its finished dispute (DESIGN §4.7);
   * a user who is away gets it when the responder tries again.
   */
  async resumeChannel(user: string): Promise<void> {
    try {
      await this.channels.propose(user, () => ({ type: "resume" }));
    } catch (error) {
      if (isNodeError(error) && error.code === "PEER_UNAVAILABLE") return;
      throw error;
    }
  }

  /** Calls `listener` for every channel set up from now on. */
  onSetup(listener: (channelAddress: string, user: string) => void): void {
    this.setupListeners.push(listener);
  }

  private readonly setupListeners: ((channelAddress: string, user: string) => void)[] = [];

  /** A deposit seen on-chain (the watcher): reconcile it with the user if nobody did. */
  onChainDeposit(user: string, assetId: string): void {
    this.track(this.collateral.reconcile(user, assetId));
  }

  private async onUpdate(user: string, data: Uint8Array) {
    const message = decodeUpdateMessage(data);
    const update = await this.channels.respond(toChecksumAddress(user), message, this.policy);
    return { update };
  }

  private async onSync(user: string, data: Uint8Array) {
    const request = decodeRequest<SyncRequest>(data, syncRequestSchema);
    const who = toChecksumAddress(user);
    const latestUpdate = await this.channels.sync(who, request.latestUpdate);
    if (latestUpdate) this.catchUps.request(who);
    return latestUpdate ? { latestUpdate } : {};
  }

  /** One page of the user's channel; a later page refuses a channel that moved on meanwhile. */
  private async onRestore(user: string, data: Uint8Array) {
    const request = decodeRequest<RestoreRequest>(data, restoreRequestSchema);
    const view = await this.channels.currentView(toChecksumAddress(user));
    if (!view?.state) throw new ProtocolError("CHANNEL_NOT_SETUP", `no channel with ${user}`);
    if (request.nonce !== undefined && request.nonce !== view.state.nonce) {
      throw new ProtocolError(
        "STALE_NONCE",
        `the channel moved on from nonce ${request.nonce} to ${view.state.nonce}: restore again from the first page`,
      );
    }
    return restorePageOf(view, request.offset ?? 0);
  }

  private async onCollateral(user: string, data: Uint8Array) {
    const { assetId } = decodeRequest<{ assetId: string }>(data, collateralRequestSchema);
    await this.collateral.request(toChecksumAddress(user), assetId);
    return {};
  }

  /** What a returning user is owed: deposits to reconcile, payments to deliver or settle. */
  private async resumeFor(user: string): Promise<void> {
    for (const asset of Object.keys(this.options.collateral)) {
      await this.collateral.reconcile(user, asset).catch(() => {});
    }
    await this.router.resume(user);
  }

  private committed(applied: AppliedUpdate): void {
    const update = applied.state.latestUpdate;
    this.options.logger.info(
      {
        channel: update.channelAddress,
        nonce: update.nonce,
        type: update.type,
        transferId: applied.transfer?.transferId,
      },
      "update stored",
    );
    this.effects.committed(applied);
    this.afterStored[update.type]?.(applied);
  }

  /** What an update of each type sets off here, whatever its transfer's definition. */
  private readonly afterStored: Partial<Record<UpdateType, (applied: AppliedUpdate) => void>> = {
    setup: ({ state }) => {
      for (const listener of this.setupListeners) listener(state.channelAddress, state.bob);
    },
    // A transfer settled: the node's collateral above its policy's threshold goes back.
    resolve: ({ state }) => {
      this.track(this.withdrawals.reclaim(state.bob, state.latestUpdate.assetId));
    },
  };

  private track(work: Promise<unknown>): void {
    const tracked = work.catch((error) => {
      // A user being away is ordinary: what waited for it is resumed when it says hello.
      if (
        isNodeError(error) &&
        (error.code === "PEER_UNAVAILABLE" || error.code === "SHUTTING_DOWN")
      ) {
        this.options.logger.info({ reason: error.message }, "background work waits for the user");
      } else {
        this.options.logger.warn({ err: error }, "background work failed");
      }
    });
    this.background.add(tracked);
    tracked.finally(() => this.background.delete(tracked));
  }
}
