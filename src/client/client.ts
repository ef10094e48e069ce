import type { NatsConnection, Subscription } from "@nats-io/nats-core";
import { type BaseWallet, JsonRpcProvider, Wallet } from "ethers";
import { type Clock, seconds, systemClock } from "../clock";
import { readChannelDeposits } from "../contracts-bindings/channelDeposits";
import { useFastestSecp256k1 } from "../crypto/nativeSecp256k1";
import {
  type AppliedUpdate,
  type ChannelSigner,
  type ChannelUpdate,
  type ChannelView,
  claimableOnchain,
  DEFAULT_CLAIM_BUFFER_SECONDS,
  type FullChannelState,
  type FullTransferState,
  hashlock,
  ProtocolError,
  privateKeySigner,
} from "../protocol";
import { bytesToHex } from "../protocol/bytes";
import {
  type DefinitionPlugins,
  definitionPlugins,
  type PluginEntry,
  rulesOf,
  threadRouting,
} from "../protocol/definitions";
import { inboxPrefixFor, subjectFor } from "../protocol/messaging";
import type { NetworkContext } from "../protocol/types";
import { withdrawalDraft } from "../protocol/withdrawals";
import { checkAppMeta } from "./appMeta";
import { type ArgumentSpec, checkArguments } from "./arguments";
import { readChainId } from "./chain/chainId";
import { depositAsBob } from "./chain/deposit";
import { ClientChannel } from "./clientChannel";
import { type AcceptConditional, ConditionalPolicy } from "./conditionalPolicy";
import { DisputeProgress } from "./disputes/progress";
import { ClientDisputes, type DisputeInfo, type DisputeStarted } from "./disputes/watcher";
import { ClientError } from "./errors";
import { type ClientEventMap, ClientEvents } from "./events";
import { connectMessaging, messagingServers } from "./messaging";
import { NodeApi, type NodeConfig } from "./nodeApi";
import { nodeProposalCheck } from "./nodeEffects";
import {
  type ConditionalParams,
  Payer,
  type PaymentResult,
  type PaymentStatus,
  type TransferParams,
} from "./payer";
import { NodeReactions } from "./reactions";
import { checkMirrorTerms, ReceivedTerms } from "./receivedTerms";
import { PaymentResolver, type ResolveParams, type ResolveResult } from "./resolver";
import { RevealedPreImages } from "./revealedPreImages";
import { Session } from "./session";
import { MemoryStore } from "./store/memory";
import type { ClientStore } from "./store/types";
import type { PayerThread, ThreadHandle } from "./threads/handles";
import { ThreadRecords } from "./threads/records";
import { ClientThreads, type OpenThreadParams } from "./threads/threads";
import { Waiters } from "./waiters";
import { WithdrawalLedger } from "./withdrawals/ledger";
import { type WithdrawalTerms, withdrawalFee, withdrawalTermsOf } from "./withdrawals/terms";
import { ClientWithdrawals } from "./withdrawals/withdrawals";

export interface ConnectOptions {
  /**
   * The user's private key (0x, 32 bytes) or any ethers wallet that holds it (`Wallet`,
   * `HDNodeWallet`): only its key is read. Structural, so that a wallet from the application's
   * own copy of ethers fits too.
   */
  signer: string | Pick<BaseWallet, "privateKey">;
  /** The node's HTTP API, e.g. `http://127.0.0.1:3000`. */
  nodeUrl: string;
  /** The chain, for deposits and for checking the node's deposit claims. */
  ethRpcUrl: string;
  /** Where the channel is kept; in memory when absent (lost with the process). */
  store?: ClientStore;
  /** Overrides the node's advertised messaging URL (`nats://…` or `ws://…`). */
  messagingUrl?: string;
  /** Dispute window of a new channel, seconds (default one day). */
  channelTimeout?: number;
  /** How long `transfer` waits for the payee before answering "pending" (default 10 s). */
  completionTimeoutMs?: number;
  /**
   * How long a payee has to claim a payment off-chain, in seconds (default one hour). A
   * payment's lock lasts this long plus both channels' dispute windows and a claim buffer each
   * (DESIGN §4.6), so that every side can still claim it on-chain.
   */
  paymentExpirySeconds?: number;
  /**
   * How long a thread stays open by default, in seconds beyond what both channels' disputes
   * need (default one day): the payee closes it on its own before its expiry.
   */
  threadExpirySeconds?: number;
  /** Seconds an on-chain claim's transactions may take (default: the node's, at least 15 min). */
  claimBufferSeconds?: number;
  /** The client's clock, unix seconds (tests move it; default: `clock`'s). */
  now?: () => number;
  /**
   * The clock the client's timers run on (token renewal, withdrawal deadlines and retries,
   * dispute polling); default the system's. Tests pass a `ManualClock` and move it.
   */
  clock?: Clock;
  /** How long a request to the node may take before it fails (default 15 s). */
  requestTimeoutMs?: number;
  /**
   * Confirmations before a deposit counts. The client reads deposit totals at the node's depth
   * (GET /config) or this one, whichever is deeper. Deeper than the node's, it also refuses the
   * node's collateral deposits until they are that deep, and payments needing them fail
   * meanwhile: leave it unset unless you mean that. Default: the node's.
   */
  depositConfirmations?: number;
  /**
   * How often the client reads its channel's dispute record on-chain while it is open, ms
   * (default 15 s): one getCode and one eth_call while there is no dispute.
   */
  disputePollMs?: number;
  /**
   * How long the node has to execute a withdrawal's commitment on-chain before the client sends
   * it itself from the user's account, ms (default 5 minutes).
   */
  withdrawalDeadlineMs?: number;
  /**
   * Which conditional payments to us (`conditionalTransfer`: the payer keeps the pre-image and
   * we hold the payment until the application resolves it) the client accepts; the others it
   * cancels at once, refunding their payer, and reports as `transfer.refused`. Default: those
   * whose payer signed its terms. Anyone can send them, so an application that expects only
   * some should say which.
   */
  acceptConditional?: AcceptConditional;
  /** Most conditional payments to us held unresolved at once (default 64); more are refused. */
  maxPendingConditional?: number;
  /**
   * Transfer definitions the client carries beyond the built-in ones (HashlockTransfer,
   * Withdraw): each deployed and registered in the node's TransferRegistry at `address`, with
   * the plug-in that says its rules and what the client does with one (`TransferPlugin`). The
   * node must carry the same ones; the client refuses the node's proposals of any other.
   *
   * @example
   * await ConnextClient.connect({ ...options, definitions: [{ address, plugin: myPlugin }] });
   */
  definitions?: readonly PluginEntry[];
}

export type { DisputeInfo, DisputeStarted, PaymentStatus, ResolveParams, ResolveResult };

const DAY = 86_400;

/**
 * A user's connection to its node (issue 5 §6): one channel, deposits, payments through the
 * node, withdrawals, and events. Every message from the node is validated by the protocol core
 * before anything is signed.
 *
 * @example
 * const client = await ConnextClient.connect({ signer, nodeUrl, ethRpcUrl });
 * await client.deposit({ assetId: ZeroAddress, amount: parseEther("1") });
 * await client.transfer({ recipient, assetId: ZeroAddress, amount: parseEther("0.1") });
 */
export class ConnextClient {
  private readonly events = new ClientEvents();
  private readonly payments = new Waiters<{ status: PaymentStatus; reason?: string }>();
  private readonly withdrawals: ClientWithdrawals;
  private readonly subscriptions: Subscription[] = [];
  private readonly background = new Set<Promise<unknown>>();
  private janitor: ReturnType<typeof setInterval> | undefined;
  private closed = false;
  private readonly reactions: NodeReactions;
  private readonly payer: Payer;
  private readonly revealed: RevealedPreImages;
  private readonly resolver: PaymentResolver;
  /** The payer's signed terms of each payment to us, checked against the node's mirror. */
  private readonly receivedTerms: ReceivedTerms;
  private readonly disputes: ClientDisputes;
  private readonly threads: ClientThreads;
  /** The wallet's key as the protocol signs with it. */
  private readonly signer: ChannelSigner;

  private constructor(
    private readonly wallet: Wallet,
    private readonly config: NodeConfig,
    private readonly api: NodeApi,
    private readonly nats: NatsConnection,
    private readonly channel: ClientChannel,
    private readonly options: Required<
      Pick<
        ConnectOptions,
        | "completionTimeoutMs"
        | "paymentExpirySeconds"
        | "threadExpirySeconds"
        | "channelTimeout"
        | "depositConfirmations"
        | "claimBufferSeconds"
        | "disputePollMs"
        | "withdrawalDeadlineMs"
        | "now"
        | "clock"
        | "requestTimeoutMs"
      >
    >,
    private readonly store: ClientStore,
    /** Whether we made the store (and so close it); a caller's store stays the caller's. */
    private readonly ownsStore: boolean,
    private readonly session: Session,
    progress: DisputeProgress,
    withdrawalLedger: WithdrawalLedger,
    receiving: Pick<ConnectOptions, "acceptConditional" | "maxPendingConditional"> & {
      plugins: DefinitionPlugins;
    },
  ) {
    this.signer = privateKeySigner(wallet.privateKey);
    const scope = `${config.nodeIdentifier.toLowerCase()}:${wallet.address.toLowerCase()}`;
    this.revealed = new RevealedPreImages(store, `revealed:${scope}`);
    this.receivedTerms = new ReceivedTerms({
      address: wallet.address,
      privateKey: wallet.privateKey,
      hashlockAddress: config.contractAddresses.hashlockTransfer,
    });
    this.resolver = new PaymentResolver({
      hashlockAddress: config.contractAddresses.hashlockTransfer,
      channel,
      terms: this.receivedTerms,
      revealed: this.revealed,
      claimable: (transfer) => this.claimable(transfer),
    });
    this.payer = new Payer({
      config,
      api,
      channel,
      key: { address: wallet.address, privateKey: wallet.privateKey },
      outcomes: this.payments,
      now: options.now,
      claimBufferSeconds: options.claimBufferSeconds,
      paymentWindowSeconds: options.paymentExpirySeconds,
      completionTimeoutMs: options.completionTimeoutMs,
    });
    const threadAddress = config.contractAddresses.threadTransfer;
    this.threads = new ClientThreads({
      wallet,
      deployment: { chainId: config.chainId, definition: threadAddress },
      nats,
      channel,
      lock: (params) =>
        this.payer.lockThread({
          ...params,
          definition: threadAddress,
          windowSeconds: options.threadExpirySeconds,
        }),
      records: new ThreadRecords(store, scope),
      events: this.events,
      checkTerms: (transfer) =>
        checkMirrorTerms(transfer, wallet, threadRouting.terms(transfer.transferState)),
      closeDue: (transfer) => this.threadCloseDue(transfer),
      requestTimeoutMs: options.requestTimeoutMs,
      completionTimeoutMs: options.completionTimeoutMs,
      track: (work) => this.track(work),
    });
    this.reactions = new NodeReactions({
      threads: this.threads,
      wallet,
      plugins: receiving.plugins,
      channel,
      events: this.events,
      terms: this.receivedTerms,
      conditional: new ConditionalPolicy({
        me: wallet.address,
        hashlockAddress: config.contractAddresses.hashlockTransfer,
        terms: this.receivedTerms,
        view: () => channel.view,
        ...(receiving.acceptConditional ? { accept: receiving.acceptConditional } : {}),
        ...(receiving.maxPendingConditional !== undefined
          ? { maxPending: receiving.maxPendingConditional }
          : {}),
      }),
      payments: this.payments,
      nodeReportedWithdrawal: (transferId) => this.withdrawals.nodeReported(transferId),
      withdrawalResolved: (transfer) => this.withdrawals.resolved(transfer),
      track: (work) => this.track(work),
      hint: () => {
        if (!this.closed && !channel.inDispute) this.track(channel.sync());
      },
      getBalance: (assetId) => this.getBalance(assetId),
      resolveTransfer: (args) => this.resolveTransfer(args),
      revealed: (transferId) => this.revealed.has(transferId),
      claimable: (transfer) => this.claimable(transfer),
      now: options.now,
      closed: () => this.closed,
      inDispute: () => channel.inDispute,
    });
    this.disputes = new ClientDisputes({
      wallet,
      provider: wallet.provider as JsonRpcProvider,
      channel,
      events: this.events,
      progress,
      channelFactory: config.contractAddresses.channelFactory,
      hashlockAddress: config.contractAddresses.hashlockTransfer,
      withdrawAddress: config.contractAddresses.withdraw,
      supportedAssets: config.supportedAssets,
      revealed: (transferId) => this.revealed.get(transferId),
      otherResolver: (transfer, chainTime) => this.threads.resolverFor(transfer, chainTime),
      pollMs: options.disputePollMs,
      clock: options.clock,
      closed: () => this.closed,
      track: (work) => this.track(work),
      reopened: () => this.reactions.settleReceived(),
    });
    this.withdrawals = new ClientWithdrawals({
      wallet,
      provider: wallet.provider as JsonRpcProvider,
      ledger: withdrawalLedger,
      events: this.events,
      node: config.nodeIdentifier,
      chainId: config.chainId,
      withdrawAddress: config.contractAddresses.withdraw,
      channelFactory: config.contractAddresses.channelFactory,
      deadlineMs: options.withdrawalDeadlineMs,
      pollMs: Math.min(2_000, Math.max(100, options.withdrawalDeadlineMs / 4)),
      clock: options.clock,
      closed: () => this.closed,
      track: (work) => this.track(work),
    });
  }

  /**
   * Connects to the node, signs in, and sets the channel up (or restores it) if new here.
   *
   * @example
   * const client = await ConnextClient.connect({
   *   signer: Wallet.fromPhrase(mnemonic),
   *   nodeUrl: "http://127.0.0.1:3000",
   *   ethRpcUrl: "http://127.0.0.1:8545",
   *   store: new FileStore(".connext-client"),
   * });
   */
  static async connect(options: ConnectOptions): Promise<ConnextClient> {
    checkArguments("connect", options, { nodeUrl: "url", ethRpcUrl: "url" });
    const key = typeof options.signer === "string" ? options.signer : options.signer?.privateKey;
    checkArguments("connect", { signer: key }, { signer: "privateKey" });
    // Native libsecp256k1 under Bun when it is installed; noble in Node, browsers, or without it.
    await useFastestSecp256k1();
    const provider = new JsonRpcProvider(options.ethRpcUrl, undefined, {
      cacheTimeout: -1,
      pollingInterval: 500,
    });
    const wallet = new Wallet(key as string, provider);
    const api = new NodeApi(options.nodeUrl);
    const config = await api.config().catch((error) => {
      provider.destroy();
      throw error;
    });
    const chainId = await readChainId(
      provider,
      options.ethRpcUrl,
      options.requestTimeoutMs ?? 15_000,
    );
    if (Number(chainId) !== config.chainId) {
      throw new ClientError(
        "WRONG_CHAIN",
        `the node runs on chain ${config.chainId}, ${options.ethRpcUrl} is chain ${chainId}`,
      );
    }
    const clock = options.clock ?? systemClock;
    const session = await Session.open(
      api,
      wallet.address,
      (message) => wallet.signMessage(message),
      clock,
    );
    const nats = await connectMessaging({
      urls: messagingServers(config, options.messagingUrl),
      wsUrl: config.messagingWsUrl,
      jwt: () => session.jwt,
      nkeySeed: () => session.nkeySeed(),
      inboxPrefix: inboxPrefixFor(wallet.address),
      name: `connext-client ${wallet.address}`,
    });
    const store = options.store ?? new MemoryStore();
    const network: NetworkContext = {
      chainId: config.chainId,
      channelFactoryAddress: config.contractAddresses.channelFactory,
      channelMastercopyAddress: config.contractAddresses.channelMastercopy,
      transferRegistryAddress: config.contractAddresses.transferRegistry,
    };
    const plugins = definitionPlugins(config.contractAddresses, options.definitions);
    const registry = rulesOf(plugins);
    const node = config.nodeIdentifier;
    const progress = await DisputeProgress.load(
      store,
      `dispute:${node.toLowerCase()}:${wallet.address.toLowerCase()}`,
    );
    const now = options.now ?? (() => seconds(clock));
    // Our own safety margin, never below what the node routes with.
    const claimBufferSeconds = Math.max(
      options.claimBufferSeconds ?? DEFAULT_CLAIM_BUFFER_SECONDS,
      config.routing?.claimBufferSeconds ?? 0,
    );
    let client: ConnextClient | undefined;
    const proposalCheck = nodeProposalCheck({
      me: wallet.address,
      node,
      chainId: config.chainId,
      hashlockAddress: config.contractAddresses.hashlockTransfer,
      withdrawAddress: config.contractAddresses.withdraw,
      definitions: plugins,
      claimBufferSeconds,
      now,
    });
    const withdrawalLedger = await WithdrawalLedger.load(
      store,
      `withdrawals:${node.toLowerCase()}:${wallet.address.toLowerCase()}`,
    );
    // A shallower read than the node's would claim totals the node refuses (INVALID_DEPOSIT).
    const depositConfirmations = Math.max(
      options.depositConfirmations ?? 1,
      config.depositConfirmations ?? 1,
    );
    const channel = new ClientChannel({
      signer: privateKeySigner(key),
      node,
      network,
      store,
      lookupDefinition: (address) => registry.get(address.toLowerCase()),
      readDeposits: (channelAddress, assetId) =>
        readChannelDeposits(provider, channelAddress, assetId, {
          confirmations: depositConfirmations,
        }),
      readDisputeOutcome: (channelAddress, assetIds, transferIds) => {
        if (!client) throw new ClientError("CHANNEL_NOT_READY", "the client is starting");
        return client.disputes.readOutcome(channelAddress, assetIds, transferIds);
      },
      beforeResume: async () => client?.disputes.beforeResume(),
      request: async (method, payload) => {
        try {
          const reply = await nats.request(subjectFor(node, wallet.address, method), payload, {
            timeout: options.requestTimeoutMs ?? 15_000,
          });
          return reply.data;
        } catch (error) {
          throw new ClientError("NODE_UNREACHABLE", `the node did not answer ${method}: ${error}`);
        }
      },
      check: async (view, update) => {
        await proposalCheck(view, update);
        // Our withdrawal's commitment with the node's signature: stored before we answer.
        await client?.withdrawals.beforeCountersign(view, update);
      },
      applied: (applied, before, ours, resumedRound) => {
        client?.reactions.applied(applied, before, ours);
        if (resumedRound !== undefined) {
          client?.disputes.resumed(applied.state.latestUpdate as ChannelUpdate<"resume">);
        }
      },
      now,
    });
    client = new ConnextClient(
      wallet,
      config,
      api,
      nats,
      channel,
      {
        completionTimeoutMs: options.completionTimeoutMs ?? 10_000,
        paymentExpirySeconds: options.paymentExpirySeconds ?? 3600,
        threadExpirySeconds: options.threadExpirySeconds ?? DAY,
        channelTimeout: options.channelTimeout ?? DAY,
        depositConfirmations,
        claimBufferSeconds,
        disputePollMs: options.disputePollMs ?? 15_000,
        withdrawalDeadlineMs: options.withdrawalDeadlineMs ?? 300_000,
        now,
        clock,
        requestTimeoutMs: options.requestTimeoutMs ?? 15_000,
      },
      store,
      options.store === undefined,
      session,
      progress,
      withdrawalLedger,
      {
        plugins,
        ...(options.acceptConditional ? { acceptConditional: options.acceptConditional } : {}),
        ...(options.maxPendingConditional !== undefined
          ? { maxPendingConditional: options.maxPendingConditional }
          : {}),
      },
    );
    try {
      await client.start();
    } catch (error) {
      await client.close();
      throw error;
    }
    return client;
  }

  /**
   * Our address: the signer's, bob in our channel.
   *
   * @example
   * console.log(`paying from ${client.identifier}`);
   */
  get identifier(): string {
    return this.wallet.address;
  }

  /**
   * The node's address.
   *
   * @example
   * const hub = client.nodeIdentifier; // the node's address, alice in every channel
   */
  get nodeIdentifier(): string {
    return this.config.nodeIdentifier;
  }

  /**
   * Our channel's contract address (CHANNEL_NOT_READY before it is set up).
   *
   * @example
   * const onChain = await provider.getBalance(client.channelAddress);
   */
  get channelAddress(): string {
    const state = this.channel.view.state;
    if (!state) throw new ClientError("CHANNEL_NOT_READY", "the channel is not set up");
    return state.channelAddress;
  }

  /**
   * Calls `handler` on every `event` (ClientEventMap lists them and what they carry).
   *
   * @example
   * client.on("transfer.received", ({ paymentId, amount, verified }) => {
   *   if (verified) console.log(`payment ${paymentId}: ${amount} wei`);
   * });
   */
  on<E extends keyof ClientEventMap>(event: E, handler: (payload: ClientEventMap[E]) => void) {
    this.events.on(event, handler);
    return this;
  }

  /**
   * Stops calling a handler given to `on`.
   *
   * @example
   * const log = (event: ClientEventMap["deposit.confirmed"]) => console.log(event.balance);
   * client.on("deposit.confirmed", log);
   * client.off("deposit.confirmed", log);
   */
  off<E extends keyof ClientEventMap>(event: E, handler: (payload: ClientEventMap[E]) => void) {
    this.events.off(event, handler);
    return this;
  }

  /**
   * Sends `amount` on-chain into the channel and reconciles it; resolves once it is in.
   *
   * @example
   * await client.deposit({ assetId: ZeroAddress, amount: parseEther("0.1") });
   * console.log(client.getBalance(ZeroAddress).user);
   */
  async deposit(params: { assetId: string; amount: bigint }) {
    checkArguments("deposit", params, { assetId: "address", amount: "amount" });
    const { assetId, amount } = params;
    this.requireOpen();
    this.requireAsset(assetId);
    if (this.channel.inDispute) {
      // Not even on-chain: a deposit after the defund would wait for the resume to count.
      throw new ProtocolError("CHANNEL_IN_DISPUTE", "the channel is in dispute: no deposits");
    }
    if (amount <= 0n) throw new ClientError("INVALID_AMOUNT", "a deposit must be positive");
    const { transactionHash } = await depositAsBob({
      signer: this.wallet,
      channelAddress: this.channelAddress,
      assetId,
      amount,
      // Mined is not enough: the deposit counts once it is as deep as both sides read.
      confirmations: this.options.depositConfirmations,
    });
    await this.reconcileDeposit(assetId);
    return { transactionHash };
  }

  /**
   * Pays `recipient` through the node; the pre-image travels encrypted to the recipient. If it
   * throws, the node may still adopt the signed proposal later: retry with the error's
   * `context.paymentId` (or your own `paymentId`) and the payment is never made twice.
   *
   * @example
   * const { paymentId, status } = await client.transfer({
   *   recipient: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
   *   assetId: ZeroAddress,
   *   amount: parseEther("0.01"),
   *   meta: { invoice: "42" },
   * });
   * // status: "completed", or "pending" while the recipient is away
   */
  async transfer(params: TransferParams): Promise<PaymentResult> {
    this.requirePayment("transfer", params);
    return this.payer.transfer(params);
  }

  /**
   * A hashlock payment the recipient resolves itself: locked with `lockHash = sha256(preImage)`
   * of a 32-byte pre-image (`lockHashOf(preImage)`), which the payer hands the recipient out of
   * band. Answers as soon as the channel holds the payment, with status `pending`: it completes
   * only once the recipient resolves it (`resolveTransfer({ paymentId, preImage })` with the
   * `paymentId` answered here, which its `transfer.received` names too), and `transfer.resolved`
   * tells the payer when.
   *
   * @example
   * const preImage = randomPreImage();
   * const { paymentId } = await payer.conditionalTransfer({
   *   type: "hashlock", recipient, assetId, amount, lockHash: lockHashOf(preImage),
   * });
   * // … the recipient, given paymentId and preImage:
   * await recipient.resolveTransfer({ paymentId, preImage });
   */
  async conditionalTransfer(
    params: ConditionalParams & { type: "hashlock" },
  ): Promise<PaymentResult> {
    this.requirePayment("conditionalTransfer", params, {
      lockHash: "bytes32",
      expiry: "seconds?",
    });
    if (params.type !== "hashlock") {
      throw new ClientError(
        "INVALID_ARGUMENT",
        `conditionalTransfer: type must be "hashlock", not ${JSON.stringify(params.type)}`,
        { argument: "type" },
      );
    }
    return this.payer.conditional(params);
  }

  /**
   * Resolves a transfer paid to us with its pre-image (the zero pre-image cancels it), named by
   * the payment's id (the one the payer's `conditionalTransfer` answered and our
   * `transfer.received` names) or by our transfer's id. A pre-image is revealed only while we
   * could still claim the transfer on-chain should the node refuse to countersign
   * (EXPIRY_UNSAFE otherwise), only for a payment that is what its payer signed when it carries
   * the payer's terms (PAYMENT_TERMS_MISMATCH otherwise), and once revealed the transfer is
   * never cancelled by this client.
   *
   * @example
   * client.on("transfer.received", async ({ paymentId }) => {
   *   await client.resolveTransfer({ paymentId, preImage: await preImageFor(paymentId) });
   * });
   */
  async resolveTransfer(params: ResolveParams): Promise<ResolveResult> {
    checkArguments("resolveTransfer", params, {
      preImage: "bytes32",
      paymentId: "bytes32?",
      transferId: "bytes32?",
    });
    if ((params.paymentId === undefined) === (params.transferId === undefined)) {
      throw new ClientError(
        "INVALID_ARGUMENT",
        "resolveTransfer: give the payment's paymentId or our transferId (one of them)",
        { argument: "paymentId" },
      );
    }
    this.requireOpen();
    return this.resolver.resolve(params);
  }

  /**
   * Withdraws from the channel to `recipient` (default: us). Resolves once the commitment is
   * executed on-chain (read from the channel, never taken from the node's word), with the
   * executing transaction. The commitment with both signatures is stored before the client
   * countersigns the node's resolve; if the node has not executed it within
   * `withdrawalDeadlineMs`, the client sends it itself (gas from the signer's account:
   * INSUFFICIENT_GAS when it cannot). After `timeoutMs` (default: the deadline plus two
   * minutes) it fails with WITHDRAW_PENDING while the client keeps at it: `withdraw.confirmed`
   * tells when it is executed, also after a restart with the same store.
   *
   * `amount` is what `recipient` is paid; the node's fee for the asset (`getWithdrawalTerms`)
   * comes on top, out of our balance, and is the node's whoever sends the commitment. Refused
   * before anything is signed: below the node's minimum (WITHDRAWAL_TOO_SMALL), or a fee above
   * `maxFee` (default a tenth of the amount: WITHDRAWAL_FEE_TOO_HIGH).
   *
   * @example
   * const { transactionHash } = await client.withdraw({
   *   assetId: ZeroAddress,
   *   amount: parseEther("0.05"),
   *   recipient: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
   * });
   */
  async withdraw(params: {
    assetId: string;
    amount: bigint;
    recipient?: string;
    maxFee?: bigint;
    timeoutMs?: number;
  }): Promise<{ transferId: string; transactionHash: string }> {
    checkArguments("withdraw", params, {
      assetId: "address",
      amount: "amount",
      recipient: "address?",
      maxFee: "amount?",
      timeoutMs: "ms?",
    });
    const {
      assetId,
      amount,
      recipient = this.wallet.address,
      maxFee,
      timeoutMs = this.options.withdrawalDeadlineMs + 120_000,
    } = params;
    this.requireOpen();
    if (amount <= 0n) throw new ClientError("INVALID_AMOUNT", "a withdrawal must be positive");
    const fee = withdrawalFee(assetId, amount, await this.getWithdrawalTerms(assetId), maxFee);
    const applied = await this.channel.propose((view) => {
      this.requireState(view);
      return withdrawalDraft(
        view as ChannelView & { state: FullChannelState },
        {
          assetId,
          amount,
          fee,
          recipient,
          responder: this.config.nodeIdentifier,
          definition: this.config.contractAddresses.withdraw,
        },
        this.signer,
      );
    });
    return this.withdrawals.wait(applied?.transfer?.transferId as string, timeoutMs);
  }

  /**
   * Pays `recipient` through the node with a transfer of a definition added as a plug-in
   * (`ConnectOptions.definitions`; the node must carry it too): its initial state comes
   * encoded, the routing is added as `meta.routing`, and what follows (the payee's resolve,
   * the node's settling of ours) is the plug-in's to say. Answers once the channel holds the
   * transfer; the outcome arrives as `transfer.resolved`.
   *
   * @example
   * const { paymentId } = await client.sendTransfer({ definition, recipient, assetId: ZeroAddress,
   *   amount: 10n, transferInitialState, transferTimeout });
   */
  async sendTransfer(params: {
    definition: string;
    recipient: string;
    assetId: string;
    amount: bigint;
    transferInitialState: string;
    transferTimeout: number;
    paymentId?: string;
  }): Promise<{ paymentId: string; transferId: string }> {
    checkArguments("sendTransfer", params, {
      definition: "address",
      recipient: "address",
      assetId: "address",
      amount: "amount",
      paymentId: "bytes32?",
    });
    const paymentId = params.paymentId ?? bytesToHex(crypto.getRandomValues(new Uint8Array(32)));
    const applied = await this.channel.propose(() => ({
      type: "create",
      assetId: params.assetId,
      amount: params.amount,
      transferDefinition: params.definition,
      transferInitialState: params.transferInitialState,
      transferTimeout: params.transferTimeout,
      meta: { routing: { paymentId, recipient: params.recipient } },
    }));
    return { paymentId, transferId: applied?.transfer?.transferId as string };
  }

  /**
   * Opens a thread to `counterparty` (DESIGN §4.8): locks `amount` in our channel, the node
   * locks as much for the payee in theirs, and from then on `thread.pay()` pays the payee
   * directly with one signed voucher each, the node off the path. Answers once our lock is in
   * the channel and the payee holds its side (or, when the payee is away, once our lock is in:
   * it gets the thread when it is back, and `pay()` fails with PAYEE_OFFLINE until then).
   *
   * @example
   * const thread = await client.openThread({
   *   counterparty: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
   *   assetId: ZeroAddress,
   *   amount: parseEther("0.01"),
   * });
   * await thread.pay(parseEther("0.0001"));
   * const { paid } = await thread.close();
   */
  async openThread(params: OpenThreadParams): Promise<PayerThread> {
    checkArguments("openThread", params, {
      counterparty: "address",
      assetId: "address",
      amount: "amount",
      expiry: "seconds?",
    });
    this.requireOpen();
    if (params.amount <= 0n)
      throw new ClientError("INVALID_AMOUNT", "a thread must lock something");
    this.requireAsset(params.assetId);
    return this.threads.open(params);
  }

  /**
   * The open threads: ours to pay (`role: "payer"`, with `pay()`) and paid to us (`role:
   * "payee"`, with `received`), each with `close()`.
   *
   * @example
   * for (const thread of client.getThreads()) console.log(thread.id, thread.role, thread.amount);
   */
  getThreads(): ThreadHandle[] {
    return this.threads.list();
  }

  /**
   * What the node asks of a withdrawal of `assetId` now (GET /config): the least it pays out,
   * the fee on top, and how many an hour; the terms read at connect if the node's HTTP API is
   * unreachable.
   *
   * @example
   * const { minimum, fee, perHour } = await client.getWithdrawalTerms(ZeroAddress);
   */
  async getWithdrawalTerms(assetId: string): Promise<WithdrawalTerms> {
    const config = await this.api.config().catch(() => this.config);
    return withdrawalTermsOf(config, assetId);
  }

  /**
   * Our and the node's balance of `assetId` in the channel.
   *
   * @example
   * const { user, node } = client.getBalance(ZeroAddress); // wei, ours and the node's
   */
  getBalance(assetId: string): { user: bigint; node: bigint } {
    const state = this.channel.view.state;
    const index = state?.assetIds.findIndex((a) => a.toLowerCase() === assetId.toLowerCase());
    if (!state || index === undefined || index === -1) return { user: 0n, node: 0n };
    const balance = state.balances[index] as FullChannelState["balances"][number];
    return { user: balance.amount[1], node: balance.amount[0] };
  }

  /**
   * Our latest doubly-signed channel state (undefined before setup).
   *
   * @example
   * const nonce = client.getChannel()?.nonce;
   */
  getChannel(): FullChannelState | undefined {
    return this.channel.view.state;
  }

  /**
   * The channel's active transfers, ours and the node's.
   *
   * @example
   * const waiting = client.getTransfers().filter((t) => t.responder === client.identifier);
   */
  getTransfers(): FullTransferState[] {
    return [...this.channel.view.transfers.values()];
  }

  /**
   * Asks the node to top its side of the channel up to its target for `assetId`.
   *
   * @example
   * await client.requestCollateral(ZeroAddress);
   * console.log(client.getBalance(ZeroAddress).node); // what the node can pay us at once
   */
  async requestCollateral(assetId: string): Promise<void> {
    checkArguments("requestCollateral", { assetId }, { assetId: "address" });
    this.requireOpen();
    this.requireAsset(assetId);
    await this.channel.call("collateral", { assetId });
  }

  /**
   * Leaves alone (DESIGN §4.7): records our latest doubly-signed state on-chain with
   * `disputeChannel` (deploying the channel first if it has no code) and resolves once that is
   * mined. From there the client carries the exit through by itself, on the chain's clock:
   * defunds every asset after the consensus window, disputes every active transfer, defunds
   * those it holds a resolver for before their timeout (and the rest after), and exits its
   * share to `recipient` (default: its own address); once the dispute has run its course it
   * proposes the resume that reopens the channel. Gas is paid from the signer's account
   * (INSUFFICIENT_GAS when it cannot). A dispute already running is joined (a stale state on
   * record is answered with ours first).
   *
   * @example
   * const { consensusExpiry } = await client.dispute();
   * client.on("dispute.exited", ({ assetId, amount }) => console.log(assetId, amount));
   */
  async dispute(params: { recipient?: string } = {}): Promise<DisputeStarted> {
    checkArguments("dispute", params, { recipient: "address?" });
    const { recipient } = params;
    this.requireOpen();
    this.requireState(this.channel.view);
    return this.disputes.dispute(recipient);
  }

  /**
   * Where the channel's latest dispute stands, with the client's transactions for it.
   *
   * @example
   * const { status, defundExpiry } = client.getDispute();
   */
  getDispute(): DisputeInfo {
    return this.disputes.info();
  }

  /**
   * Rebuilds the channel from the node's latest doubly-signed state (after losing the store).
   *
   * @example
   * await client.restoreState(); // the channel as the node holds it, checked
   */
  async restoreState(): Promise<void> {
    this.requireOpen();
    const restored = await this.channel.restore();
    if (!restored) throw new ClientError("CHANNEL_NOT_READY", "the node has no channel with us");
  }

  /**
   * Stops watching and listening and closes what the client opened (a caller's store stays open). Pending withdrawals and disputes carry on when connected again with the same store.
   *
   * @example
   * await client.close();
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.janitor) clearInterval(this.janitor);
    this.disputes.stop();
    this.withdrawals.stop();
    this.session.stop();
    this.threads.stop();
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    await Promise.allSettled([...this.background]);
    await this.nats.drain().catch(() => this.nats.close());
    if (this.ownsStore) await this.store.close?.();
  }

  // ---- internals ------------------------------------------------------------------------------

  private async start(): Promise<void> {
    const node = this.config.nodeIdentifier;
    const me = this.wallet.address;
    this.subscriptions.push(
      this.nats.subscribe(subjectFor(me, node, "update"), {
        callback: (_error, msg) => {
          this.track(
            this.channel.respond(msg.data).then((reply) => {
              if (msg.reply) msg.respond(reply);
            }),
          );
        },
      }),
      this.nats.subscribe(subjectFor(me, node, "event"), {
        callback: (_error, msg) => this.reactions.event(msg.data),
      }),
    );
    // Make sure the node has our subscriptions before it may propose anything.
    await this.nats.flush();
    const loaded = await this.channel.load();
    if (!loaded && !(await this.channel.restore())) {
      await this.channel.propose(() => ({
        type: "setup",
        counterparty: node,
        timeout: this.options.channelTimeout,
        networkContext: {
          chainId: this.config.chainId,
          channelFactoryAddress: this.config.contractAddresses.channelFactory,
          channelMastercopyAddress: this.config.contractAddresses.channelMastercopy,
          transferRegistryAddress: this.config.contractAddresses.transferRegistry,
        },
      }));
    }
    // Before anything is signed here: is the channel in dispute?
    await this.disputes.start();
    // Withdrawals whose commitment we hold and have not seen executed: watched (and sent) again.
    this.withdrawals.start();
    await this.channel.sync();
    await this.threads.start();
    this.watchReconnects();
    this.reactions.settleReceived();
    this.janitor = setInterval(() => this.reactions.settleReceived(), 30_000);
  }

  /** After the connection comes back (the node restarted, say), whoever is behind catches up. */
  private watchReconnects(): void {
    const statuses = this.nats.status();
    // Not tracked: the loop ends with the connection, which close() ends after the tracked work.
    (async () => {
      for await (const status of statuses) {
        if (this.closed) break;
        if (status.type === "reconnect") this.resync();
      }
    })().catch(() => {});
  }

  /**
   * Catches up after a reconnect, then looks at what waits for us (payments to claim, threads
   * due to close). A node that is still starting may not answer yet: tried again after 0.5,
   * 1, 2, 4 and 8 s on the client's clock, and what waits is looked at either way.
   */
  private resync(attempt = 0): void {
    this.track(
      this.channel.sync().then(
        () => this.reactions.settleReceived(),
        () => {
          if (this.closed) return;
          if (attempt >= 5) {
            this.reactions.settleReceived();
            return;
          }
          this.options.clock.after(500 * 2 ** attempt, () => this.resync(attempt + 1));
        },
      ),
    );
  }

  /** Whether revealing a payment's pre-image now leaves room to claim it on-chain. */
  private claimable(transfer: FullTransferState): boolean {
    const timeout = this.channel.view.state?.timeout ?? 0;
    const { expiry } = hashlock.decodeState(transfer.transferState);
    return claimableOnchain(expiry, this.options.now(), timeout, this.options.claimBufferSeconds);
  }

  /**
   * Whether a thread paid to us must be closed now: a claim buffer before the last moment an
   * on-chain claim of it would still complete, so the close has time to be stored.
   */
  private threadCloseDue(transfer: FullTransferState): boolean {
    const timeout = this.channel.view.state?.timeout ?? 0;
    const { expiry } = threadRouting.terms(transfer.transferState);
    const { claimBufferSeconds: buffer } = this.options;
    return !claimableOnchain(expiry, this.options.now() + buffer, timeout, buffer);
  }

  /**
   * A payment's arguments, before anything is looked up or signed: their types (INVALID_ARGUMENT
   * naming the argument), a positive amount, an asset the node carries, a meta it can carry.
   */
  private requirePayment(method: string, params: TransferParams, more: ArgumentSpec = {}): void {
    checkArguments(method, params, {
      recipient: "address",
      assetId: "address",
      amount: "amount",
      paymentId: "bytes32?",
      ...more,
    });
    this.requireOpen();
    if (params.amount <= 0n) throw new ClientError("INVALID_AMOUNT", "a payment must be positive");
    this.requireAsset(params.assetId);
    // Before the terms that bind it are signed: a meta the transfer cannot carry is refused here.
    checkAppMeta(params.meta);
  }

  private reconcileDeposit(assetId: string): Promise<AppliedUpdate | undefined> {
    return this.channel.propose(async (view) => {
      const state = this.requireState(view);
      const chain = await readChannelDeposits(
        this.wallet.provider as JsonRpcProvider,
        state.channelAddress,
        assetId,
        { confirmations: this.options.depositConfirmations },
      );
      const index = state.assetIds.findIndex((a) => a.toLowerCase() === assetId.toLowerCase());
      const processedA = index === -1 ? 0n : (state.processedDepositsA[index] as bigint);
      const processedB = index === -1 ? 0n : (state.processedDepositsB[index] as bigint);
      if (chain.totalDepositsAlice <= processedA && chain.totalDepositsBob <= processedB) {
        return undefined; // the node reconciled it already
      }
      return { type: "deposit", assetId };
    });
  }

  private requireOpen(): void {
    if (this.closed) throw new ClientError("CLOSED", "the client is closed");
  }

  private requireAsset(assetId: string): void {
    const supported = this.config.supportedAssets.some(
      (a) => a.toLowerCase() === assetId.toLowerCase(),
    );
    if (!supported) {
      throw new ClientError("UNSUPPORTED_ASSET", `the node does not carry ${assetId}`);
    }
  }

  private requireState(view: ChannelView): FullChannelState {
    if (!view.state) throw new ClientError("CHANNEL_NOT_READY", "the channel is not set up");
    return view.state;
  }

  private track(work: Promise<unknown>): void {
    const tracked = work.catch((error) => this.events.emit("error", error as Error));
    this.background.add(tracked);
    tracked.finally(() => this.background.delete(tracked));
  }
}
