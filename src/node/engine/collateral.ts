import type { Logger } from "pino";
import type { ChannelView } from "../../protocol";
import type { CollateralPolicy } from "../settings";
import type { ChainDeposits, ChannelService } from "./channelService";
import { NodeError } from "./errors";

export interface CollateralDeps {
  node: string;
  channels: ChannelService;
  policies: Record<string, CollateralPolicy>;
  readDeposits(channelAddress: string, assetId: string): Promise<ChainDeposits>;
  depositAlice(args: { alice: string; bob: string; assetId: string; amount: bigint }): Promise<{
    transactionHash: string;
  }>;
  notify(user: string, event: { assetId: string; amount: bigint }): void;
  logger: Logger;
}

/**
 * Just-in-time collateral (issue 5 §5): before the node locks funds in a user's channel, its side
 * must hold them. It deposits on-chain up to the asset's target, then reconciles the deposit
 * with the user. One top-up per channel and asset at a time; later callers wait for it.
 */
export class Collateral {
  private readonly topUps = new Map<string, Promise<void>>();

  constructor(private readonly deps: CollateralDeps) {}

  /** The node's balance of `assetId` in the user's channel. */
  static nodeBalance(view: ChannelView | undefined, assetId: string): bigint {
    const state = view?.state;
    if (!state) return 0n;
    const index = state.assetIds.findIndex((a) => a.toLowerCase() === assetId.toLowerCase());
    return index === -1 ? 0n : (state.balances[index]?.amount[0] ?? 0n);
  }

  /** Makes the node's side hold at least `amount`, depositing up to the target if short. */
  async ensure(user: string, assetId: string, amount: bigint): Promise<void> {
    for (;;) {
      const key = `${user.toLowerCase()}:${assetId.toLowerCase()}`;
      const running = this.topUps.get(key);
      if (running) {
        await running.catch(() => {});
        continue;
      }
      const view = await this.deps.channels.currentView(user);
      if (Collateral.nodeBalance(view, assetId) >= amount) return;
      const topUp = this.topUp(user, assetId, amount, view);
      this.topUps.set(key, topUp);
      try {
        await topUp;
      } finally {
        this.topUps.delete(key);
      }
      return;
    }
  }

  /** A user's request: top its channel up to the asset's target. */
  async request(user: string, assetId: string): Promise<void> {
    const policy = this.policy(assetId);
    await this.ensure(user, assetId, policy.target);
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

  private async topUp(
    user: string,
    assetId: string,
    amount: bigint,
    view: ChannelView | undefined,
  ): Promise<void> {
    const policy = this.policy(assetId);
    if (!view?.state) throw new NodeError("COLLATERAL_FAILED", `${user} has no channel`);
    const have = Collateral.nodeBalance(view, assetId);
    const target = amount > policy.target ? amount : policy.target;
    const chain = await this.deps.readDeposits(view.state.channelAddress, assetId);
    const index = view.state.assetIds.findIndex((a) => a.toLowerCase() === assetId.toLowerCase());
    const processedA = index === -1 ? 0n : (view.state.processedDepositsA[index] as bigint);
    // Deposited before but not reconciled (we went down, or the user was away): count it.
    const pending = chain.totalDepositsAlice - processedA;
    const missing = target - have - pending;
    if (missing > 0n) {
      const { transactionHash } = await this.deps.depositAlice({
        alice: this.deps.node,
        bob: user,
        assetId,
        amount: missing,
      });
      this.deps.logger.info(
        { channel: view.state.channelAddress, assetId, amount: String(missing), transactionHash },
        "collateral deposited",
      );
    }
    await this.reconcile(user, assetId);
    this.deps.notify(user, { assetId, amount: target - have });
  }

  private policy(assetId: string): CollateralPolicy {
    const policy = this.deps.policies[assetId.toLowerCase()];
    if (!policy) throw new NodeError("UNSUPPORTED_ASSET", `no collateral policy for ${assetId}`);
    return policy;
  }
}
