import { ProtocolError } from "../errors";
import { channelStateDigest } from "../hashing";
import { assertSigner, type ChannelSigner } from "../signatures";
import type {
  Balance,
  ChannelUpdate,
  CoreChannelState,
  FullChannelState,
  UpdateType,
} from "../types";
import type {
  AppliedUpdate,
  ChannelView,
  Transition,
  UpdateContext,
  UpdateHandler,
} from "./context";
import { createHandler } from "./create";
import { depositHandler } from "./deposit";
import { resolveHandler } from "./resolve";
import { resumeHandler } from "./resume";
import { setupHandler } from "./setup";
import { balancesEqual, channelBalance, partyIndex, sameAddress } from "./state";

/** One handler per update type: the only place that dispatches on the type. */
const HANDLERS: { [T in UpdateType]: UpdateHandler<T> } = {
  setup: setupHandler,
  deposit: depositHandler,
  create: createHandler,
  resolve: resolveHandler,
  resume: resumeHandler,
};

/**
 * Checks an update against the channel and computes the state it produces, with every rule of
 * DESIGN §4.4 except signatures. Throws a ProtocolError; changes nothing.
 */
export function deriveTransition(
  view: ChannelView,
  update: ChannelUpdate,
  context: UpdateContext,
): Transition {
  const transition = computeTransition(view, update, context);
  requireClaims(update, transition);
  return transition;
}

/**
 * The state an update produces, without comparing it to what the update claims (the
 * proposer's resulting balance, merkle root and transfer id): the proposer fills those in
 * from here.
 */
export function computeTransition(
  view: ChannelView,
  update: ChannelUpdate,
  context: UpdateContext,
): Transition {
  if (update.type !== "setup") requireSequence(view.state, update);
  const handler = HANDLERS[update.type] as UpdateHandler<UpdateType> | undefined;
  if (!handler)
    throw new ProtocolError("MALFORMED_MESSAGE", `unknown update type ${String(update.type)}`);
  return handler.derive(view, update, context);
}

/** The chain id a state of this update is signed under. */
export function chainIdOf(view: ChannelView, update: ChannelUpdate): number {
  if (update.type === "setup")
    return (update as ChannelUpdate<"setup">).details.networkContext.chainId;
  return (view.state as FullChannelState).networkContext.chainId;
}

/** The responder's side: validates, checks the proposer's signature, and countersigns. */
export async function respondToUpdate(
  view: ChannelView,
  update: ChannelUpdate,
  signer: ChannelSigner,
  context: UpdateContext,
): Promise<{ update: ChannelUpdate; applied: AppliedUpdate }> {
  const prepared = prepareResponse(view, update, signer.address, context);
  const countersigned = withSignature(
    update,
    prepared.role,
    await signer.signDigest(prepared.digest),
  );
  return { update: countersigned, applied: applied(view, countersigned, prepared.transition) };
}

/** What a party is about to sign: the state's digest, its role, and the state it produces. */
export interface PreparedSignature {
  transition: Transition;
  digest: string;
  role: "alice" | "bob";
}

/**
 * The responder's side up to its signature: validates the proposal and checks the proposer's
 * signature; what is left is to sign `digest` as `role` (see `withSignature`). Pure.
 */
export function prepareResponse(
  view: ChannelView,
  update: ChannelUpdate,
  responder: string,
  context: UpdateContext,
): PreparedSignature {
  if (!sameAddress(responder, update.toIdentifier)) {
    throw new ProtocolError(
      "WRONG_PARTICIPANTS",
      `update is addressed to ${update.toIdentifier}, not ${responder}`,
    );
  }
  const transition = deriveTransition(view, update, context);
  const digest = channelStateDigest(transition.core, chainIdOf(view, update));
  const proposerRole = roleOf(transition.core, update.fromIdentifier);
  const proposerSignature = update[`${proposerRole}Signature`];
  if (proposerSignature === undefined) {
    throw new ProtocolError("INVALID_SIGNATURE", `the update carries no ${proposerRole} signature`);
  }
  assertSigner(digest, proposerSignature, update.fromIdentifier, proposerRole);
  const responderRole = proposerRole === "alice" ? "bob" : "alice";
  if (update[`${responderRole}Signature`] !== undefined) {
    throw new ProtocolError(
      "INVALID_SIGNATURE",
      `a proposal carries no ${responderRole} signature yet`,
    );
  }
  return { transition, digest, role: responderRole };
}

/** `update` with `signature` as `role`'s. */
export function withSignature(
  update: ChannelUpdate,
  role: "alice" | "bob",
  signature: string,
): ChannelUpdate {
  return { ...update, [`${role}Signature`]: signature };
}

/**
 * The proposer's last step: the countersigned update must be the one it proposed, with a
 * valid responder signature.
 */
export function acceptCountersigned(
  view: ChannelView,
  proposed: ChannelUpdate,
  countersigned: ChannelUpdate,
  context: UpdateContext,
): AppliedUpdate {
  const proposerRole = proposed.aliceSignature !== undefined ? "alice" : "bob";
  const responderRole = proposerRole === "alice" ? "bob" : "alice";
  const responderSignature = countersigned[`${responderRole}Signature`];
  const reply: ChannelUpdate = { ...countersigned };
  delete reply[`${responderRole}Signature`];
  // The reply must be our proposal, field for field, plus the responder's signature; then our
  // own checks on the proposal still hold and only that signature needs recovering.
  if (canonicalJson(reply) !== canonicalJson(proposed)) {
    throw new ProtocolError("UPDATE_MISMATCH", "the countersigned update is not the one proposed");
  }
  if (responderSignature === undefined) {
    throw new ProtocolError("INVALID_SIGNATURE", `the reply carries no ${responderRole} signature`);
  }
  const transition = deriveTransition(view, proposed, context);
  const digest = channelStateDigest(transition.core, chainIdOf(view, proposed));
  assertSigner(digest, responderSignature, proposed.toIdentifier, responderRole);
  return applied(view, countersigned, transition);
}

/** The proposer's side up to its signature: the claims checked, the digest to sign. Pure. */
export function prepareProposerSignature(
  view: ChannelView,
  update: ChannelUpdate,
  transition: Transition,
  proposer: string,
): PreparedSignature {
  if (!sameAddress(proposer, update.fromIdentifier)) {
    throw new ProtocolError(
      "WRONG_PARTICIPANTS",
      `update is from ${update.fromIdentifier}, not ${proposer}`,
    );
  }
  requireClaims(update, transition);
  const digest = channelStateDigest(transition.core, chainIdOf(view, update));
  return { transition, digest, role: roleOf(transition.core, update.fromIdentifier) };
}

/** The stored form of a transition: the full state with the update that produced it. */
export function applied(
  view: ChannelView,
  update: ChannelUpdate,
  transition: Transition,
): AppliedUpdate {
  const networkContext =
    update.type === "setup"
      ? (update as ChannelUpdate<"setup">).details.networkContext
      : (view.state as FullChannelState).networkContext;
  const state: FullChannelState = { ...transition.core, networkContext, latestUpdate: update };
  return {
    state,
    tree: transition.tree,
    ...(transition.transfer ? { transfer: transition.transfer } : {}),
    ...(transition.dropped?.length ? { dropped: transition.dropped } : {}),
  };
}

/** JSON with object keys sorted, so that equal updates compare equal whatever their key order. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item) => {
    if (typeof item === "bigint") return `${item}n`;
    if (item && typeof item === "object" && !Array.isArray(item)) {
      return Object.fromEntries(
        Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      );
    }
    return item;
  });
}

function roleOf(core: CoreChannelState, party: string): "alice" | "bob" {
  return partyIndex(core, party) === 0 ? "alice" : "bob";
}

/** Same channel, the two parties, and the next nonce. */
function requireSequence(state: FullChannelState | undefined, update: ChannelUpdate): void {
  if (!state)
    throw new ProtocolError("CHANNEL_NOT_SETUP", `channel ${update.channelAddress} is not set up`);
  if (!sameAddress(update.channelAddress, state.channelAddress)) {
    throw new ProtocolError(
      "WRONG_CHANNEL",
      `expected channel ${state.channelAddress}, got ${update.channelAddress}`,
    );
  }
  const parties = [state.alice.toLowerCase(), state.bob.toLowerCase()];
  const from = update.fromIdentifier.toLowerCase();
  const to = update.toIdentifier.toLowerCase();
  if (from === to || !parties.includes(from) || !parties.includes(to)) {
    throw new ProtocolError(
      "WRONG_PARTICIPANTS",
      `expected an update between ${state.alice} and ${state.bob}, got ${update.fromIdentifier} → ${update.toIdentifier}`,
    );
  }
  const expected = state.nonce + 1;
  if (update.nonce < expected) {
    throw new ProtocolError("STALE_NONCE", `expected nonce ${expected}, got ${update.nonce}`, {
      expected,
      got: update.nonce,
    });
  }
  if (update.nonce > expected) {
    throw new ProtocolError("NONCE_GAP", `expected nonce ${expected}, got ${update.nonce}`, {
      expected,
      got: update.nonce,
    });
  }
}

/** What the proposer claims about the result must be what the rules produce. */
function requireClaims(update: ChannelUpdate, transition: Transition): void {
  if (update.type === "setup" && update.nonce !== 1) {
    throw new ProtocolError("UPDATE_MISMATCH", `a setup has nonce 1, got ${update.nonce}`);
  }
  const expected: Balance = channelBalance(transition.core, update.assetId);
  if (!balancesEqual(expected, update.balance)) {
    throw new ProtocolError(
      "BALANCE_MISMATCH",
      `expected resulting balance [${expected.amount.join(", ")}], got [${update.balance.amount.join(", ")}]`,
    );
  }
  if (update.type === "create" || update.type === "resolve" || update.type === "resume") {
    const details = (update as ChannelUpdate<"create" | "resolve" | "resume">).details;
    if (details.merkleRoot.toLowerCase() !== transition.core.merkleRoot) {
      throw new ProtocolError(
        "MERKLE_MISMATCH",
        `expected merkle root ${transition.core.merkleRoot}, got ${details.merkleRoot}`,
      );
    }
  }
  if (update.type === "create") {
    const claimed = (update as ChannelUpdate<"create">).details.transferId;
    const derived = transition.transfer?.transferId as string;
    if (claimed.toLowerCase() !== derived) {
      throw new ProtocolError("UPDATE_MISMATCH", `expected transfer id ${derived}, got ${claimed}`);
    }
  }
}

/**
 * The channel as it stands once `applied` is stored: the new state and tree, the created
 * transfer added, the resolved one removed. Shells call this after persisting, never before.
 */
export function adoptApplied(view: ChannelView, applied: AppliedUpdate): ChannelView {
  const transfers = new Map(view.transfers);
  const transfer = applied.transfer;
  if (transfer) {
    if (applied.state.latestUpdate.type === "resolve") transfers.delete(transfer.transferId);
    else transfers.set(transfer.transferId, transfer);
  }
  for (const gone of applied.dropped ?? []) transfers.delete(gone.transferId);
  return { state: applied.state, transfers, tree: applied.tree };
}
