import type { Logger } from "pino";
import type { ChannelView } from "../../protocol";
import type { CollateralPolicy } from "../settings";
import type { ChainDeposits, ChannelService } from "./channelService";
import { CollateralDemand, type DemandRules, type ReadInboundDemand } from "./collateralDemand";
import { RateLimiter } from "./collateralRateLimit";
import { NodeError } from "./errors";

/** How the node rations collateral (issue 9 §6); every field has a default. */
export interface CollateralRules {
  /** Seconds between a user's `collateral` requests for one asset; 0 lifts the limit. */
  requestIntervalSeconds: number;
  /** Demand: the window of completed inbound payments and the headroom they earn. */
  demand: Partial<DemandRules>;
  /** Milliseconds since the epoch; tests inject their own. */
  clock: () => number;
}

export const DEFAULT_REQUEST_INTERVAL_SECONDS = 60;

export interface CollateralDeps {
  node: string;
  channels: ChannelService;
  policies: Record<string, CollateralPolicy>;
  readDeposits(channelAddress: string, assetId: string): Promise<ChainDeposits>;
  depositAlice(args: { alice: string; bob: string; assetId: string; amount: bigint }): Promise<{
    transactionHash: string;
  }>;
  /** A payee's inbound payments (the payments table): what demand is made of. */
  inboundDemand: ReadInboundDemand;
  notify(user: string, event: { assetId: string; amount: bigint }): void;
  /**
   * Several node processes (DESIGN §3): runs a top-up while no other process runs one for the
   * same key; a process that dies holding it lets go within a lease. Absent: one process.
   */
  exclusive?<T>(key: string, work: () => Promise<T>): Promise<T>;
  /** Waits for deposits into the channel still in flight (another process's, or a dead one's). */
  awaitDepositsInFlight?(channelAddress: string): Promise<void>;
  logger: Logger;
  rules?: Partial<CollateralRules>;
}

/**
 * Collateral (issue 5 §5, rationed by issue 9 §6): before the node locks funds in a user's
 * channel, its side must hold them. It deposits on-chain what demand justifies (see
 * `collateralDemand.ts`), then reconciles the deposit with the user. One top-up per channel and
 * asset at a time; later callers wait for it and look again.
 *
 * - `ensure` (the router, before forwarding a payment): the payments waiting for this payee,
 *   plus headroom in proportion to its completed inbound volume, capped at the target.
 * - `request` (the user's `collateral` call): up to the user's own reconciled deposits in the
 *   asset (or its inbound demand), capped at the target; one per asset per interval.
 */
export class Collateral {
  readonly demand: CollateralDemand;
  private readonly topUps = new Map<string, Promise<void>>();
  private readonly limiter: RateLimiter;

  constructor(private readonly deps: CollateralDeps) {
    const clock = deps.rules?.clock ?? Date.now;
    this.demand = new CollateralDemand({
      read: deps.inboundDemand,
      clock,
      ...(deps.rules?.demand ? { rules: deps.rules.demand } : {}),
    });
    this.limiter = new RateLimiter({
      intervalSeconds: deps.rules?.requestIntervalSeconds ?? DEFAULT_REQUEST_INTERVAL_SECONDS,
      clock,
    });
  }

  /** The node's balance of `assetId` in the user's channel. */
  static nodeBalance(view: ChannelView | undefined, assetId: string): bigint {
    const state = view?.state;
    if (!state) return 0n;
    const index = state.assetIds.findIndex((a) => a.toLowerCase() === assetId.toLowerCase());
    return index === -1 ? 0n : (state.balances[index]?.amount[0] ?? 0n);
  }

  /** The user's reconciled deposits of `assetId` in its channel (`processedDepositsB`). */
  static userDeposits(view: ChannelView | undefined, assetId: string): bigint {
    const state = view?.state;
    if (!state) return 0n;
    const index = state.assetIds.findIndex((a) => a.toLowerCase() === assetId.toLowerCase());
    return index === -1 ? 0n : (state.processedDepositsB[index] ?? 0n);
  }

  /**
   * Makes the node's side hold at least `amount` for a payment about to be forwarded to `user`,
   * depositing what the waiting payments need plus headroom earned by demand.
   */
  async ensure(user: string, assetId: string, amount: bigint): Promise<void> {
    await this.topUpOnce(user, assetId, amount, async () => {
      const { target } = this.policy(assetId);
      return this.demand.paymentGoal(user, assetId, amount, target);
    });
  }

  /**
   * A user's request: tops its channel up to what its own deposits (or inbound demand) justify.
   * Throws RATE_LIMITED within the interval of its last request for the asset, and
   * COLLATERAL_NOT_JUSTIFIED when nothing justifies any (a fresh key): nothing is deposited.
   */
  async request(user: string, assetId: string): Promise<void> {
    const { target } = this.policy(assetId);
    this.limiter.take(`${user.toLowerCase()}:${assetId.toLowerCase()}`);
    const view = await this.deps.channels.currentView(user);
    if (!view?.state) throw new NodeError("COLLATERAL_FAILED", `${user} has no channel`);
    const own = Collateral.userDeposits(view, assetId);
    const goal = await this.demand.requestGoal(user, assetId, own, target);
    if (goal === 0n) {
      throw new NodeError(
        "COLLATERAL_NOT_JUSTIFIED",
        `collateral follows your own deposits of ${assetId} (none reconciled) or payments to you (none): deposit first`,
      );
    }
    await this.topUpOnce(user, assetId, goal, async () => goal);
  }

  /**
   * The operator's top-up (the dashboard): the node's side of the user's channel up to the
   * asset's target, whatever demand says; nothing when it holds that much already.
   */
  async topUpToTarget(user: string, assetId: string): Promise<void> {
    const { target } = this.policy(assetId);
    await this.topUpOnce(user, assetId, target, async () => target);
  }

  /**
   * Reconciles whatever on-chain deposits the channel has not processed yet (the node's own
   * top-ups, or the user's when it did not do so itself).
   */
  async reconcile(user: string, assetId: string): Promise<boolean> {
    const applied = await this.deps.channels.propose(user, async (view) => {
      const state = view.state;
      if (!state) return undefined;
      const chain = await this.deps.readDeposits(state.channelAddress, assetId);
      const index = state.assetIds.findIndex((a) => a.toLowerCase() === assetId.toLowerCase());
      const processedA = index === -1 ? 0n : (state.processedDepositsA[index] as bigint);
      const processedB = index === -1 ? 0n : (state.processedDepositsB[index] as bigint);
      if (chain.totalDepositsAlice <= processedA && chain.totalDepositsBob <= processedB) {
        return undefined;
      }
      return { type: "deposit", assetId };
    });
    return applied !== undefined;
  }

  /**
   * Unless the node's side already holds `needed`, tops it up to `goal()`. One top-up per
   * channel and asset: the slot is taken before anything is awaited, and whoever waited for
   * another's top-up looks at the balance again.
   */
  private async topUpOnce(
    user: string,
    assetId: string,
    needed: bigint,
    goal: () => Promise<bigint>,
  ): Promise<void> {
    const key = `${user.toLowerCase()}:${assetId.toLowerCase()}`;
    for (;;) {
      const running = this.topUps.get(key);
      if (running) {
        await running.catch(() => {});
        continue;
      }
      const topUp = async () => {
        const view = await this.deps.channels.currentView(user);
        if (Collateral.nodeBalance(view, assetId) >= needed) return;
        await this.topUp(user, assetId, await goal(), view);
      };
      const exclusive = this.deps.exclusive;
      const work = exclusive ? exclusive(`collateral:${key}`, topUp) : topUp();
      this.topUps.set(key, work);
      try {
        await work;
      } finally {
        if (this.topUps.get(key) === work) this.topUps.delete(key);
      }
      return;
    }
  }

  private async topUp(
    user: string,
    assetId: string,
    goal: bigint,
    view: ChannelView | undefined,
  ): Promise<void> {
    if (!view?.state) throw new NodeError("COLLATERAL_FAILED", `${user} has no channel`);
    const have = Collateral.nodeBalance(view, assetId);
    // Counted below once mined, rather than deposited again.
    await this.deps.awaitDepositsInFlight?.(view.state.channelAddress);
    const chain = await this.deps.readDeposits(view.state.channelAddress, assetId);
    const index = view.state.assetIds.findIndex((a) => a.toLowerCase() === assetId.toLowerCase());
    const processedA = index === -1 ? 0n : (view.state.processedDepositsA[index] as bigint);
    // Deposited before but not reconciled (we went down, or the user was away): count it.
    const pending =
      chain.totalDepositsAlice > processedA ? chain.totalDepositsAlice - processedA : 0n;
    const missing = goal - have - pending;
    if (missing > 0n) {
      const { transactionHash } = await this.deps.depositAlice({
        alice: this.deps.node,
        bob: user,
        assetId,
        amount: missing,
      });
      this.deps.logger.info(
        {
          channel: view.state.channelAddress,
          assetId,
          amount: String(missing),
          goal: String(goal),
          transactionHash,
        },
        "collateral deposited",
      );
    }
    await this.reconcile(user, assetId);
    if (goal > have) this.deps.notify(user, { assetId, amount: goal - have });
  }

  private policy(assetId: string): CollateralPolicy {
    const policy = this.deps.policies[assetId.toLowerCase()];
    if (!policy) throw new NodeError("UNSUPPORTED_ASSET", `no collateral policy for ${assetId}`);
    return policy;
  }
}
