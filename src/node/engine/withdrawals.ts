import type { Logger } from "pino";
import { type ChannelSigner, type FullTransferState, withdraw } from "../../protocol";
import { countersigned } from "../../protocol/definitions/withdraw";
import { readMeta, withdrawMetaSchema } from "../../protocol/messaging";
import type { WithdrawData } from "../../protocol/types";
import { withdrawalDraft, withdrawnAmount } from "../../protocol/withdrawals";
import type { CollateralPolicy } from "../settings";
import type { Tx } from "../store/channelStore";
import type { PendingWithdrawalRepository } from "../store/pendingWithdrawals";
import type { ChannelService } from "./channelService";
import { Collateral } from "./collateral";

/** A withdrawal commitment with both parties' signatures: what the channel pays out. */
export interface SignedWithdrawal {
  alice: string;
  bob: string;
  commitment: WithdrawData;
  aliceSignature: string;
  bobSignature: string;
}

export interface WithdrawalDeps {
  signer: ChannelSigner;
  chainId: number;
  withdrawAddress: string;
  channels: ChannelService;
  policies: Record<string, CollateralPolicy>;
  /** Sends a commitment (idempotent: an executed one is reported, not sent again). */
  submit(
    args: SignedWithdrawal,
    transferId: string,
  ): Promise<{ transactionHash?: string; alreadyExecuted?: boolean }>;
  /** The commitments still to see executed. */
  pending: Pick<
    PendingWithdrawalRepository,
    "add" | "claimDue" | "dueNow" | "done" | "failed" | "extend"
  >;
  /**
   * Other node processes share the database (DESIGN §3): a process that starts leaves rows
   * others hold alone (a dead one's come due when its hold lapses), instead of sending all.
   */
  shared?: boolean;
  /** A stored transfer, active or resolved. */
  transfer(transferId: string): Promise<FullTransferState | undefined>;
  /** How often and how patiently unexecuted commitments are sent again. */
  retry?: Partial<WithdrawalRetry>;
  notify(
    user: string,
    event: {
      transferId: string;
      status: "confirmed" | "failed";
      transactionHash?: string;
      reason?: string;
    },
  ): void;
  /** Runs work in the background, where stopping the engine waits for it. */
  track(work: Promise<unknown>): void;
  logger: Logger;
}

/** How unexecuted commitments are sent again (issue 11). */
export interface WithdrawalRetry {
  /** How often due commitments are looked for, ms. */
  intervalMs: number;
  /** The wait after a first failed send, doubled after each further one, ms. */
  baseDelayMs: number;
  /** The longest wait between two sends of one commitment, ms. */
  maxDelayMs: number;
  /**
   * How long a commitment being sent is held from other senders (other processes), ms; the
   * sender renews it every third of it while the send runs, so a dead sender's commitment is
   * sent by another process within this.
   */
  holdMs: number;
}

export const DEFAULT_WITHDRAWAL_RETRY: WithdrawalRetry = {
  intervalMs: 15_000,
  baseDelayMs: 30_000,
  maxDelayMs: 3_600_000,
  holdMs: 30_000,
};

/** Commitments claimed per query. */
const BATCH = 50;

/**
 * Withdrawals (DESIGN §4.5 Withdraw): a user's Withdraw transfer to the node is countersigned
 * (its commitment was checked by the proposal policy), resolved with the node's signature and
 * sent on-chain by the node; the node reclaims idle collateral the same way in the other
 * direction.
 *
 * Every commitment the node holds both signatures of is recorded as pending in the same
 * transaction as its resolve, and sent until the chain says it is executed (issue 11): at once,
 * then, should a send fail (out of gas, an RPC down), again on a timer with a doubling back-off
 * and no cut-off; a node that starts sends every pending one again.
 */
export class Withdrawals {
  private readonly retry: WithdrawalRetry;
  private timer: ReturnType<typeof setInterval> | undefined;
  private sweeping: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly deps: WithdrawalDeps) {
    this.retry = { ...DEFAULT_WITHDRAWAL_RETRY, ...deps.retry };
  }

  /** Sends what is pending now, then looks for due commitments every `retry.intervalMs`. */
  start(): Promise<void> {
    this.stopped = false;
    this.timer ??= setInterval(() => this.deps.track(this.sweep()), this.retry.intervalMs);
    return this.resume();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * In the resolve's own transaction: a commitment the node now holds both signatures of is
   * pending until executed, held for the send `submit` starts at once.
   */
  async hold(tx: Tx, transfer: FullTransferState): Promise<void> {
    await this.deps.pending.add(
      tx,
      { transferId: transfer.transferId, channelAddress: transfer.channelAddress },
      this.retry.holdMs,
    );
  }

  /** A user's withdrawal was stored: the node countersigns it. */
  countersign(transfer: FullTransferState): void {
    this.spawn(() => this.countersignUserWithdrawal(this.userOf(transfer), transfer));
  }

  /** A withdrawal both signed was stored: the node sends its commitment. */
  submit(transfer: FullTransferState): void {
    this.spawn(() => this.execute(this.userOf(transfer), transfer, 0));
  }

  /**
   * Sends every commitment not yet seen executed, however old (the node stopped in between, or
   * a send failed). Sending is idempotent: executed commitments are skipped and forgotten.
   */
  async resume(): Promise<void> {
    if (!this.deps.shared) await this.deps.pending.dueNow();
    await this.sweep();
  }

  /** Sends the due commitments (one sweep at a time); one failure never stops the others. */
  sweep(): Promise<void> {
    this.sweeping ??= this.sweepDue().finally(() => {
      this.sweeping = undefined;
    });
    return this.sweeping;
  }

  private async sweepDue(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const due = await this.deps.pending.claimDue(BATCH, this.retry.holdMs);
      for (const row of due) {
        if (this.stopped) return;
        try {
          const transfer = await this.deps.transfer(row.transferId);
          if (!transfer || !this.isWithdraw(transfer) || !countersigned(transfer)) {
            await this.deps.pending.done(row.transferId); // cancelled: nothing to send
            continue;
          }
          await this.execute(this.userOf(transfer), transfer, row.attempts);
        } catch (error) {
          this.deps.logger.warn({ transferId: row.transferId, err: error }, "withdrawal not sent");
        }
      }
      if (due.length < BATCH) return;
    }
  }

  /** After a payment settles: withdraws the node's collateral above the reclaim threshold. */
  async reclaim(user: string, assetId: string): Promise<void> {
    const policy = this.deps.policies[assetId.toLowerCase()];
    if (!policy) return;
    await this.deps.channels.propose(user, async (view) => {
      const balance = Collateral.nodeBalance(view, assetId);
      if (!view.state || balance <= policy.reclaimThreshold) return undefined;
      return withdrawalDraft(
        view as typeof view & { state: NonNullable<typeof view.state> },
        {
          assetId,
          amount: balance - policy.target,
          recipient: this.deps.signer.address,
          responder: user,
          definition: this.deps.withdrawAddress,
        },
        this.deps.signer,
      );
    });
  }

  private async countersignUserWithdrawal(user: string, transfer: FullTransferState) {
    const state = withdraw.decodeState(transfer.transferState);
    await this.deps.channels.propose(user, async (view) =>
      view.transfers.has(transfer.transferId)
        ? {
            type: "resolve",
            transferId: transfer.transferId,
            transferResolver: withdraw.encodeResolver({
              responderSignature: await this.deps.signer.signDigest(state.data),
            }),
          }
        : undefined,
    );
  }

  /**
   * Sends one commitment; `attempts` sends of it failed before. Executed (by us or anyone):
   * no longer pending. Failed: due again after the back-off.
   */
  private async execute(user: string, transfer: FullTransferState, attempts: number) {
    const state = withdraw.decodeState(transfer.transferState);
    const { responderSignature } = withdraw.decodeResolver(transfer.transferResolver as string);
    const target = readMeta(transfer.meta, "withdraw", withdrawMetaSchema);
    if (!target) {
      // The proposal policy refuses such a withdrawal: there is no commitment to send.
      await this.deps.pending.done(transfer.transferId);
      return;
    }
    const nodeInitiated = this.isNode(transfer.initiator);
    try {
      const signed: SignedWithdrawal = {
        alice: this.deps.signer.address,
        bob: user,
        commitment: {
          channelAddress: transfer.channelAddress,
          assetId: transfer.assetId,
          recipient: target.recipient,
          // The fee (a user's withdrawal) stays in the channel, the node's: Withdraw.sol.
          amount: withdrawnAmount(transfer.balance.amount[0], state.fee),
          nonce: state.nonce,
        },
        aliceSignature: nodeInitiated ? state.initiatorSignature : responderSignature,
        bobSignature: nodeInitiated ? responderSignature : state.initiatorSignature,
      };
      const { transactionHash, alreadyExecuted } = await this.holding(transfer.transferId, () =>
        this.deps.submit(signed, transfer.transferId),
      );
      await this.deps.pending.done(transfer.transferId).catch((failure) => {
        // Still pending then: the next send finds it executed and forgets it.
        this.deps.logger.warn({ transferId: transfer.transferId, err: failure }, "not forgotten");
      });
      if (alreadyExecuted) return;
      this.deps.logger.info(
        { channel: transfer.channelAddress, transferId: transfer.transferId, transactionHash },
        "withdrawal executed",
      );
      if (!nodeInitiated) {
        this.deps.notify(user, {
          transferId: transfer.transferId,
          status: "confirmed",
          ...(transactionHash ? { transactionHash } : {}),
        });
      }
    } catch (error) {
      const retryInMs = Math.min(
        this.retry.baseDelayMs * 2 ** Math.min(attempts, 30),
        this.retry.maxDelayMs,
      );
      const reason = error instanceof Error ? error.message : String(error);
      await this.deps.pending.failed(transfer.transferId, reason, retryInMs).catch((failure) => {
        this.deps.logger.warn({ transferId: transfer.transferId, err: failure }, "retry not set");
      });
      this.deps.logger.error(
        { transferId: transfer.transferId, attempts: attempts + 1, retryInMs, err: error },
        "withdrawal failed: sent again later",
      );
      // Told once: the user's client watches the chain and sends it itself after its deadline.
      if (!nodeInitiated && attempts === 0) {
        this.deps.notify(user, {
          transferId: transfer.transferId,
          status: "failed",
          reason: error instanceof Error ? error.message.slice(0, 200) : "failed",
        });
      }
    }
  }

  /** Runs `send` with the commitment's row held from other processes until it is done. */
  private async holding<T>(transferId: string, send: () => Promise<T>): Promise<T> {
    const renew = setInterval(
      () => {
        this.deps.pending.extend(transferId, this.retry.holdMs).catch((error) => {
          this.deps.logger.warn({ transferId, err: error }, "withdrawal hold not renewed");
        });
      },
      Math.max(1, Math.floor(this.retry.holdMs / 3)),
    );
    renew.unref?.();
    try {
      return await send();
    } finally {
      clearInterval(renew);
    }
  }

  private spawn(work: () => Promise<void>): void {
    this.deps.track(
      work().catch((error) => this.deps.logger.warn({ err: error }, "withdrawal step failed")),
    );
  }

  private isWithdraw(transfer: FullTransferState): boolean {
    return transfer.transferDefinition.toLowerCase() === this.deps.withdrawAddress.toLowerCase();
  }

  private isNode(address: string): boolean {
    return address.toLowerCase() === this.deps.signer.address.toLowerCase();
  }

  private userOf(transfer: FullTransferState): string {
    return this.isNode(transfer.initiator) ? transfer.responder : transfer.initiator;
  }
}
