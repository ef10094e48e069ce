import { setTimeout as sleep } from "node:timers/promises";
import {
  type BaseWallet,
  type Interface,
  type Provider,
  Transaction,
  type TransactionReceipt,
  type TransactionRequest,
} from "ethers";
import type { Logger } from "pino";
import type { OnchainTransactionRepository } from "../store/onchainTransactions";
import type { SenderTurns } from "../store/senderTurns";
import { finishDeadTurns } from "./deadTurns";
import { ChainError, isChainError } from "./errors";
import {
  describeRevert,
  errorMessage,
  isInsufficientFunds,
  isNonceConflict,
  isRevert,
  isTransient,
} from "./rpcErrors";
import { SerialQueue } from "./serialQueue";
import { waitForReceipt } from "./waitForReceipt";

/** What to send: a call or a value transfer, from the sender's account. */
export interface TransactionCall {
  to: string;
  data?: string;
  value?: bigint;
  /** Estimated (plus a margin) when absent. */
  gasLimit?: bigint;
}

/** What the transaction is for, as recorded in the transactions table. */
export interface TransactionMeta {
  /** e.g. deploy, deposit, approve, withdraw. */
  purpose: string;
  channelAddress?: string;
}

export interface SentTransaction {
  /** Row id in onchain_transactions. */
  id: number;
  hash: string;
  nonce: number;
  /** Broadcasts it took, retries and nonce re-syncs included. */
  attempts: number;
  receipt: TransactionReceipt;
}

export interface RetryPolicy {
  /** Tries per RPC step before RPC_UNAVAILABLE, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface TransactionSenderOptions {
  wallet: BaseWallet;
  provider: Provider;
  repository: OnchainTransactionRepository;
  logger: Logger;
  /** Blocks, the transaction's own included, before it counts as mined. Default 1. */
  confirmations?: number;
  retry?: Partial<RetryPolicy>;
  /** Times a send re-reads the nonce after a conflict before it gives up. Default 5. */
  maxNonceResyncs?: number;
  /** How often to look for the receipt. Default 1000 ms. */
  pollIntervalMs?: number;
  /** How long to wait for the receipt before CONFIRMATION_TIMEOUT. Default 10 minutes. */
  receiptTimeoutMs?: number;
  /** Added to the gas estimate, so a small change of state before mining does not run out. */
  gasMarginPercent?: number;
  /** ABIs to name custom-error reverts with. */
  errorInterfaces?: readonly Interface[];
  /**
   * Several node processes on one key (DESIGN §3): nonces and broadcasts take turns across
   * them, and every transaction is recorded signed before it is broadcast. Absent: this
   * process is the account's only sender (PGlite) and counts nonces in memory.
   */
  turns?: SenderTurns;
}

type Broadcast = { hash: string; nonce: number; attempts: number };

const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 200, maxDelayMs: 5_000 };

type Prepared = TransactionRequest & { gasLimit: bigint; chainId: bigint };

/**
 * Sends one account's transactions with the node's own nonce bookkeeping. Nonces are handed
 * out in a serial queue (read once from the chain's pending count, then counted locally), but
 * a send leaves the queue as soon as its broadcast is accepted: the next one is broadcast
 * while the previous is still being mined. Create one sender per account and process.
 *
 * @example
 * const sender = new TransactionSender({ wallet, provider, repository, logger });
 * const { hash, receipt } = await sender.send({ to, value: 1n }, { purpose: "fund" });
 */
export class TransactionSender {
  readonly address: string;
  private readonly queue = new SerialQueue();
  /** The next nonce to use; undefined means "ask the chain". */
  private nextNonce: number | undefined;
  private chainId: Promise<bigint> | undefined;
  private readonly retry: RetryPolicy;
  private readonly confirmations: number;

  constructor(private readonly options: TransactionSenderOptions) {
    this.address = options.wallet.address;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.confirmations = Math.max(1, options.confirmations ?? 1);
  }

  /**
   * Sends `call`, waits for it to be mined and records it throughout. Throws a `ChainError`:
   * TRANSACTION_REVERTED (at estimation or mined), INSUFFICIENT_FUNDS, RPC_UNAVAILABLE,
   * CONFIRMATION_TIMEOUT (left `submitted`: it may still be mined) or TRANSACTION_FAILED.
   */
  async send(call: TransactionCall, meta: TransactionMeta): Promise<SentTransaction> {
    const { repository, logger } = this.options;
    const id = await repository.create({ ...meta, fromAddress: this.address });
    const log = logger.child({ txId: id, purpose: meta.purpose, channel: meta.channelAddress });
    let broadcast: Broadcast | undefined;
    try {
      const prepared = await this.prepare(call);
      const turns = this.options.turns;
      if (turns) {
        broadcast = await this.queue.run(() => this.sharedTurn(turns, id, prepared, log));
      } else {
        broadcast = await this.queue.run(() => this.broadcast(prepared, log));
        const sent = broadcast;
        await this.record(log, "submitted", () => repository.markSubmitted(id, sent));
      }
      log.info({ hash: broadcast.hash, nonce: broadcast.nonce }, "transaction submitted");
      const receipt = await waitForReceipt({
        provider: this.options.provider,
        logger: log,
        from: this.address,
        hash: broadcast.hash,
        nonce: broadcast.nonce,
        confirmations: this.confirmations,
        pollIntervalMs: this.options.pollIntervalMs ?? 1_000,
        timeoutMs: this.options.receiptTimeoutMs ?? 600_000,
      });
      if (receipt.status !== 1) {
        const revert = await this.replayRevert(prepared, receipt.blockNumber);
        const reason = revert ? `: ${revert}` : "";
        throw new ChainError(
          "TRANSACTION_REVERTED",
          `transaction ${broadcast.hash} reverted in block ${receipt.blockNumber}${reason}`,
          {
            transactionHash: broadcast.hash,
            nonce: broadcast.nonce,
            revert,
            gasUsed: receipt.gasUsed,
          },
        );
      }
      await this.record(log, "mined", () => repository.markMined(id, receipt.gasUsed));
      log.info({ hash: broadcast.hash, block: receipt.blockNumber }, "transaction mined");
      return { id, ...broadcast, receipt };
    } catch (caught) {
      const error = this.toChainError(caught, broadcast);
      if (error.code === "CONFIRMATION_TIMEOUT") {
        // The pool may have dropped it: count from the chain again rather than leave a gap
        // (every process's next turn too, with several).
        const turns = this.options.turns;
        await this.queue.run(() => {
          this.nextNonce = undefined;
          // Best effort: with the database away, the next turns count on from its nonce.
          return turns
            ?.take(this.address, async () => ({ result: undefined, nextNonce: undefined }))
            .catch(() => undefined);
        });
        log.error({ hash: broadcast?.hash, err: error.message }, "no receipt in time");
      } else {
        await this.record(log, "failed", () =>
          repository.markFailed(id, error.message, gasUsedOf(error)),
        );
        log.warn(
          { code: error.code, hash: broadcast?.hash, err: error.message },
          "transaction failed",
        );
      }
      throw error;
    }
  }

  /**
   * Several node processes: finishes what a sender that died mid-turn left signed, should no
   * send of this process's come first (which would). Run on a timer; a no-op without turns.
   */
  async finishLeftovers(): Promise<void> {
    const { turns, repository, logger } = this.options;
    if (!turns) return;
    if ((await repository.unconfirmedSigned(this.address)).length === 0) return;
    await this.queue.run(() =>
      turns.take(this.address, async (nextNonce) => {
        this.nextNonce = nextNonce;
        await this.finishDeadTurns(logger);
        return { result: undefined, nextNonce: this.nextNonce };
      }),
    );
  }

  /** Gas, fees and chain id: everything but the nonce, outside the queue. */
  private async prepare(call: TransactionCall): Promise<Prepared> {
    const { provider } = this.options;
    const request: TransactionRequest = {
      to: call.to,
      data: call.data ?? "0x",
      value: call.value ?? 0n,
      from: this.address,
    };
    const [gasLimit, fees, chainId] = await Promise.all([
      call.gasLimit ?? this.withRetry("estimateGas", () => provider.estimateGas(request)),
      this.withRetry("getFeeData", () => provider.getFeeData()),
      this.getChainId(),
    ]);
    const margin = BigInt(this.options.gasMarginPercent ?? 20);
    const prepared: Prepared = {
      ...request,
      chainId,
      gasLimit: call.gasLimit ?? (gasLimit * (100n + margin)) / 100n,
    };
    if (fees.maxFeePerGas !== null && fees.maxPriorityFeePerGas !== null) {
      prepared.type = 2;
      prepared.maxFeePerGas = fees.maxFeePerGas;
      prepared.maxPriorityFeePerGas = fees.maxPriorityFeePerGas;
    } else {
      prepared.type = 0;
      prepared.gasPrice = fees.gasPrice;
    }
    return prepared;
  }

  /**
   * One turn of several processes' (runs inside the queue too): first finishes what a sender
   * that died mid-turn left signed, then broadcasts with the nonce the last turn left, the
   * signed transaction recorded before it goes out and `submitted` before the turn ends. So a
   * row still `pending` with a signed transaction at the start of a turn is a dead turn's.
   */
  private sharedTurn(
    turns: SenderTurns,
    id: number,
    prepared: Prepared,
    log: Logger,
  ): Promise<Broadcast> {
    const { repository } = this.options;
    return turns.take(this.address, async (nextNonce) => {
      this.nextNonce = nextNonce;
      await this.finishDeadTurns(log);
      try {
        const sent = await this.broadcast(prepared, log, (signed) =>
          repository.markSigned(id, signed),
        );
        await this.record(log, "submitted", () => repository.markSubmitted(id, sent));
        return { result: sent, nextNonce: this.nextNonce };
      } catch (error) {
        // Not out (or unknown whether): the caller hears of it, so no later turn may send it.
        await this.record(log, "cleared", () => repository.clearSigned(id));
        throw error;
      }
    });
  }

  /** What a sender that died mid-turn left signed, finished (deadTurns.ts). */
  private async finishDeadTurns(log: Logger): Promise<void> {
    const finished = await finishDeadTurns(
      {
        address: this.address,
        provider: this.options.provider,
        repository: this.options.repository,
        minedCount: () =>
          this.withRetry("getTransactionCount", () =>
            this.options.provider.getTransactionCount(this.address, "latest"),
          ),
        confirmations: this.confirmations,
        pollIntervalMs: this.options.pollIntervalMs ?? 1_000,
        receiptTimeoutMs: this.options.receiptTimeoutMs ?? 600_000,
      },
      log,
    );
    // The chain's pending count now includes what was just broadcast.
    if (finished) this.nextNonce = undefined;
  }

  /**
   * Runs inside the queue: picks the nonce, signs, broadcasts; does not wait for mining.
   * `beforeBroadcast` records each signed transaction before it leaves (a failure stops it).
   */
  private async broadcast(
    prepared: Prepared,
    log: Logger,
    beforeBroadcast?: (signed: Broadcast & { raw: string }) => Promise<void>,
  ): Promise<Broadcast> {
    const { provider, wallet } = this.options;
    const maxResyncs = this.options.maxNonceResyncs ?? 5;
    let attempts = 0;
    let resyncs = 0;
    let rpcFailures = 0;
    for (;;) {
      const nonce =
        this.nextNonce ??
        (await this.withRetry("getTransactionCount", () =>
          provider.getTransactionCount(this.address, "pending"),
        ));
      const signed = await wallet.signTransaction({ ...prepared, nonce });
      const hash = Transaction.from(signed).hash as string;
      attempts += 1;
      await beforeBroadcast?.({ hash, nonce, attempts, raw: signed });
      try {
        await provider.broadcastTransaction(signed);
        this.nextNonce = nonce + 1;
        return { hash, nonce, attempts };
      } catch (error) {
        // An earlier try may have arrived after all (a timeout), or be mined already.
        if ((isNonceConflict(error) || isTransient(error)) && (await this.isKnown(hash))) {
          this.nextNonce = nonce + 1;
          return { hash, nonce, attempts };
        }
        if (isNonceConflict(error) && resyncs < maxResyncs) {
          resyncs += 1;
          this.nextNonce = undefined;
          log.warn(
            { nonce, err: errorMessage(error) },
            "nonce taken: re-reading it from the chain",
          );
          continue;
        }
        if (isTransient(error) && rpcFailures + 1 < this.retry.attempts) {
          rpcFailures += 1;
          this.nextNonce = nonce;
          const delay = this.backoff(rpcFailures);
          log.warn({ nonce, delay, err: errorMessage(error) }, "broadcast failed: retrying");
          await sleep(delay);
          continue;
        }
        // The nonce may or may not be used now: the next send asks the chain.
        this.nextNonce = undefined;
        if (isNonceConflict(error)) {
          throw new ChainError(
            "TRANSACTION_FAILED",
            `nonce still conflicting after ${resyncs} re-syncs: ${errorMessage(error)}`,
            { nonce },
            { cause: error },
          );
        }
        throw error;
      }
    }
  }

  /**
   * Best effort: the reason a mined transaction reverted, by calling it again on the state
   * after its block (the state it ran on is not available). Undefined when the call passes
   * there, e.g. it ran out of gas.
   */
  private async replayRevert(prepared: Prepared, blockNumber: number): Promise<string | undefined> {
    const { to, data, value, from } = prepared;
    try {
      await this.options.provider.call({ to, data, value, from, blockTag: blockNumber });
      return undefined;
    } catch (error) {
      return isRevert(error)
        ? describeRevert(error, this.options.errorInterfaces ?? [])
        : undefined;
    }
  }

  /**
   * Once a transaction is out, a failed write of its record must not turn the send into a
   * failure: the chain is the truth, the table a journal of it.
   */
  private async record(log: Logger, status: string, write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (error) {
      log.error({ status, err: errorMessage(error) }, "could not record the transaction");
    }
  }

  private async isKnown(hash: string): Promise<boolean> {
    try {
      return (await this.options.provider.getTransaction(hash)) !== null;
    } catch {
      return false;
    }
  }

  private getChainId(): Promise<bigint> {
    if (!this.chainId) {
      const pending = this.withRetry("getNetwork", () => this.options.provider.getNetwork()).then(
        (network) => network.chainId,
      );
      this.chainId = pending;
      // A failed look-up is asked again next time rather than cached.
      pending.catch(() => {
        if (this.chainId === pending) this.chainId = undefined;
      });
    }
    return this.chainId;
  }

  /** Retries `run` on transient errors with exponential backoff. */
  private async withRetry<T>(what: string, run: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await run();
      } catch (error) {
        if (!isTransient(error)) throw error;
        if (attempt >= this.retry.attempts) {
          throw new ChainError(
            "RPC_UNAVAILABLE",
            `${what} failed ${attempt} times: ${errorMessage(error)}`,
            {},
            { cause: error },
          );
        }
        const delay = this.backoff(attempt);
        this.options.logger.warn({ what, attempt, delay, err: errorMessage(error) }, "RPC retry");
        await sleep(delay);
      }
    }
  }

  private backoff(attempt: number): number {
    const { baseDelayMs, maxDelayMs } = this.retry;
    return Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
  }

  private toChainError(
    error: unknown,
    broadcast: { hash: string; nonce: number } | undefined,
  ): ChainError {
    if (isChainError(error)) return error;
    const context = broadcast ? { transactionHash: broadcast.hash, nonce: broadcast.nonce } : {};
    const options = { cause: error };
    if (isRevert(error)) {
      const revert = describeRevert(error, this.options.errorInterfaces ?? []);
      return new ChainError(
        "TRANSACTION_REVERTED",
        `reverted: ${revert}`,
        { ...context, revert },
        options,
      );
    }
    if (isInsufficientFunds(error)) {
      return new ChainError("INSUFFICIENT_FUNDS", errorMessage(error), context, options);
    }
    if (isTransient(error)) {
      return new ChainError("RPC_UNAVAILABLE", errorMessage(error), context, options);
    }
    return new ChainError("TRANSACTION_FAILED", errorMessage(error), context, options);
  }
}

/** The gas a reverted transaction spent, carried on its error (undefined when never mined). */
function gasUsedOf(error: ChainError): bigint | undefined {
  const gasUsed = error.context.gasUsed;
  return typeof gasUsed === "bigint" ? gasUsed : undefined;
}
