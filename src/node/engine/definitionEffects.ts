import type { AppliedUpdate } from "../../protocol";
import {
  type DefinitionPlugins,
  type NodeReaction,
  type NodeRecord,
  pluginOf,
  type TransferMoment,
  transferMoments,
} from "../../protocol/definitions";
import type { Tx } from "../store/channelStore";
import type { PaymentRouter } from "./router";
import type { Withdrawals } from "./withdrawals";

/** One handler per intent kind, so a new kind cannot go unhandled. */
type Handlers<Intent extends { kind: string }, Result> = {
  [Kind in Intent["kind"]]: (intent: Extract<Intent, { kind: Kind }>) => Result;
};

export interface DefinitionEffectsDeps {
  node: string;
  plugins: DefinitionPlugins;
  router: PaymentRouter;
  withdrawals: Withdrawals;
}

/**
 * Carries out what a stored update means for the transfers it moved (issue 13, item 3): each
 * transfer's definition plug-in says, in plain data, what the node records and what it sets
 * off; the one dispatch map below says who does it. No branch here knows a definition.
 */
export class DefinitionEffects {
  constructor(private readonly deps: DefinitionEffectsDeps) {}

  /** Bookkeeping, in the transaction that stores the update. */
  async record(tx: Tx, applied: AppliedUpdate): Promise<void> {
    const { router, withdrawals } = this.deps;
    const timeout = applied.state.timeout;
    const records: Handlers<NodeRecord, Promise<void>> = {
      openPayment: ({ transfer }) => router.openPayment(tx, transfer, timeout),
      linkMirror: ({ transfer, paymentId }) => router.linkMirror(tx, paymentId, transfer),
      completeMirror: ({ transfer }) => router.completeMirror(tx, transfer),
      cancelPayment: ({ transfer }) => router.cancelPayment(tx, transfer),
      refundedOnchain: ({ transfer }) => router.refundedOnchain(tx, transfer),
      holdWithdrawal: ({ transfer }) => withdrawals.hold(tx, transfer),
    };
    for (const moment of this.moments(applied)) {
      for (const intent of this.node(moment)?.record(moment) ?? []) {
        await (records[intent.kind] as (intent: NodeRecord) => Promise<void>)(intent);
      }
    }
  }

  /** What the stored update sets off, in the background. */
  committed(applied: AppliedUpdate): void {
    const { router, withdrawals } = this.deps;
    const timeout = applied.state.timeout;
    const reactions: Handlers<NodeReaction, void> = {
      forwardPayment: ({ transfer }) => router.forwardStored(transfer, timeout),
      settlePayer: ({ transfer }) => router.mirrorResolved(transfer),
      payerResolved: ({ transfer, paymentId, cancelled }) =>
        router.payerResolved(transfer.initiator, paymentId, cancelled),
      settleDroppedMirror: ({ transfer }) => router.mirrorDropped(transfer),
      countersignWithdrawal: ({ transfer }) => withdrawals.countersign(transfer),
      submitWithdrawal: ({ transfer }) => withdrawals.submit(transfer),
    };
    for (const moment of this.moments(applied)) {
      for (const intent of this.node(moment)?.react(moment) ?? []) {
        (reactions[intent.kind] as (intent: NodeReaction) => void)(intent);
      }
    }
  }

  private moments(applied: AppliedUpdate): TransferMoment[] {
    const update = applied.state.latestUpdate;
    const ours = update.fromIdentifier.toLowerCase() === this.deps.node.toLowerCase();
    return transferMoments(applied, this.deps.node, ours);
  }

  private node(moment: TransferMoment) {
    return pluginOf(this.deps.plugins, moment.transfer.transferDefinition)?.node;
  }
}
