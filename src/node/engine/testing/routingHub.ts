import { sql } from "drizzle-orm";
import pino from "pino";
import { ManualClock, seconds } from "../../../clock";
import {
  type AppliedUpdate,
  acceptCountersigned,
  adoptApplied,
  type ChannelUpdate,
  type ChannelView,
  decodeUpdateMessage,
  hashlock,
  hashlockLockHash,
  minimumPayerExpiry,
  mirrorExpiryFor,
  PROTOCOL_VERSION,
  proposeUpdate,
  respondToUpdate,
  type UpdateDraft,
} from "../../../protocol";
import { definitionPlugins, rulesOf } from "../../../protocol/definitions";
import { errorReply, okReply } from "../../../protocol/messaging";
import {
  context,
  ETH,
  HASHLOCK_ADDRESS,
  NOW,
  type Party,
  party,
  WITHDRAW_ADDRESS,
} from "../../../protocol/testing/twoParties";
import { ChannelStore } from "../../store/channelStore";
import type { Database } from "../../store/database";
import { type Payment, PaymentRepository } from "../../store/payments";
import {
  CHECKSUMMED_NETWORK,
  exchangeApplied,
  setupDraft,
} from "../../store/testing/channelFixture";
import { ChannelLocks } from "../channelLocks";
import { ChannelService } from "../channelService";
import { DefinitionEffects } from "../definitionEffects";
import { NodeError } from "../errors";
import { proposalPolicy } from "../proposalPolicy";
import { PaymentRouter } from "../router";
import { DEFAULT_ROUTING_RULES, nodeProtocolPolicy, type RoutingRules } from "../routingRules";
import type { Withdrawals } from "../withdrawals";

/**
 * The node's routing, wired as the engine wires it (ChannelService, DefinitionEffects,
 * proposalPolicy, PaymentRouter over the real stores), with everything outside the process
 * faked: users are in-memory parties that answer the node's proposals as told (sign, refuse,
 * stay silent, be away), the chain is a map of deposit totals, collateral is a recorded
 * top-up, and time is a ManualClock. No anvil, no broker.
 */

export const NODE_KEY = `0x${"11".repeat(32)}`;
export const CHANNEL_TIMEOUT = 86_400;
export const ZERO_PRE_IMAGE = `0x${"0".repeat(64)}`;
const BUFFER = DEFAULT_ROUTING_RULES.claimBufferSeconds;
/** The payer's expiry `pay` uses at NOW: an hour past the earliest the node takes. */
export const PAYER_EXPIRY =
  minimumPayerExpiry(NOW, CHANNEL_TIMEOUT, CHANNEL_TIMEOUT, BUFFER) + 3600n;
/** Its mirror's: the payer's less the node's own on-chain claim of the payer's side. */
export const MIRROR_EXPIRY = Number(mirrorExpiryFor(PAYER_EXPIRY, CHANNEL_TIMEOUT, BUFFER));
/** Seconds from NOW until a mirror of such a payment no longer leaves the payee room to claim. */
export const FORWARDABLE_FOR = MIRROR_EXPIRY - (CHANNEL_TIMEOUT + BUFFER) - NOW;
const TABLES = "channels, channel_updates, transfers, payments";

/** How a user answers the node's next proposals. */
export type Answer =
  /** Countersigns and replies. */
  | "sign"
  /** Not subscribed: the proposal reaches nobody (`delivered: false`). */
  | "away"
  /** Receives the proposal and never answers (`delivered: true`). */
  | "silent"
  /** Countersigns and keeps the update, but the reply never reaches the node. */
  | "signButLoseReply"
  /** Answers with an error of this code. */
  | { refuse: string; message?: string };

export interface User {
  party: Party;
  answer: Answer;
  /** Every update the node proposed to this user, in order. */
  received: ChannelUpdate[];
}

export interface RoutingHub {
  clock: ManualClock;
  now(): number;
  rules: RoutingRules;
  store: ChannelStore;
  payments: PaymentRepository;
  channels: ChannelService;
  router: PaymentRouter;
  /** What `ensureCollateral` was asked. */
  collateralAsks: { user: string; assetId: string; amount: bigint }[];
  /**
   * What `ensureCollateral` does: top the channel up (default), fail, leave it short, or find
   * the chain's RPC unreachable (a socket error, as ethers throws it).
   */
  collateral: "topUp" | "fail" | "nothing" | "rpcAway";
  /** Events the router told users, in order. */
  notified: { user: string; paymentId: string; status: Payment["status"]; reason?: string }[];
  /** Users (lowercase) whose background work the node defers (they let requests time out). */
  deferred: Set<string>;
  /** Every request the node sent a user, with the reply timeout it gave. */
  requests: { to: string; type: string; timeoutMs?: number }[];
  /** A user with a channel: `deposit` its own, `collateral` the node's. */
  user(index: number, funds?: { deposit?: bigint; collateral?: bigint }): Promise<User>;
  /** The user proposes `draft` to the node, as its client would; throws what the node refuses. */
  propose(user: User, draft: UpdateDraft): Promise<ChannelUpdate>;
  /** The user deposits `amount` on-chain and proposes the deposit. */
  deposit(user: User, amount: bigint): Promise<ChannelUpdate>;
  /** The user's hello: the node catches up from the user's latest update if it lacks it. */
  sync(user: User): Promise<void>;
  /** The payer's hashlock payment to `payee` (its create, proposed and countersigned). */
  pay(payer: User, payee: User, payment: PaymentTerms): Promise<ChannelUpdate<"create">>;
  /** Waits until every piece of background work the node started has finished. */
  settled(): Promise<void>;
  /** Moves the clock on by whole seconds. */
  advance(seconds: number): void;
}

export interface PaymentTerms {
  paymentId: string;
  amount: bigint;
  preImage: string;
  /** Default: an hour past the earliest the node accepts now. */
  expiry?: bigint;
  recipient?: string;
}

/** The user's balance and the node's in one asset, as `user` sees its channel. */
export function balances(view: ChannelView, assetId = ETH): { node: bigint; user: bigint } {
  const index = view.state?.assetIds.findIndex((a) => a.toLowerCase() === assetId.toLowerCase());
  const amount =
    index === undefined || index === -1 ? [0n, 0n] : view.state?.balances[index]?.amount;
  return { node: amount?.[0] ?? 0n, user: amount?.[1] ?? 0n };
}

export function lockOf(preImage: string): string {
  return hashlockLockHash(preImage);
}

/** The id for test payments, transfers and pre-images: `n` as 32 bytes. */
export function bytes32(n: number): string {
  return `0x${n.toString(16).padStart(64, "0")}`;
}

/** The node's routing over `database` (emptied first), started at `NOW`. */
export async function routingHub(
  database: Database,
  rules: RoutingRules = DEFAULT_ROUTING_RULES,
): Promise<RoutingHub> {
  await database.db.execute(sql.raw(`truncate ${TABLES}`));
  const clock = new ManualClock(NOW * 1000);
  const now = () => seconds(clock);
  const logger = pino({ level: "silent" });
  const store = new ChannelStore(database.db);
  const payments = new PaymentRepository(database.db);
  const plugins = definitionPlugins({
    hashlockTransfer: HASHLOCK_ADDRESS,
    withdraw: WITHDRAW_ADDRESS,
  });
  const registry = rulesOf(plugins);
  const users = new Map<string, User>();
  /** On-chain deposit totals, by channel address. */
  const chain = new Map<string, { totalDepositsAlice: bigint; totalDepositsBob: bigint }>();
  const background = new Set<Promise<unknown>>();
  const node = party(NODE_KEY).signer.address;
  /** A user's context: the chain's totals ride along for whatever update reads them (a deposit). */
  const userContext = (update?: { type: string; channelAddress: string }) => {
    const totals = update && chain.get(update.channelAddress);
    return context({
      network: CHECKSUMMED_NETWORK,
      now: now(),
      ...(totals ? { chainDeposits: totals } : {}),
    });
  };

  /** A user's side of the node's request: what its `answer` says. */
  const requestPeer = async (to: string, payload: string, options: { timeoutMs?: number } = {}) => {
    const { update } = decodeUpdateMessage(payload);
    hub.requests.push({ to, type: update.type, ...options });
    const user = users.get(to.toLowerCase());
    if (!user || user.answer === "away") {
      throw new NodeError("PEER_UNAVAILABLE", `${to}: no responders`, { delivered: false });
    }
    user.received.push(update);
    const { answer } = user;
    if (answer === "silent") {
      throw new NodeError("PEER_UNAVAILABLE", `${to} did not answer`, { delivered: true });
    }
    if (typeof answer === "object") {
      return new TextEncoder().encode(
        errorReply({ code: answer.refuse, message: answer.message ?? "refused" }),
      );
    }
    const reply = await respondToUpdate(
      user.party.view,
      update,
      user.party.signer,
      userContext(update),
    );
    user.party.view = adoptApplied(user.party.view, reply.applied);
    if (answer === "signButLoseReply") {
      throw new NodeError("PEER_UNAVAILABLE", `${to}'s reply was lost`, { delivered: true });
    }
    return new TextEncoder().encode(okReply({ update: reply.update }));
  };

  const hub: RoutingHub = {
    clock,
    now,
    rules,
    store,
    payments,
    channels: undefined as unknown as ChannelService,
    router: undefined as unknown as PaymentRouter,
    collateralAsks: [],
    collateral: "topUp",
    notified: [],
    deferred: new Set(),
    requests: [],

    async user(index, funds = {}) {
      const key = `0x${(index + 0x20).toString(16).padStart(2, "0").repeat(32)}`;
      const user: User = { party: party(key), answer: "sign", received: [] };
      const nodeParty = party(NODE_KEY);
      const setup = setupDraft(nodeParty) as Extract<UpdateDraft, { type: "setup" }>;
      const { applied } = await exchangeApplied(nodeParty, user.party, "user", {
        ...setup,
        timeout: CHANNEL_TIMEOUT,
      });
      await store.saveApplied(applied);
      const totals = {
        totalDepositsAlice: funds.collateral ?? 0n,
        totalDepositsBob: funds.deposit ?? 0n,
      };
      chain.set(applied.state.channelAddress, totals);
      if (totals.totalDepositsAlice > 0n || totals.totalDepositsBob > 0n) {
        const deposit = await exchangeApplied(
          nodeParty,
          user.party,
          "user",
          { type: "deposit", assetId: ETH },
          { chainDeposits: totals },
        );
        await store.saveApplied(deposit.applied);
      }
      users.set(user.party.signer.address.toLowerCase(), user);
      return user;
    },

    async propose(user, draft) {
      const channelAddress = user.party.view.state?.channelAddress as string;
      const ctx = userContext({ type: draft.type, channelAddress });
      const { update } = await proposeUpdate(user.party.view, draft, user.party.signer, ctx);
      const countersigned = await hub.channels.respond(
        user.party.signer.address,
        { protocolVersion: PROTOCOL_VERSION, update },
        policy,
      );
      const accepted = acceptCountersigned(user.party.view, update, countersigned, ctx);
      user.party.view = adoptApplied(user.party.view, accepted);
      return countersigned;
    },

    async deposit(user, amount) {
      const channelAddress = user.party.view.state?.channelAddress as string;
      const totals = chain.get(channelAddress);
      if (!totals) throw new Error(`no channel ${channelAddress}`);
      chain.set(channelAddress, { ...totals, totalDepositsBob: totals.totalDepositsBob + amount });
      return hub.propose(user, { type: "deposit", assetId: ETH });
    },

    async sync(user) {
      await hub.channels.sync(user.party.signer.address, user.party.view.state?.latestUpdate);
    },

    async pay(payer, payee, terms) {
      const expiry =
        terms.expiry ??
        minimumPayerExpiry(now(), CHANNEL_TIMEOUT, CHANNEL_TIMEOUT, rules.claimBufferSeconds) +
          3600n;
      const update = await hub.propose(payer, {
        type: "create",
        assetId: ETH,
        amount: terms.amount,
        transferDefinition: HASHLOCK_ADDRESS,
        transferInitialState: hashlock.encodeState({ lockHash: lockOf(terms.preImage), expiry }),
        transferTimeout: Number(expiry) - now(),
        meta: {
          routing: {
            paymentId: terms.paymentId,
            recipient: terms.recipient ?? payee.party.signer.address,
          },
        },
      });
      return update as ChannelUpdate<"create">;
    },

    async settled() {
      while (background.size > 0) await Promise.allSettled([...background]);
    },

    advance(by) {
      clock.advance(by * 1000);
    },
  };

  let effects: DefinitionEffects | undefined;
  hub.channels = new ChannelService({
    signer: party(NODE_KEY).signer,
    network: CHECKSUMMED_NETWORK,
    store,
    locks: new ChannelLocks(),
    lookupDefinition: (address) => registry.get(address.toLowerCase()),
    policy: nodeProtocolPolicy(rules),
    inDispute: () => false,
    readDeposits: async (channelAddress) => {
      const totals = chain.get(channelAddress);
      if (!totals) throw new Error(`no chain deposits for ${channelAddress}`);
      return totals;
    },
    readDisputeOutcome: async () => {
      throw new Error("no disputes here");
    },
    requestPeer: (to, _method, payload, options) => requestPeer(to, payload, options),
    peerDeferred: (user) => hub.deferred.has(user.toLowerCase()),
    now,
    logger,
    shared: false,
    record: (tx, applied: AppliedUpdate) => (effects as DefinitionEffects).record(tx, applied),
    committed: (applied: AppliedUpdate) => effects?.committed(applied),
    observeLatency: () => {},
  });
  const policy = proposalPolicy({
    node,
    definitions: plugins,
    network: CHECKSUMMED_NETWORK,
    hashlockAddress: HASHLOCK_ADDRESS,
    withdrawAddress: WITHDRAW_ADDRESS,
    supportedAssets: new Set([ETH.toLowerCase()]),
    rules,
    now,
    channelTimeout: async (user) => (await hub.channels.currentView(user))?.state?.timeout,
    inDispute: () => false,
    paymentExists: (paymentId) => payments.exists(paymentId),
  });
  hub.router = new PaymentRouter({
    node,
    plugins,
    channels: hub.channels,
    store,
    payments,
    rules,
    now,
    ensureCollateral: async (user, assetId, amount) => {
      hub.collateralAsks.push({ user, assetId, amount });
      if (hub.collateral === "fail") {
        throw new NodeError("COLLATERAL_FAILED", "the deposit transaction failed");
      }
      if (hub.collateral === "rpcAway") {
        throw Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
      }
      const view = await hub.channels.currentView(user);
      const short = amount - balances(view as ChannelView, assetId).node;
      if (hub.collateral === "nothing" || short <= 0n || !view?.state) return;
      const totals = chain.get(view.state.channelAddress);
      if (!totals) return;
      chain.set(view.state.channelAddress, {
        ...totals,
        totalDepositsAlice: totals.totalDepositsAlice + short,
      });
      await hub.channels.propose(user, () => ({ type: "deposit", assetId }));
    },
    // Only read for a mirror dropped at a resume: no dispute runs here.
    findTransferDefund: async () => undefined,
    notify: (user, event) => hub.notified.push({ user, ...event }),
    track: (work) => {
      const tracked = work.catch(() => {});
      background.add(tracked);
      tracked.finally(() => background.delete(tracked));
    },
    logger,
  });
  effects = new DefinitionEffects({
    node,
    plugins,
    router: hub.router,
    withdrawals: {} as Withdrawals,
  });
  return hub;
}

const RESOLVE = new Set(["resolve"]);

/** The resolves the node proposed to `user` (taken or not), as the pre-images they carry. */
export function resolvesTo(user: User): string[] {
  const resolves = user.received.filter((update): update is ChannelUpdate<"resolve"> =>
    RESOLVE.has(update.type),
  );
  return resolves.map(
    (update) => hashlock.decodeResolver(update.details.transferResolver).preImage,
  );
}
