import { type Effect, type Event, startConversation } from "../conversation";
import type { Refusal } from "../conversation/types";
import { hashlock, hashlockLockHash } from "../definitions";
import { channelStateDigest } from "../hashing";
import type { RestoreMessage, UpdateMessage } from "../schemas";
import { recoverSigner } from "../signatures";
import type { Address, ChannelUpdate, FullChannelState } from "../types";
import type { ChannelView } from "../updates/context";
import type { UpdateDraft } from "../updates/propose";
import { type Driven, driven, feed, take } from "./conversation";
import { ETH, HASHLOCK_ADDRESS, NETWORK, TOKEN } from "./twoParties";

/**
 * Two parties of one channel, each a conversation (src/protocol/conversation) driven in
 * memory, talking over a simulated network that can deliver, drop, duplicate, reorder and
 * delay what they send. A schedule is a list of `Action`s; `act` runs one (or skips it when it
 * does not apply), and `violations` lists what the world breaks of the protocol's promises:
 * both sides agree on every doubly-signed update they both hold, each side stores only
 * doubly-signed states, every asset is conserved, and no intent is applied twice.
 */

export const ALICE_KEY = `0x${"11".repeat(32)}`;
export const BOB_KEY = `0x${"22".repeat(32)}`;
export const ASSETS: readonly Address[] = [ETH, TOKEN];
export type Side = "alice" | "bob";
const OTHER: Record<Side, Side> = { alice: "bob", bob: "alice" };

/** Something on the wire, to `to`. Replies and restores belong to the request they answer. */
export type Packet =
  | { kind: "proposal"; to: Side; request: number; message: UpdateMessage }
  | {
      kind: "reply";
      to: Side;
      request: number;
      reply: { ok: true; update: ChannelUpdate } | { ok: false; error: Refusal };
    }
  /** A sync: the sender's latest doubly-signed update (a user's hello, the node's answer). */
  | { kind: "latest"; to: Side; update: ChannelUpdate }
  | { kind: "restoreRequest"; to: "alice"; request: number; thread: "ours" | "sync" }
  | {
      kind: "restoreAnswer";
      to: "bob";
      request: number;
      thread: "ours" | "sync";
      message: RestoreMessage | undefined;
    };

export type Intent =
  /** Money arrives on-chain for the proposer (`amount` > 0), then a deposit reconciles it. */
  | { kind: "deposit"; asset: number; amount: bigint }
  | { kind: "create"; asset: number; amount: bigint }
  | { kind: "resolve"; pick: number; pay: boolean };

export type Action =
  | { kind: "propose"; side: Side; intent: Intent }
  /** Money arrives on-chain for one side of one asset (a deposit proposal reconciles it). */
  | { kind: "chainDeposit"; side: Side; asset: number; amount: bigint }
  | { kind: "deliver"; pick: number }
  | { kind: "drop"; pick: number }
  | { kind: "duplicate"; pick: number }
  /** The side's open request (its proposal's reply, a restore) times out. */
  | { kind: "timeout"; side: Side }
  /** `side` is sent its counterparty's latest update (a hello or a sync). */
  | { kind: "sync"; side: Side }
  /**
   * Bob's process restarts: its threads (and open requests) are gone, its store is not. A store
   * that loses writes is left out: bob could then countersign a second state at a nonce he
   * signed before, and alice may propose again at the nonce of a proposal that timed out (the
   * commitments of a live proposal cover that case, DESIGN §4.6 and channelLocks.ts), so two
   * doubly-signed states at one nonce would be the data loss's doing, not the step's.
   */
  | { kind: "restart" };

interface Shell {
  party: Driven;
  /** The open requests: a reply or restore for any other request id is dropped, as a shell would. */
  open: { reply?: number; restore: { ours?: number; sync?: number } };
  /** Every view this side stored, oldest first. */
  stored: ChannelView[];
  /** The doubly-signed states this side holds, by nonce (a state key). */
  held: Map<number, string>;
}

export interface World {
  alice: Shell;
  bob: Shell;
  network: Packet[];
  chain: Map<Address, { totalDepositsAlice: bigint; totalDepositsBob: bigint }>;
  preImages: Map<string, string>;
  /** Lock hashes of the creates we asked for: each may be applied at most once. */
  nextRequest: number;
  nextLock: number;
  violations: string[];
  /** States whose two signatures were checked already, by key. */
  verified: Set<string>;
  log: string[];
}

/** A world whose channel is set up (bob proposed it, alice answered), nothing deposited. */
export function newWorld(alice: Address, bob: Address): World {
  const chain = new Map(
    ASSETS.map((asset) => [asset, { totalDepositsAlice: 0n, totalDepositsBob: 0n }]),
  );
  const depositsOf = (assetId: string) => {
    const totals = chain.get(assetId);
    if (!totals) throw new Error(`no asset ${assetId}`);
    return { ...totals };
  };
  const shell = (key: string, me: Address, peer: Address, canRestore: boolean): Shell => {
    const party = driven({ key, me, peer, alice, canRestore });
    party.depositsOf = depositsOf;
    return { party, open: { restore: {} }, stored: [party.conversation.view], held: new Map() };
  };
  const world: World = {
    alice: shell(ALICE_KEY, alice, bob, false),
    bob: shell(BOB_KEY, bob, alice, true),
    network: [],
    chain,
    preImages: new Map(),
    nextRequest: 1,
    nextLock: 1,
    violations: [],
    verified: new Set(),
    log: [],
  };
  const setup: UpdateDraft = {
    type: "setup",
    counterparty: alice,
    timeout: 86_400,
    networkContext: NETWORK,
  };
  world.bob.party.draft = () => setup;
  feed(world.bob.party, { type: "propose", draft: setup, now: world.bob.party.now });
  collect(world, "bob");
  deliverAll(world);
  // Something to spend from the start: both sides' deposits of the first asset, reconciled.
  world.chain.set(ETH, { totalDepositsAlice: 1_000n, totalDepositsBob: 1_000n });
  propose(world, "bob", { kind: "deposit", asset: 0, amount: 0n });
  deliverAll(world);
  if (world.alice.party.conversation.view.state?.nonce !== 2) throw new Error("setup failed");
  world.log.push("--- set up and funded");
  return world;
}

/** Runs one action of a schedule; an action that does not apply now does nothing. */
export function act(world: World, action: Action): void {
  switch (action.kind) {
    case "propose":
      propose(world, action.side, action.intent);
      return;
    case "chainDeposit": {
      const asset = ASSETS[action.asset % ASSETS.length] as Address;
      const totals = world.chain.get(asset) as {
        totalDepositsAlice: bigint;
        totalDepositsBob: bigint;
      };
      if (action.side === "alice") totals.totalDepositsAlice += action.amount;
      else totals.totalDepositsBob += action.amount;
      return;
    }
    case "deliver": {
      const index = deliverable(world, action.pick);
      if (index === undefined) return;
      const [packet] = world.network.splice(index, 1);
      deliver(world, packet as Packet);
      return;
    }
    case "drop":
      if (world.network.length > 0) world.network.splice(action.pick % world.network.length, 1);
      return;
    case "duplicate":
      if (world.network.length > 0)
        world.network.push(world.network[action.pick % world.network.length] as Packet);
      return;
    case "timeout":
      timeout(world, action.side);
      return;
    case "sync": {
      const latest = world[OTHER[action.side]].party.conversation.view.state?.latestUpdate;
      if (latest) world.network.push({ kind: "latest", to: action.side, update: latest });
      return;
    }
    case "restart":
      restart(world);
      return;
  }
}

/**
 * The end of a schedule: nothing new is proposed; everything in flight is delivered (requests
 * still open once the network is empty time out), and each side syncs from the other, until
 * nothing moves.
 */
export function settle(world: World): void {
  for (let round = 0; round < 50; round++) {
    const before = fingerprint(world);
    deliverAll(world);
    timeout(world, "alice");
    timeout(world, "bob");
    deliverAll(world);
    act(world, { kind: "sync", side: "bob" });
    deliverAll(world);
    act(world, { kind: "sync", side: "alice" });
    deliverAll(world);
    if (fingerprint(world) === before && world.network.length === 0) return;
  }
  world.violations.push("the world did not settle in 50 rounds");
}

function fingerprint(world: World): string {
  const side = (shell: Shell) =>
    `${shell.party.conversation.view.state?.nonce}:${shell.party.conversation.ours?.stage}:${shell.party.conversation.sync?.stage}`;
  return `${side(world.alice)}|${side(world.bob)}|${world.network.length}`;
}

function deliverAll(world: World): void {
  for (let guard = 0; guard < 1_000; guard++) {
    const index = deliverable(world, 0);
    if (index === undefined) return;
    const [packet] = world.network.splice(index, 1);
    deliver(world, packet as Packet);
  }
  world.violations.push("the network did not drain in 1,000 deliveries");
}

/**
 * The index of a packet that can be delivered now, starting at `pick`: the node (alice) holds
 * the channel's lock while its own proposal waits for an answer, so what bob sends it waits.
 */
function deliverable(world: World, pick: number): number | undefined {
  const count = world.network.length;
  for (let i = 0; i < count; i++) {
    const index = (pick + i) % count;
    const packet = world.network[index] as Packet;
    const held =
      packet.to === "alice" &&
      (packet.kind === "proposal" || packet.kind === "latest") &&
      world.alice.party.conversation.ours !== undefined;
    if (!held) return index;
  }
  return undefined;
}

function deliver(world: World, packet: Packet): void {
  const shell = world[packet.to];
  const now = shell.party.now;
  switch (packet.kind) {
    case "proposal": {
      world.log.push(
        `${packet.to} ← proposal ${packet.message.update.type} #${packet.message.update.nonce}`,
      );
      feed(shell.party, { type: "message", message: packet.message, now });
      const replies = take(shell.party, "reply");
      for (const reply of replies) {
        world.network.push({
          kind: "reply",
          to: OTHER[packet.to],
          request: packet.request,
          reply: reply.reply,
        });
      }
      collect(world, packet.to);
      return;
    }
    case "reply":
      if (shell.open.reply !== packet.request) return;
      world.log.push(`${packet.to} ← reply ${packet.reply.ok ? "ok" : packet.reply.error.code}`);
      shell.open.reply = undefined;
      feed(shell.party, { type: "reply", reply: packet.reply, now });
      collect(world, packet.to);
      return;
    case "latest":
      world.log.push(`${packet.to} ← latest #${packet.update.nonce}`);
      feed(shell.party, { type: "peerLatest", update: packet.update, now });
      collect(world, packet.to);
      return;
    case "restoreRequest": {
      const view = world.alice.party.conversation.view;
      const message = view.state
        ? {
            protocolVersion: "1" as const,
            channel: view.state,
            activeTransfers: [...view.transfers.values()],
          }
        : undefined;
      const { request, thread } = packet;
      world.network.push({ kind: "restoreAnswer", to: "bob", request, thread, message });
      return;
    }
    case "restoreAnswer": {
      if (world.bob.open.restore[packet.thread] !== packet.request) return;
      world.log.push(`bob ← restore #${packet.message?.channel.nonce} (${packet.thread})`);
      world.bob.open.restore[packet.thread] = undefined;
      feed(world.bob.party, {
        type: "restored",
        thread: packet.thread,
        message: packet.message,
        now,
      });
      collect(world, "bob");
      return;
    }
  }
}

function timeout(world: World, side: Side): void {
  const shell = world[side];
  if (shell.open.reply !== undefined) {
    world.log.push(`${side}: reply timed out`);
    shell.open.reply = undefined;
    feed(shell.party, { type: "replyTimedOut" });
    collect(world, side);
  }
  for (const thread of ["ours", "sync"] as const) {
    if (shell.open.restore[thread] === undefined) continue;
    world.log.push(`${side}: restore (${thread}) timed out`);
    shell.open.restore[thread] = undefined;
    feed(shell.party, {
      type: "restored",
      thread,
      message: undefined,
      now: shell.party.now,
    });
    collect(world, side);
  }
}

function restart(world: World): void {
  const bob = world.bob;
  const view = bob.party.conversation.view;
  const nonce = view.state?.nonce ?? 0;
  world.log.push(`bob restarts at #${nonce}`);
  const previous = bob.party.conversation;
  bob.party.conversation = startConversation({
    me: previous.me,
    peer: previous.peer,
    alice: world.alice.party.conversation.me,
    network: NETWORK,
    view,
    canRestore: true,
  });
  bob.party.out = [];
  bob.open = { restore: {} };
}

function propose(world: World, side: Side, intent: Intent): void {
  const shell = world[side];
  const conversation = shell.party.conversation;
  // One proposal at a time per side; the node proposes only while it holds the lock.
  if (conversation.ours || !conversation.view.state) return;
  const me = conversation.me;
  if (intent.kind === "deposit" && intent.amount > 0n) {
    act(world, { kind: "chainDeposit", side, asset: intent.asset, amount: intent.amount });
  }
  const draftOn = drafter(world, me, intent);
  const draft = draftOn(conversation.view);
  if (!draft) return;
  world.log.push(`${side} proposes ${draft.type}`);
  shell.party.draft = draftOn;
  feed(shell.party, { type: "propose", draft, now: shell.party.now });
  collect(world, side);
}

/** The draft for an intent on a given view (again on a retry), or undefined once moot. */
function drafter(
  world: World,
  me: Address,
  intent: Intent,
): (view: ChannelView) => UpdateDraft | undefined {
  if (intent.kind === "deposit") {
    const assetId = ASSETS[intent.asset % ASSETS.length] as Address;
    return () => ({ type: "deposit", assetId });
  }
  if (intent.kind === "create") {
    const assetId = ASSETS[intent.asset % ASSETS.length] as Address;
    const preImage = `0x${world.nextLock.toString(16).padStart(64, "0")}`;
    world.nextLock++;
    const lockHash = hashlockLockHash(preImage);
    world.preImages.set(lockHash, preImage);
    return (view) => {
      const state = view.state as FullChannelState;
      const index = state.assetIds.indexOf(assetId);
      const mine = state.alice.toLowerCase() === me.toLowerCase() ? 0 : 1;
      const available = index === -1 ? 0n : (state.balances[index]?.amount[mine] ?? 0n);
      if (available === 0n) return undefined;
      return {
        type: "create",
        assetId,
        amount: 1n + (intent.amount % available),
        transferDefinition: HASHLOCK_ADDRESS,
        transferInitialState: hashlock.encodeState({ lockHash, expiry: 0n }),
        transferTimeout: 3600,
      };
    };
  }
  // A resolve: the responder of one of the active transfers settles it (pays or cancels).
  const first = mineToResolve(world[sideOf(world, me)].party.conversation.view, me);
  const target = first[intent.pick % Math.max(1, first.length)];
  if (!target) return () => undefined;
  return (view) => {
    const transfer = view.transfers.get(target);
    if (!transfer) return undefined;
    const lockHash = hashlock.decodeState(transfer.transferState).lockHash;
    const preImage = intent.pay
      ? (world.preImages.get(String(lockHash).toLowerCase()) ??
        world.preImages.get(String(lockHash)))
      : undefined;
    return {
      type: "resolve",
      transferId: target,
      transferResolver: hashlock.encodeResolver({ preImage: preImage ?? `0x${"0".repeat(64)}` }),
    };
  };
}

function mineToResolve(view: ChannelView, me: Address): string[] {
  return [...view.transfers.values()]
    .filter((transfer) => transfer.responder.toLowerCase() === me.toLowerCase())
    .map((transfer) => transfer.transferId);
}

function sideOf(world: World, me: Address): Side {
  return world.alice.party.conversation.me === me ? "alice" : "bob";
}

/**
 * Takes what `side` produced: sends go on the wire (each its own request), restores ask alice,
 * stored writes are checked and remembered; reports (`done`, `synced`) are dropped.
 */
function collect(world: World, side: Side): void {
  const shell = world[side];
  for (const effect of shell.party.out.splice(0)) {
    switch (effect.kind) {
      case "send": {
        const request = world.nextRequest++;
        shell.open.reply = request;
        world.network.push({ kind: "proposal", to: OTHER[side], request, message: effect.message });
        break;
      }
      case "restore": {
        const request = world.nextRequest++;
        shell.open.restore[effect.thread] = request;
        world.network.push({ kind: "restoreRequest", to: "alice", request, thread: effect.thread });
        break;
      }
      case "persist":
        stored(world, side, effect);
        break;
      case "done":
        world.log.push(
          `${side}: ${effect.outcome.ok ? `done #${effect.outcome.applied.state.nonce}` : effect.outcome.abandoned ? "abandoned" : `refused by ${effect.outcome.by}: ${effect.outcome.refusal.code}`}`,
        );
        break;
      case "synced":
        if (effect.refusal) world.log.push(`${side}: sync refused: ${effect.refusal.code}`);
        break;
      case "reply":
        // Replies are routed by `deliver`, which knows the request; none come from elsewhere.
        world.violations.push(`${side} replied outside an answer`);
        break;
      default:
        break;
    }
  }
}

function stored(world: World, side: Side, effect: Extract<Effect, { kind: "persist" }>): void {
  const shell = world[side];
  shell.stored.push(effect.view);
  const state = effect.view.state;
  if (!state) {
    world.violations.push(`${side} stored a channel without a state`);
    return;
  }
  const key = stateKey(state);
  if (!doublySigned(world, state)) {
    world.violations.push(`${side} stored #${state.nonce} without both valid signatures`);
  }
  const had = shell.held.get(state.nonce);
  if (had !== undefined && had !== key) {
    world.violations.push(`${side} stored two different states at #${state.nonce}`);
  }
  shell.held.set(state.nonce, key);
}

/** What identifies a signed state: the digest both signed. */
function stateKey(state: FullChannelState): string {
  return channelStateDigest(state, state.networkContext.chainId);
}

function doublySigned(world: World, state: FullChannelState): boolean {
  const update = state.latestUpdate;
  const key = `${stateKey(state)}:${update.aliceSignature}:${update.bobSignature}`;
  if (world.verified.has(key)) return true;
  if (update.nonce !== state.nonce || !update.aliceSignature || !update.bobSignature) return false;
  const digest = stateKey(state);
  try {
    const ok =
      recoverSigner(digest, update.aliceSignature).toLowerCase() === state.alice.toLowerCase() &&
      recoverSigner(digest, update.bobSignature).toLowerCase() === state.bob.toLowerCase();
    if (ok) world.verified.add(key);
    return ok;
  } catch {
    return false;
  }
}

/** Every promise of the protocol the world breaks now (and broke before), as sentences. */
export function check(world: World): string[] {
  const found = [...world.violations];
  for (const side of ["alice", "bob"] as const) {
    const view = world[side].party.conversation.view;
    const state = view.state;
    if (!state) continue;
    if (!doublySigned(world, state)) found.push(`${side} holds #${state.nonce} not doubly signed`);
    found.push(...conservation(world, side, view));
  }
  for (const [nonce, key] of world.alice.held) {
    const theirs = world.bob.held.get(nonce);
    if (theirs !== undefined && theirs !== key) {
      found.push(`alice and bob hold different doubly-signed states at #${nonce}`);
    }
  }
  found.push(...appliedOnce(world));
  return found;
}

/** Per asset: both balances plus the locked amounts equal the deposits processed, never more than the chain holds. */
function conservation(world: World, side: Side, view: ChannelView): string[] {
  const state = view.state as FullChannelState;
  const found: string[] = [];
  state.assetIds.forEach((assetId, i) => {
    const balance = state.balances[i]?.amount ?? [0n, 0n];
    let locked = 0n;
    for (const transfer of view.transfers.values()) {
      if (transfer.assetId.toLowerCase() === assetId.toLowerCase())
        locked += transfer.balance.amount[0] + transfer.balance.amount[1];
    }
    const a = state.processedDepositsA[i] ?? 0n;
    const b = state.processedDepositsB[i] ?? 0n;
    const chain = world.chain.get(assetId);
    if (balance[0] < 0n || balance[1] < 0n) found.push(`${side}: a negative balance of ${assetId}`);
    if (balance[0] + balance[1] + locked !== a + b) {
      found.push(`${side}: ${assetId} not conserved: ${balance} + ${locked} locked ≠ ${a} + ${b}`);
    }
    if (!chain || a > chain.totalDepositsAlice || b > chain.totalDepositsBob) {
      found.push(`${side}: more of ${assetId} processed than deposited on-chain`);
    }
  });
  return found;
}

/** A create asked for once is applied once: no two transfers in alice's history share a lock. */
function appliedOnce(world: World): string[] {
  const seen = new Map<string, number>();
  for (const view of world.alice.stored) {
    const update = view.state?.latestUpdate;
    if (update?.type !== "create" || view.state?.nonce !== update.nonce) continue;
    const details = (update as ChannelUpdate<"create">).details;
    const lock = hashlock.decodeState(details.transferInitialState).lockHash;
    const nonces = seen.get(String(lock));
    if (nonces !== undefined && nonces !== update.nonce) {
      return [`the create of lock ${lock} was applied twice (#${nonces} and #${update.nonce})`];
    }
    seen.set(String(lock), update.nonce);
  }
  return [];
}

/** Both sides' latest state, for the final comparison. */
export function latest(world: World): { alice?: FullChannelState; bob?: FullChannelState } {
  return {
    alice: world.alice.party.conversation.view.state,
    bob: world.bob.party.conversation.view.state,
  };
}

export type { Event };
