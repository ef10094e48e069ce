import { z } from "zod";
import type { WithdrawData } from "../../protocol/types";
import type { SentStep } from "../disputes/progress";
import type { StepLedger } from "../disputes/sender";
import type { ClientStore } from "../store/types";

/**
 * What the client keeps of its withdrawals between runs (issue 11): one small record per
 * withdrawal whose commitment it holds both signatures of and has not yet seen executed on
 * chain: the commitment, both signatures, when the node's time to send it runs out, and the
 * transactions the client sent for it itself (recorded before each broadcast, as the dispute
 * steps are, so a restarted client never sends one twice). A record goes once the chain shows
 * the commitment executed and the application was told.
 */

/** A withdrawal commitment with both signatures, not yet seen executed. */
export interface PendingWithdrawal {
  transferId: string;
  channelAddress: string;
  /** The node: its signature is `aliceSignature`. */
  alice: string;
  /** Us: our signature is `bobSignature`. */
  bob: string;
  commitment: WithdrawData;
  /** The commitment's EIP-712 digest: what `isWithdrawalExecuted` and the Withdrawn log name. */
  digest: string;
  aliceSignature: string;
  bobSignature: string;
  /** A block at or before the node's signature: the Withdrawn log is looked for from here. */
  fromBlock: number;
  /** Unix ms (wall clock) when the record was made. */
  recordedAt: number;
  /** Unix ms (wall clock) after which the client sends the commitment itself. */
  deadlineAt: number;
  /** The client's own transactions for it (createChannel, withdraw). */
  steps: SentStep[];
}

export interface WithdrawalRecord {
  version: 1;
  pending: PendingWithdrawal[];
  /** Transfer ids recently seen executed (bounded): never recorded again. */
  done: string[];
}

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/);
const hex = z.string().regex(/^0x[0-9a-fA-F]*$/);
const uint = z.string().regex(/^[0-9]+$/);

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

const pendingSchema = z.object({
  transferId: bytes32,
  channelAddress: address,
  alice: address,
  bob: address,
  commitment: z.object({
    channelAddress: address,
    assetId: address,
    recipient: address,
    amount: uint,
    nonce: uint,
  }),
  digest: bytes32,
  aliceSignature: hex,
  bobSignature: hex,
  fromBlock: z.number().int().nonnegative(),
  recordedAt: z.number(),
  deadlineAt: z.number(),
  steps: z.array(sentStepSchema),
});

const recordSchema = z.object({
  version: z.literal(1),
  pending: z.array(pendingSchema),
  done: z.array(z.string()),
});

/** Executed withdrawals remembered, so that a late copy of their resolve records nothing. */
const DONE_KEPT = 64;
/** Attempts kept per withdrawal. */
const MAX_STEPS = 50;

/**
 * The client's pending withdrawals in its store, kept in memory and written through on every
 * change (one writer at a time), under one key per channel.
 *
 * @example
 * const ledger = await WithdrawalLedger.load(store, `withdrawals:${node}:${me}`);
 * await ledger.add(pending); // before countersigning the node's resolve
 */
export class WithdrawalLedger {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly store: ClientStore,
    private readonly key: string,
    private data: WithdrawalRecord,
  ) {}

  static async load(store: ClientStore, key: string): Promise<WithdrawalLedger> {
    const raw = await store.get(key);
    const data: WithdrawalRecord =
      raw === undefined ? { version: 1, pending: [], done: [] } : decode(raw);
    return new WithdrawalLedger(store, key, data);
  }

  /** Every withdrawal not yet seen executed, oldest first. */
  pending(): readonly PendingWithdrawal[] {
    return this.data.pending;
  }

  get(transferId: string): PendingWithdrawal | undefined {
    const id = transferId.toLowerCase();
    return this.data.pending.find((p) => p.transferId.toLowerCase() === id);
  }

  isDone(transferId: string): boolean {
    return this.data.done.includes(transferId.toLowerCase());
  }

  /** Records a withdrawal (once; never one already seen executed). Durable when it resolves. */
  add(withdrawal: PendingWithdrawal): Promise<void> {
    return this.change((data) => {
      const id = withdrawal.transferId.toLowerCase();
      if (data.done.includes(id)) return;
      if (data.pending.some((p) => p.transferId.toLowerCase() === id)) return;
      data.pending.push(structuredClone(withdrawal));
    });
  }

  /** The chain shows it executed: forgotten, and never recorded again. */
  finish(transferId: string): Promise<void> {
    const id = transferId.toLowerCase();
    return this.change((data) => {
      data.pending = data.pending.filter((p) => p.transferId.toLowerCase() !== id);
      if (!data.done.includes(id)) data.done.push(id);
      if (data.done.length > DONE_KEPT) data.done.splice(0, data.done.length - DONE_KEPT);
    });
  }

  /** The transactions of one withdrawal, as the step sender records them. */
  steps(transferId: string): StepLedger {
    const id = transferId.toLowerCase();
    const find = (data: WithdrawalRecord) =>
      data.pending.find((p) => p.transferId.toLowerCase() === id);
    const read = () => find(this.data)?.steps ?? [];
    return {
      latest: (key) => {
        const steps = read();
        for (let i = steps.length - 1; i >= 0; i--) {
          if (steps[i]?.key === key) return steps[i];
        }
        return undefined;
      },
      get current() {
        return { steps: read() };
      },
      recordSent: (step) =>
        this.change((data) => {
          const pending = find(data);
          if (!pending) return;
          pending.steps.push(step);
          if (pending.steps.length > MAX_STEPS) {
            pending.steps.splice(0, pending.steps.length - MAX_STEPS);
          }
        }),
      updateSent: (hash, change) =>
        this.change((data) => {
          const step = find(data)?.steps.find((s) => s.hash === hash);
          if (step) Object.assign(step, change);
        }),
    };
  }

  private change(mutate: (data: WithdrawalRecord) => void): Promise<void> {
    const next = this.queue.then(async () => {
      const copy = structuredClone(this.data);
      mutate(copy);
      await this.store.set(this.key, encode(copy));
      this.data = copy;
    });
    this.queue = next.catch(() => {});
    return next;
  }
}

function encode(record: WithdrawalRecord): string {
  return JSON.stringify(record, (_key, value) =>
    typeof value === "bigint" ? value.toString(10) : value,
  );
}

function decode(raw: string): WithdrawalRecord {
  const parsed = recordSchema.parse(JSON.parse(raw));
  return {
    version: 1,
    done: parsed.done,
    pending: parsed.pending.map((p) => ({
      ...p,
      commitment: {
        ...p.commitment,
        amount: BigInt(p.commitment.amount),
        nonce: BigInt(p.commitment.nonce),
      },
    })),
  };
}
