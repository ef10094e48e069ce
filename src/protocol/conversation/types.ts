import type { ProtocolErrorCode } from "../errors";
import type { RestoreMessage, UpdateMessage } from "../schemas";
import type { Address, ChannelUpdate } from "../types";
import type {
  AppliedUpdate,
  ChainDisputeOutcome,
  ChannelView,
  Transition,
  UpdateContext,
} from "../updates/context";
import type { UpdateDraft } from "../updates/propose";

/**
 * The channel conversation (DESIGN §4.4) as plain data: what a party knows of its channel,
 * and where each of its three threads stands. A shell keeps it, feeds `step` one event at a
 * time and carries out the effects that come back; nothing here does I/O or reads a clock.
 */
export interface Conversation {
  /** Our identity (the signer's address). */
  readonly me: Address;
  /** The counterparty: the only party whose proposals we answer. */
  readonly peer: Address;
  readonly channelAddress: Address;
  /** The channel as stored: changed only by a `persisted` event. */
  readonly view: ChannelView;
  /** A dispute is on record: nothing is signed but a resume (DESIGN §4.7). */
  readonly disputed: boolean;
  /** Whether we may restore from the counterparty (the client may; the node has no one to ask). */
  readonly canRestore: boolean;
  /** Our own proposal, while one is under way. */
  readonly ours?: OursThread;
  /** The counterparty's proposal we are answering. */
  readonly theirs?: TheirsThread;
  /** Catching up from the counterparty's latest update (a hello, a sync) or a restore. */
  readonly sync?: SyncThread;
  /** The last few updates applied, oldest first: a reply may come after its update was adopted. */
  readonly recent: readonly AppliedUpdate[];
  /**
   * Proposals we signed that may still be countersigned: each stays live until the channel
   * holds a doubly-signed update past its nonce, whatever became of the request (SECURITY rule 1).
   */
  readonly live: readonly ChannelUpdate[];
}

/** The three threads of a conversation; an event and its effects name the one they belong to. */
export type Thread = "ours" | "theirs" | "sync";

/** Chain facts an update needs, read by the shell at the step's request. */
export interface ChainFacts {
  chainDeposits?: NonNullable<UpdateContext["chainDeposits"]>;
  chainDispute?: ChainDisputeOutcome;
}

/** A write that must be stored before the thread goes on. */
export interface PendingWrite {
  /** The view to adopt once stored. */
  view: ChannelView;
  /** The update applied (absent for a restore, which replaces the whole channel). */
  applied?: AppliedUpdate;
  before: ChannelView;
}

export type OursThread =
  | { stage: "draft"; attempt: number }
  | { stage: "chain"; attempt: number; draft: UpdateDraft; now: number }
  | {
      stage: "sign";
      attempt: number;
      basis: ChannelView;
      unsigned: ChannelUpdate;
      transition: Transition;
      context: UpdateContext;
      role: "alice" | "bob";
    }
  | {
      stage: "reply";
      attempt: number;
      basis: ChannelView;
      proposal: ChannelUpdate;
      context: UpdateContext;
    }
  | {
      /** Refused as stale: catching up (a write) or restoring, then drafting again. */
      stage: "catchUp";
      attempt: number;
      /** The refused proposal's nonce: a retry needs a doubly-signed update at it. */
      proposalNonce: number;
      /** The refused proposal: if the update the channel ends up with at its nonce is this one, it is done. */
      proposal: ChannelUpdate;
      refusal: Refusal;
      write?: PendingWrite;
    }
  | { stage: "persist"; attempt: number; write: PendingWrite };

export type TheirsThread =
  | { stage: "catchUp"; message: UpdateMessage; now: number; write: PendingWrite }
  | { stage: "check"; update: ChannelUpdate; now: number }
  | { stage: "chain"; update: ChannelUpdate; now: number }
  | {
      stage: "sign";
      update: ChannelUpdate;
      transition: Transition;
      role: "alice" | "bob";
      basis: ChannelView;
    }
  | { stage: "persist"; write: PendingWrite; update: ChannelUpdate };

export type SyncThread =
  | { stage: "persist"; write: PendingWrite; theirNonce: number }
  | { stage: "restore" };

/** Why a thread ended without an update, for the shell to report in its own error type. */
export interface Refusal {
  code: ProtocolErrorCode | string;
  message: string;
  /** With STALE_NONCE: our latest doubly-signed update, for the counterparty to catch up from. */
  latestUpdate?: ChannelUpdate;
}

export type Event =
  /**
   * Propose this draft (built by the shell on the view a `draft` effect gave it).
   * `draftedOn`: the nonce of the view the draft was built on; when the channel has moved
   * since (the shell drafts without holding it still), the step asks for the draft again.
   */
  | { type: "propose"; draft: UpdateDraft; now: number; draftedOn?: number }
  /** The shell's draft function found nothing to do any more. */
  | { type: "abandon" }
  /** A proposal of the counterparty arrived. */
  | { type: "message"; message: UpdateMessage; now: number }
  /** The shell's own checks on their proposal passed (a failure is an `abort`). */
  | { type: "checked" }
  /** The chain facts asked for. */
  | { type: "chainFacts"; thread: "ours" | "theirs"; facts: ChainFacts }
  | { type: "signed"; thread: "ours" | "theirs"; signature: string }
  /** The write of a `persist` effect is stored. */
  | { type: "persisted"; thread: Thread }
  /** The reply to our proposal. */
  | {
      type: "reply";
      reply: { ok: true; update: ChannelUpdate } | { ok: false; error: Refusal };
      now: number;
    }
  /** The request carrying our proposal failed or timed out: the proposal stays live. */
  | { type: "replyTimedOut" }
  /** The counterparty's latest doubly-signed update (a hello, a sync answer). */
  | { type: "peerLatest"; update: ChannelUpdate; now: number }
  /** The counterparty's latest state and active transfers, asked for by a `restore` effect. */
  | { type: "restored"; thread: "ours" | "sync"; message: RestoreMessage | undefined; now: number }
  /** A shell-side step failed (a check, a chain read, a signature, a write): the thread ends. */
  | { type: "abort"; thread: Thread }
  | { type: "disputeStarted" }
  | { type: "disputeEnded" };

export type Effect =
  /** Build the draft (again) on `view`; answer `propose` or `abandon`. */
  | { kind: "draft"; view: ChannelView; attempt: number }
  | { kind: "readDeposits"; thread: "ours" | "theirs"; channelAddress: Address; assetId: Address }
  | {
      kind: "readDisputeOutcome";
      thread: "ours" | "theirs";
      view: ChannelView;
      channelAddress: Address;
      assetIds: Address[];
      transferIds: string[];
    }
  /**
   * The shell's own checks on the counterparty's proposal before we countersign it.
   * `resumesRound`: the proposal is the resume that ends this dispute round, so the shell
   * makes sure its own side of the dispute is carried through first.
   */
  | { kind: "check"; view: ChannelView; update: ChannelUpdate; resumesRound?: number }
  | { kind: "sign"; thread: "ours" | "theirs"; digest: string }
  | { kind: "send"; message: UpdateMessage }
  /** Store this, then answer `persisted`. `caughtUp`: adopted from the counterparty. */
  | {
      kind: "persist";
      thread: Thread;
      view: ChannelView;
      applied?: AppliedUpdate;
      before: ChannelView;
      cause: "proposed" | "answered" | "caughtUp" | "restored";
      proposedByUs: boolean;
      /** A resume was applied: the dispute of this round is over. */
      resumedRound?: number;
    }
  /** Ask the counterparty for its latest state (pages); answer `restored`. */
  | { kind: "restore"; thread: "ours" | "sync" }
  /** The answer to the counterparty's proposal. */
  | { kind: "reply"; reply: { ok: true; update: ChannelUpdate } | { ok: false; error: Refusal } }
  /** Our proposal's outcome, for the caller. */
  | {
      kind: "done";
      outcome:
        | { ok: true; applied: AppliedUpdate }
        | { ok: false; abandoned: true }
        | { ok: false; abandoned?: false; refusal: Refusal; by: "peer" | "us"; exhausted: boolean };
    }
  /** A sync or restore ended; with a refusal when what the counterparty sent did not check out. */
  | { kind: "synced"; refusal?: Refusal };

/** What the thread the event touched waits for next. */
export type WaitingFor =
  | "nothing"
  | "draft"
  | "chainFacts"
  | "check"
  | "signature"
  | "reply"
  | "persisted"
  | "restore";

export interface StepResult {
  channel: Conversation;
  effects: Effect[];
  waitingFor: WaitingFor;
}

/** What every step needs besides the event: the rules and registry (no chain facts). */
export type StepContext = Omit<UpdateContext, "chainDeposits" | "chainDispute" | "now">;
