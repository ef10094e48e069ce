import type { Logger } from "pino";
import {
  type AppliedUpdate,
  type ChannelSigner,
  type FullTransferState,
  withdraw,
} from "../../protocol";
import { readMeta, withdrawMetaSchema } from "../../protocol/messaging";
import type { WithdrawData } from "../../protocol/types";
import { withdrawalDraft } from "../../protocol/withdrawals";
import type { CollateralPolicy } from "../settings";
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
  submit(args: SignedWithdrawal): Promise<{ transactionHash?: string; alreadyExecuted?: boolean }>;
  /** Resolved withdrawals since a time, to send what a stop interrupted. */
  resolvedSince(since: Date): Promise<FullTransferState[]>;
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

/**
 * Withdrawals (DESIGN §4.5 Withdraw): a user's Withdraw transfer to the node is countersigned
 * (its commitment was checked by the proposal policy), resolved with the node's signature and
 * sent on-chain by the node; the node reclaims idle collateral the same way in the other
 * direction.
 */
export class Withdrawals {
  constructor(private readonly deps: WithdrawalDeps) {}

  committed(applied: AppliedUpdate): void {
    const transfer = applied.transfer;
    if (!transfer || !this.isWithdraw(transfer)) return;
    const update = applied.state.latestUpdate;
    const user = this.userOf(transfer);
    if (update.type === "create" && !this.isNode(transfer.initiator)) {
      this.spawn(() => this.countersignUserWithdrawal(user, transfer));
    } else if (update.type === "resolve" && transfer.transferResolver) {
      const { responderSignature } = withdraw.decodeResolver(transfer.transferResolver);
      if (responderSignature !== "0x") this.spawn(() => this.execute(user, transfer));
    }
  }

  /**
   * Sends the withdrawals resolved in the last `days` that may not have reached the chain (the
   * node stopped in between). Sending is idempotent: executed commitments are skipped.
   */
  async resume(days = 7): Promise<void> {
    const since = new Date(Date.now() - days * 86_400_000);
    for (const transfer of await this.deps.resolvedSince(since)) {
      // One withdrawal's failure never stops the others.
      try {
        const { responderSignature } = withdraw.decodeResolver(transfer.transferResolver as string);
        if (responderSignature === "0x") continue;
        await this.execute(this.userOf(transfer), transfer);
      } catch (error) {
        this.deps.logger.warn(
          { transferId: transfer.transferId, err: error },
          "withdrawal not resumed",
        );
      }
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

  private async execute(user: string, transfer: FullTransferState): Promise<void> {
    const state = withdraw.decodeState(transfer.transferState);
    const { responderSignature } = withdraw.decodeResolver(transfer.transferResolver as string);
    const target = readMeta(transfer.meta, "withdraw", withdrawMetaSchema);
    if (!target) return;
    const nodeInitiated = this.isNode(transfer.initiator);
    try {
      const { transactionHash, alreadyExecuted } = await this.deps.submit({
        alice: this.deps.signer.address,
        bob: user,
        commitment: {
          channelAddress: transfer.channelAddress,
          assetId: transfer.assetId,
          recipient: target.recipient,
          amount: transfer.balance.amount[0],
          nonce: state.nonce,
        },
        aliceSignature: nodeInitiated ? state.initiatorSignature : responderSignature,
        bobSignature: nodeInitiated ? responderSignature : state.initiatorSignature,
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
      this.deps.logger.error({ transferId: transfer.transferId, err: error }, "withdrawal failed");
      if (!nodeInitiated) {
        this.deps.notify(user, {
          transferId: transfer.transferId,
          status: "failed",
          reason: error instanceof Error ? error.message.slice(0, 200) : "failed",
        });
      }
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
