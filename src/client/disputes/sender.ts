import {
  type JsonRpcProvider,
  Transaction,
  type TransactionReceipt,
  type TransactionRequest,
  type Wallet,
} from "ethers";
import type { Clock } from "../../clock";
import { ClientError } from "../errors";
import { type AttemptState, nextMove, type SentStep } from "./progress";

/**
 * Where a sender records its transactions: the dispute progress, or any store-backed ledger of
 * the same shape (a withdrawal's, `src/client/withdrawals`).
 */
export interface StepLedger {
  /** The latest attempt at step `key`. */
  latest(key: string): SentStep | undefined;
  /** Every attempt recorded. */
  readonly current?: { readonly steps: readonly SentStep[] } | undefined;
  /** Records a signed transaction before it is broadcast. */
  recordSent(step: SentStep): Promise<void>;
  updateSent(
    hash: string,
    change: Partial<Pick<SentStep, "status" | "block" | "sentAt">>,
  ): Promise<void>;
}

export interface StepSenderDeps {
  wallet: Wallet;
  provider: JsonRpcProvider;
  progress: StepLedger;
  /** How often to look for a receipt, ms. */
  pollMs: number;
  /** How long a transaction the chain never saw is broadcast again before it is replaced, ms. */
  staleMs: number;
  /** How long one call waits for a receipt before it hands back "waiting", ms. */
  receiptWaitMs: number;
  closed(): boolean;
  /** Step ages and receipt polling run on it. */
  clock: Clock;
}

/** What became of a step. */
export type StepOutcome =
  | { outcome: "mined"; receipt: TransactionReceipt; hash: string }
  | { outcome: "reverted"; hash: string }
  /** Sent (now or before) and not mined yet. */
  | { outcome: "waiting" }
  /** Already done: the chain was read before it was mined. */
  | { outcome: "skipped" };

/** Sends of one step that may revert before the client stops trying it. */
const MAX_ATTEMPTS = 5;
/** Gas limit over the estimate: the chain may move a little before the transaction is mined. */
const GAS_MARGIN_PERCENT = 20n;

/**
 * Sends dispute steps from the user's account, each at most once (see `nextMove`): the signed
 * transaction is recorded in the store before it is broadcast, and a step recorded earlier is
 * looked up on the chain before anything is sent for it again. Before sending, the estimated
 * cost is compared with the account's balance (INSUFFICIENT_GAS).
 */
export class StepSender {
  constructor(private readonly deps: StepSenderDeps) {}

  get account(): string {
    return this.deps.wallet.address;
  }

  /**
   * Carries step `key` out with the call `call`, unless it is done or in flight. `readAtBlock`
   * is a block at or before the chain reading the step was planned from.
   */
  async run(args: {
    key: string;
    step: string;
    call: { to: string; data: string };
    readAtBlock: number;
  }): Promise<StepOutcome> {
    const { progress } = this.deps;
    const last = progress.latest(args.key);
    const attempt = last ? await this.check(last) : undefined;
    const move = nextMove(last, attempt, args.readAtBlock, this.deps.staleMs);
    switch (move.move) {
      case "skip":
        return { outcome: "skipped" };
      case "wait":
        return this.waitFor(last as SentStep);
      case "rebroadcast":
        await this.broadcast((last as SentStep).raw);
        return this.waitFor(last as SentStep);
      case "send": {
        const tries = (progress.current?.steps ?? []).filter(
          (s) => s.key === args.key && s.instance === move.instance,
        ).length;
        if (tries >= MAX_ATTEMPTS) {
          throw new ClientError(
            "DISPUTE_STEP_FAILED",
            `${args.key} was sent ${tries} times without being mined: not sent again`,
            { key: args.key },
          );
        }
        const sent = await this.send(args, move.instance, move.nonce);
        return this.waitFor(sent);
      }
    }
  }

  /** What the chain says of an earlier attempt. */
  private async check(attempt: SentStep): Promise<AttemptState> {
    const { provider, progress } = this.deps;
    if (attempt.status === "mined" && attempt.block !== undefined) {
      return { state: "mined", block: attempt.block };
    }
    if (attempt.status === "reverted") return { state: "reverted" };
    if (attempt.status === "dropped") return { state: "unknown", nonceUsed: true, ageMs: 0 };
    const receipt = await provider.getTransactionReceipt(attempt.hash);
    if (receipt) {
      await this.settle(attempt, receipt);
      return receipt.status === 1
        ? { state: "mined", block: receipt.blockNumber }
        : { state: "reverted" };
    }
    if (await provider.getTransaction(attempt.hash)) return { state: "pending" };
    const mined = await provider.getTransactionCount(this.account, "latest");
    if (mined > attempt.nonce) {
      // Another transaction took the nonce, unless ours was mined in between.
      const late = await provider.getTransactionReceipt(attempt.hash);
      if (late) return this.check(attempt);
      await progress.updateSent(attempt.hash, { status: "dropped" });
      return { state: "unknown", nonceUsed: true, ageMs: 0 };
    }
    return { state: "unknown", nonceUsed: false, ageMs: this.deps.clock.now() - attempt.sentAt };
  }

  private async settle(attempt: SentStep, receipt: TransactionReceipt): Promise<void> {
    const status = receipt.status === 1 ? "mined" : "reverted";
    if (attempt.status !== status || attempt.block !== receipt.blockNumber) {
      await this.deps.progress.updateSent(attempt.hash, { status, block: receipt.blockNumber });
    }
  }

  /** Signs, records, then broadcasts. */
  private async send(
    args: { key: string; step: string; call: { to: string; data: string } },
    instance: number,
    nonce: number | undefined,
  ): Promise<SentStep> {
    const { wallet, provider, progress } = this.deps;
    const gasLimit = await this.affordableGas(args);
    const request: TransactionRequest = {
      to: args.call.to,
      data: args.call.data,
      gasLimit,
      nonce: nonce ?? (await provider.getTransactionCount(this.account, "pending")),
    };
    const raw = await wallet.signTransaction(await wallet.populateTransaction(request));
    const hash = Transaction.from(raw).hash as string;
    const sent: SentStep = {
      key: args.key,
      instance,
      step: args.step,
      hash,
      nonce: request.nonce as number,
      raw,
      sentAt: this.deps.clock.now(),
      status: "sent",
    };
    await progress.recordSent(sent);
    await this.broadcast(raw);
    return sent;
  }

  /** The gas limit to send with, once the account is known to afford it. */
  private async affordableGas(args: {
    key: string;
    step: string;
    call: { to: string; data: string };
  }): Promise<bigint> {
    const { provider } = this.deps;
    let estimate: bigint;
    try {
      estimate = await provider.estimateGas({ ...args.call, from: this.account });
    } catch (error) {
      throw new ClientError(
        "DISPUTE_STEP_REVERTS",
        `${args.step} would revert now: ${error instanceof Error ? error.message : error}`,
        { key: args.key },
      );
    }
    const gasLimit = estimate + (estimate * GAS_MARGIN_PERCENT) / 100n;
    const [fees, balance] = await Promise.all([
      provider.getFeeData(),
      provider.getBalance(this.account),
    ]);
    const fee = fees.maxFeePerGas ?? fees.gasPrice ?? 0n;
    const cost = gasLimit * fee;
    if (balance < cost) {
      throw new ClientError(
        "INSUFFICIENT_GAS",
        `${this.account} holds ${balance} wei, ${args.step} may cost ${cost} (${gasLimit} gas at ${fee} wei): ${cost - balance} short`,
        { account: this.account, shortfall: cost - balance, balance, cost, step: args.step },
      );
    }
    return gasLimit;
  }

  private async broadcast(raw: string): Promise<void> {
    try {
      await this.deps.provider.broadcastTransaction(raw);
    } catch (error) {
      // Known already, or mined already: the receipt says which. Anything else is left to the
      // next look at the chain, which broadcasts it again or replaces it.
      const message = error instanceof Error ? error.message : String(error);
      if (!/already known|nonce too low|known transaction|already imported/i.test(message)) {
        throw new ClientError("NODE_ERROR", `broadcasting a dispute step failed: ${message}`);
      }
    }
  }

  /** Waits for the receipt a while; "waiting" when it has not come (the next pass looks again). */
  private async waitFor(sent: SentStep): Promise<StepOutcome> {
    const { clock } = this.deps;
    const deadline = clock.now() + this.deps.receiptWaitMs;
    for (;;) {
      const receipt = await this.deps.provider.getTransactionReceipt(sent.hash);
      if (receipt) {
        await this.settle(sent, receipt);
        return receipt.status === 1
          ? { outcome: "mined", receipt, hash: sent.hash }
          : { outcome: "reverted", hash: sent.hash };
      }
      if (this.deps.closed() || clock.now() > deadline) return { outcome: "waiting" };
      await new Promise<void>((resolve) => clock.after(this.deps.pollMs, resolve));
    }
  }
}
