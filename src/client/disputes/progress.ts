import { z } from "zod";
import type { ClientStore } from "../store/types";

/**
 * What the client remembers of its disputes between runs (issue 10): the transactions it sent
 * for each step, so that a client closed in the middle of an exit and started again with the
 * same store picks up where it stopped and never sends a step twice; where the exit pays; how
 * far it has told the application what happened on-chain; and the dispute it resumed past.
 *
 * Each step is recorded, with its signed transaction, before the transaction is broadcast: a
 * client stopped between the two finds the record and broadcasts the same transaction (same
 * nonce), so at most one of the two can ever be mined.
 */

/** How a sent transaction ended, as far as the client knows. */
export type SentStatus = "sent" | "mined" | "reverted" | "dropped";

/** One transaction sent for one step. */
export interface SentStep {
  /** The step's identity (`disputeStepKey`, or `createChannel`). */
  key: string;
  /** 1, then 2, … when the chain needs the same step again after it was mined (an exit of the same amount). */
  instance: number;
  /** The step's name: createChannel, disputeChannel, defundChannel, disputeTransfer, defundTransfer, exit. */
  step: string;
  hash: string;
  /** The account nonce it was signed with. */
  nonce: number;
  /** The signed transaction, to broadcast again if the chain never saw it. */
  raw: string;
  /** Unix milliseconds (wall clock) of the latest broadcast. */
  sentAt: number;
  status: SentStatus;
  /** The block it was mined in. */
  block?: number;
}

/** The dispute the client is carrying through (there is one at a time per channel). */
export interface CurrentDispute {
  /** Undefined while our own disputeChannel is not mined yet. */
  consensusExpiry?: number;
  round?: number;
  startedByUs: boolean;
  /** The last block whose channel events were told to the application. */
  cursor?: number;
  steps: SentStep[];
}

export interface ProgressRecord {
  version: 1;
  /** Where exits pay (the `recipient` given to `dispute()`); absent: our own address. */
  recipient?: string;
  /** The last dispute the channel resumed past. */
  resumed?: { round: number; consensusExpiry: number };
  current?: CurrentDispute;
}

const sentStepSchema = z.object({
  key: z.string(),
  instance: z.number().int().positive(),
  step: z.string(),
  hash: z.string(),
  nonce: z.number().int().nonnegative(),
  raw: z.string(),
  sentAt: z.number(),
  status: z.enum(["sent", "mined", "reverted", "dropped"]),
  block: z.number().int().optional(),
});

const recordSchema = z.object({
  version: z.literal(1),
  recipient: z.string().optional(),
  resumed: z.object({ round: z.number(), consensusExpiry: z.number() }).optional(),
  current: z
    .object({
      consensusExpiry: z.number().optional(),
      round: z.number().optional(),
      startedByUs: z.boolean(),
      cursor: z.number().optional(),
      steps: z.array(sentStepSchema),
    })
    .optional(),
});

/** Attempts kept per dispute: enough for every step of a busy channel, bounded all the same. */
const MAX_STEPS = 500;

/**
 * The progress record of one channel in the client's store, kept in memory and written
 * through on every change (one writer at a time).
 *
 * @example
 * const progress = await DisputeProgress.load(store, `dispute:${node}:${me}`);
 * const last = progress.latest("exit:0x…:1:100");
 */
export class DisputeProgress {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly store: ClientStore,
    private readonly key: string,
    private data: ProgressRecord,
  ) {}

  static async load(store: ClientStore, key: string): Promise<DisputeProgress> {
    const raw = await store.get(key);
    const data = raw === undefined ? { version: 1 as const } : recordSchema.parse(JSON.parse(raw));
    return new DisputeProgress(store, key, data as ProgressRecord);
  }

  get record(): Readonly<ProgressRecord> {
    return this.data;
  }

  get current(): CurrentDispute | undefined {
    return this.data.current;
  }

  get recipient(): string | undefined {
    return this.data.recipient;
  }

  setRecipient(recipient: string): Promise<void> {
    return this.change((data) => {
      data.recipient = recipient;
    });
  }

  /** A new dispute: the steps of the previous one are forgotten (their keys could repeat). */
  beginDispute(dispute: Omit<CurrentDispute, "steps">): Promise<void> {
    return this.change((data) => {
      data.current = { ...dispute, steps: [] };
    });
  }

  /** Forgets a dispute we meant to start and never sent anything for. */
  abandonStart(): Promise<void> {
    return this.change((data) => {
      const current = data.current;
      if (
        current?.startedByUs &&
        current.consensusExpiry === undefined &&
        current.steps.length === 0
      ) {
        data.current = undefined;
      }
    });
  }

  /** Names the dispute the current record belongs to, once its expiries are known. */
  tagDispute(tag: { consensusExpiry: number; round: number; cursor?: number }): Promise<void> {
    return this.change((data) => {
      const current = data.current ?? { startedByUs: false, steps: [] };
      data.current = {
        ...current,
        consensusExpiry: tag.consensusExpiry,
        round: tag.round,
        ...(current.cursor === undefined && tag.cursor !== undefined ? { cursor: tag.cursor } : {}),
      };
    });
  }

  setRound(round: number): Promise<void> {
    return this.change((data) => {
      if (data.current) data.current.round = round;
    });
  }

  setCursor(block: number): Promise<void> {
    return this.change((data) => {
      if (data.current) data.current.cursor = block;
    });
  }

  markResumed(resumed: { round: number; consensusExpiry: number }): Promise<void> {
    return this.change((data) => {
      data.resumed = resumed;
    });
  }

  /** The latest attempt at step `key` in the current dispute. */
  latest(key: string): SentStep | undefined {
    const steps = this.data.current?.steps ?? [];
    for (let i = steps.length - 1; i >= 0; i--) {
      if (steps[i]?.key === key) return steps[i];
    }
    return undefined;
  }

  /** Records a signed transaction before it is broadcast. */
  recordSent(step: SentStep): Promise<void> {
    return this.change((data) => {
      const current = data.current ?? { startedByUs: false, steps: [] };
      current.steps.push(step);
      if (current.steps.length > MAX_STEPS)
        current.steps.splice(0, current.steps.length - MAX_STEPS);
      data.current = current;
    });
  }

  /** Updates what is known of the transaction `hash`. */
  updateSent(hash: string, change: Partial<Pick<SentStep, "status" | "block" | "sentAt">>) {
    return this.change((data) => {
      const step = data.current?.steps.find((s) => s.hash === hash);
      if (step) Object.assign(step, change);
    });
  }

  private change(mutate: (data: ProgressRecord) => void): Promise<void> {
    const next = this.queue.then(async () => {
      const copy = structuredClone(this.data);
      mutate(copy);
      await this.store.set(this.key, JSON.stringify(copy));
      this.data = copy;
    });
    this.queue = next.catch(() => {});
    return next;
  }
}

/** What the chain says of an earlier attempt at a step. */
export type AttemptState =
  | { state: "mined"; block: number }
  | { state: "reverted" }
  /** Known to the node we ask, not mined yet. */
  | { state: "pending" }
  /**
   * Unknown to the chain: `nonceUsed` when another transaction took its nonce (it can never
   * be mined), `ageMs` since it was last broadcast.
   */
  | { state: "unknown"; nonceUsed: boolean; ageMs: number };

/** What to do about a step the planner asks for, given its latest attempt. */
export type StepMove =
  /** Send it (a fresh transaction; `nonce` reuses the old one's so only one can be mined). */
  | { move: "send"; instance: number; nonce?: number }
  /** Broadcast the recorded transaction again and wait for it. */
  | { move: "rebroadcast" }
  /** Sent and not mined yet: wait. */
  | { move: "wait" }
  /** Mined after the chain was read: the plan is stale, nothing to send. */
  | { move: "skip" };

/**
 * Never the same step twice (issue 10 §1): a step recorded and mined is done, unless the chain,
 * read after it was mined, still asks for it (then the chain needs it again: a new instance);
 * one still pending is waited for; one that reverted, or whose nonce another transaction took,
 * is sent again; one the chain never saw is broadcast again, and after `staleMs` replaced by a
 * fresh transaction with the same nonce.
 *
 * @example
 * const move = nextMove(progress.latest(key), await check(attempt), readAtBlock, 120_000);
 */
export function nextMove(
  last: SentStep | undefined,
  attempt: AttemptState | undefined,
  /** A block at or before the one the plan was read at. */
  readAtBlock: number,
  staleMs: number,
): StepMove {
  if (!last || !attempt) return { move: "send", instance: 1 };
  switch (attempt.state) {
    case "mined":
      return attempt.block <= readAtBlock
        ? { move: "send", instance: last.instance + 1 }
        : { move: "skip" };
    case "reverted":
      return { move: "send", instance: last.instance };
    case "pending":
      return { move: "wait" };
    case "unknown":
      if (attempt.nonceUsed) return { move: "send", instance: last.instance };
      if (attempt.ageMs > staleMs) {
        return { move: "send", instance: last.instance, nonce: last.nonce };
      }
      return { move: "rebroadcast" };
  }
}
