import type { JsonRpcProvider, Wallet } from "ethers";
import type { Clock, Timer } from "../../clock";
import {
  ChannelFactory__factory,
  ChannelMastercopy__factory,
} from "../../contracts-bindings/generated";
import type { ChannelUpdate, ChannelView, FullTransferState } from "../../protocol";
import { StepSender } from "../disputes/sender";
import { ClientError, isClientError } from "../errors";
import type { ClientEvents } from "../events";
import { Mutex } from "../mutex";
import { Waiters } from "../waiters";
import { countersignedCommitment, isCancel, type SignedCommitment } from "./commitment";
import type { PendingWithdrawal, WithdrawalLedger } from "./ledger";

export interface ClientWithdrawalsDeps {
  /** Deadlines, retries and polling run on it. */
  clock: Clock;
  wallet: Wallet;
  provider: JsonRpcProvider;
  ledger: WithdrawalLedger;
  events: ClientEvents;
  node: string;
  chainId: number;
  withdrawAddress: string;
  channelFactory: string;
  /** How long the node has to execute a commitment before the client sends it itself, ms. */
  deadlineMs: number;
  /** How often pending commitments are read on-chain, ms. */
  pollMs: number;
  /** How long a transaction the chain never saw is broadcast again before it is replaced, ms. */
  staleMs?: number;
  closed(): boolean;
  track(work: Promise<unknown>): void;
}

/** What a `withdraw()` call waits for. */
type Outcome = { transactionHash: string } | { error: ClientError };

/** The same failure is told to the application at most once in this long, ms. */
const REPORT_EVERY_MS = 60_000;
/** After a failed send of our own, the next one waits this long, doubling up to the cap, ms. */
const RETRY_BASE_MS = 5_000;
const RETRY_MAX_MS = 600_000;

const CHANNEL = ChannelMastercopy__factory.createInterface();
const FACTORY = ChannelFactory__factory.createInterface();
const WITHDRAWN = CHANNEL.getEvent("Withdrawn").topicHash;

/**
 * The user's withdrawals from the chain's side (issue 11): the node's word is never taken for
 * one. When the node resolves our Withdraw transfer with its signature, the commitment with both
 * signatures is stored before we countersign (`beforeCountersign`); from then on the client
 * reads the chain until the commitment is executed, whoever sends it, and only then tells
 * `withdraw()` and the application (`withdraw.confirmed`, with the executing transaction from
 * the Withdrawn log). If the node has not executed it by the deadline, the client sends it
 * itself (deploying the channel first if needed), from the user's account, each transaction
 * recorded before it is broadcast so it is never sent twice. A client started again with the
 * same store carries on with what was pending.
 */
export class ClientWithdrawals {
  private readonly lock = new Mutex();
  private readonly outcomes = new Waiters<Outcome>();
  /** Transfer ids a `withdraw()` call is waiting for. */
  private readonly waiting = new Map<string, number>();
  private readonly reported = new Map<string, number>();
  /** Per withdrawal: failed sends of our own so far, and when to try again (unix ms). */
  private readonly retries = new Map<string, { failures: number; at: number }>();
  private timer: Timer | undefined;
  private queued = false;
  private stopped = false;

  constructor(private readonly deps: ClientWithdrawalsDeps) {}

  private get me(): string {
    return this.deps.wallet.address;
  }

  /** Carries on with what the store holds pending. */
  start(): void {
    this.stopped = false;
    if (this.deps.ledger.pending().length > 0) this.kick();
  }

  /** Stops watching; a `withdraw()` still waiting fails with CLOSED (the record stays). */
  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    for (const transferId of this.waiting.keys()) {
      this.outcomes.settle(transferId, {
        error: new ClientError(
          "CLOSED",
          `the client closed before withdrawal ${transferId} was executed: it carries on when started again with the same store`,
          { transferId },
        ),
      });
    }
  }

  /**
   * Before we countersign the node's proposal: a resolve of our withdrawal with the node's
   * signature is the moment we hold an executable commitment, stored durably now.
   */
  async beforeCountersign(view: ChannelView, update: ChannelUpdate): Promise<void> {
    if (update.type !== "resolve") return;
    const { transferId, transferResolver } = (update as ChannelUpdate<"resolve">).details;
    const transfer = view.transfers.get(transferId);
    if (!transfer) return;
    const signed = countersignedCommitment(transfer, transferResolver, this.parties(), this.chain);
    if (signed) await this.remember(signed);
  }

  /** Our withdrawal `transfer`, resolved by the node (the withdraw plug-in's reaction). */
  resolved(transfer: FullTransferState): void {
    if (!transfer.transferResolver) return;
    if (isCancel(transfer.transferResolver)) {
      this.outcomes.settle(transfer.transferId, {
        error: new ClientError(
          "WITHDRAW_FAILED",
          `the node cancelled withdrawal ${transfer.transferId}: the amount is back in the channel`,
          { transferId: transfer.transferId },
        ),
      });
      return;
    }
    // Adopted without our countersignature being asked (a catch-up): recorded now.
    const signed = countersignedCommitment(
      transfer,
      transfer.transferResolver,
      this.parties(),
      this.chain,
    );
    if (!signed) return;
    this.deps.track(this.remember(signed).then(() => this.kick()));
  }

  /** The node says it sent (or failed to send) a withdrawal: look at the chain now. */
  nodeReported(_transferId: string): void {
    if (this.deps.ledger.pending().length > 0) this.kick();
  }

  /**
   * Resolves once the withdrawal `transferId` is executed on-chain, with the executing
   * transaction; fails with WITHDRAW_PENDING after `timeoutMs` (the client keeps watching and
   * sends it itself after the deadline), WITHDRAW_FAILED if the node cancelled it, or the error
   * that stops the client from sending it itself (INSUFFICIENT_GAS).
   */
  async wait(
    transferId: string,
    timeoutMs: number,
  ): Promise<{ transferId: string; transactionHash: string }> {
    this.waiting.set(transferId, (this.waiting.get(transferId) ?? 0) + 1);
    let outcome: Outcome;
    try {
      outcome = await this.outcomes.wait(transferId, timeoutMs, () => ({
        error: new ClientError(
          "WITHDRAW_PENDING",
          `withdrawal ${transferId} is not executed on-chain after ${timeoutMs} ms: the client keeps watching it and sends it itself once the node's time is up (withdraw.confirmed tells when it is executed)`,
          { transferId },
        ),
      }));
    } finally {
      const left = (this.waiting.get(transferId) ?? 1) - 1;
      if (left > 0) this.waiting.set(transferId, left);
      else this.waiting.delete(transferId);
    }
    if ("error" in outcome) throw outcome.error;
    return { transferId, transactionHash: outcome.transactionHash };
  }

  // ---- the passes --------------------------------------------------------------------------

  private get chain(): number {
    return this.deps.chainId;
  }

  private parties() {
    return { me: this.me, node: this.deps.node, withdrawAddress: this.deps.withdrawAddress };
  }

  private async remember(signed: SignedCommitment): Promise<void> {
    const { ledger, provider } = this.deps;
    if (ledger.get(signed.transferId) || ledger.isDone(signed.transferId)) return;
    // Where the Withdrawn log will be: from here (the node signed moments ago), else anywhere.
    const fromBlock = await provider.getBlockNumber().then(
      (head) => Math.max(0, head - 1),
      () => 0,
    );
    const now = this.deps.clock.now();
    const pending: PendingWithdrawal = {
      ...signed,
      fromBlock,
      recordedAt: now,
      deadlineAt: now + this.deps.deadlineMs,
      steps: [],
    };
    await ledger.add(pending);
  }

  /** A look at the chain now (in the background), then again every `pollMs` while any is pending. */
  private kick(): void {
    if (this.queued || this.stopped || this.deps.closed()) return;
    this.queued = true;
    this.deps.track(
      this.lock
        .run(async () => {
          this.queued = false;
          await this.pass();
        })
        .finally(() => this.schedule()),
    );
  }

  private schedule(): void {
    if (this.timer || this.stopped || this.deps.closed()) return;
    if (this.deps.ledger.pending().length === 0) return;
    this.timer = this.deps.clock.after(this.deps.pollMs, () => {
      this.timer = undefined;
      this.kick();
    });
  }

  private async pass(): Promise<void> {
    for (const pending of [...this.deps.ledger.pending()]) {
      if (this.stopped || this.deps.closed()) return;
      try {
        await this.advance(pending);
      } catch (error) {
        this.report(pending.transferId, error);
      }
    }
  }

  /** Confirms a withdrawal the chain shows executed, or sends it once the node's time is up. */
  private async advance(pending: PendingWithdrawal): Promise<void> {
    const { provider } = this.deps;
    const readAt = await provider.getBlockNumber();
    const executed = await this.executedBy(pending);
    if (executed) {
      await this.confirm(pending, executed);
      return;
    }
    if (this.deps.clock.now() < pending.deadlineAt) return;
    const retry = this.retries.get(pending.transferId);
    if (retry && this.deps.clock.now() < retry.at) return;
    try {
      const sent = await this.send(pending, readAt);
      if (sent) {
        this.retries.delete(pending.transferId);
        const mined = await this.executedBy(pending);
        if (mined) await this.confirm(pending, mined);
      }
    } catch (error) {
      const failures = (retry?.failures ?? 0) + 1;
      const delay = Math.min(RETRY_BASE_MS * 2 ** Math.min(failures - 1, 20), RETRY_MAX_MS);
      this.retries.set(pending.transferId, { failures, at: this.deps.clock.now() + delay });
      // Our send would revert: the node's (or anyone's) may just have landed. Look again.
      if (isClientError(error, "DISPUTE_STEP_REVERTS")) {
        const late = await this.executedBy(pending);
        if (late) {
          await this.confirm(pending, late);
          return;
        }
      }
      throw this.sendError(pending, error);
    }
  }

  /** The transaction that executed the commitment, from its Withdrawn log; none yet: undefined. */
  private async executedBy(pending: PendingWithdrawal): Promise<string | undefined> {
    const { provider } = this.deps;
    if ((await provider.getCode(pending.channelAddress)) === "0x") return undefined;
    const channel = ChannelMastercopy__factory.connect(pending.channelAddress, provider);
    if (!(await channel.isWithdrawalExecuted(pending.digest))) return undefined;
    for (const fromBlock of [pending.fromBlock, 0]) {
      const logs = await provider.getLogs({
        address: pending.channelAddress,
        topics: [WITHDRAWN, pending.digest],
        fromBlock,
        toBlock: "latest",
      });
      const log = logs[0];
      if (log) return log.transactionHash;
      if (fromBlock === 0) break;
    }
    throw new ClientError(
      "WITHDRAW_FAILED",
      `withdrawal ${pending.transferId} is executed but its Withdrawn log was not found yet`,
      { transferId: pending.transferId },
    );
  }

  private async confirm(pending: PendingWithdrawal, transactionHash: string): Promise<void> {
    await this.deps.ledger.finish(pending.transferId);
    this.retries.delete(pending.transferId);
    this.outcomes.settle(pending.transferId, { transactionHash });
    this.deps.events.emit("withdraw.confirmed", {
      transferId: pending.transferId,
      transactionHash,
    });
  }

  /**
   * Sends the commitment from our account, deploying the channel first if it has none: each
   * transaction recorded before it is broadcast, never sent twice. Whether the withdraw
   * transaction is mined (false: still waiting, looked at again on the next pass).
   */
  private async send(pending: PendingWithdrawal, readAt: number): Promise<boolean> {
    const { provider, wallet, ledger } = this.deps;
    const sender = new StepSender({
      wallet,
      provider,
      progress: ledger.steps(pending.transferId),
      pollMs: Math.min(this.deps.pollMs, 1_000),
      staleMs: this.deps.staleMs ?? 120_000,
      receiptWaitMs: 60_000,
      closed: () => this.stopped || this.deps.closed(),
      clock: this.deps.clock,
    });
    if ((await provider.getCode(pending.channelAddress)) === "0x") {
      const deployed = await sender.run({
        key: "createChannel",
        step: "createChannel",
        call: {
          to: this.deps.channelFactory,
          data: FACTORY.encodeFunctionData("createChannel", [pending.alice, pending.bob]),
        },
        readAtBlock: readAt,
      });
      if (deployed.outcome === "waiting") return false;
      // Reverted: someone deployed it first; the next pass finds its code.
      if ((await provider.getCode(pending.channelAddress)) === "0x") return false;
    }
    const outcome = await sender.run({
      key: "withdraw",
      step: "withdraw",
      call: {
        to: pending.channelAddress,
        data: CHANNEL.encodeFunctionData("withdraw", [
          pending.commitment,
          pending.aliceSignature,
          pending.bobSignature,
        ]),
      },
      readAtBlock: readAt,
    });
    return outcome.outcome === "mined" || outcome.outcome === "skipped";
  }

  /** What a failed send of our own tells `withdraw()` and the application. */
  private sendError(pending: PendingWithdrawal, error: unknown): Error {
    const transferId = pending.transferId;
    if (isClientError(error, "INSUFFICIENT_GAS")) {
      const failure = new ClientError(
        "INSUFFICIENT_GAS",
        `the node did not execute withdrawal ${transferId} in time and sending it ourselves needs gas: ${error.message}`,
        { ...error.context, transferId },
      );
      this.outcomes.settle(transferId, { error: failure });
      return failure;
    }
    if (isClientError(error, "CLOSED")) return error;
    const reason = error instanceof Error ? error.message : String(error);
    return new ClientError(
      "WITHDRAW_FAILED",
      `sending withdrawal ${transferId} ourselves failed (tried again later): ${reason}`,
      { transferId, ...(isClientError(error) ? { cause: error.code } : {}) },
    );
  }

  /** An `error` event, once per withdrawal and code in a while. */
  private report(transferId: string, error: unknown): void {
    if (isClientError(error, "CLOSED") && (this.stopped || this.deps.closed())) return;
    const failure = error instanceof Error ? error : new Error(String(error));
    const code = (failure as { code?: string }).code ?? failure.message;
    const id = `${transferId}:${code}`;
    const last = this.reported.get(id);
    const now = this.deps.clock.now();
    if (last !== undefined && now - last < REPORT_EVERY_MS) return;
    this.reported.set(id, now);
    this.deps.events.emit("error", failure);
  }
}
