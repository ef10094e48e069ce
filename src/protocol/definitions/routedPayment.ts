import { payeeRoutingSchema, payerRoutingSchema, readMeta } from "../messaging";
import type {
  NodeBehaviour,
  NodeCheck,
  NodeReaction,
  NodeRecord,
  PaymentRouting,
  TransferMoment,
} from "./plugin";

/**
 * The node's side of a definition it routes as payments (DESIGN §4.6), written once for any
 * definition that says how to read and mirror its payments (`PaymentRouting`): a payer's
 * transfer to the node opens a payment and is forwarded, the payee's resolve of the mirror
 * settles the payer's transfer the same way, and what settles on-chain is followed up.
 *
 * @example
 * export const hashlockPlugin = { rules: hashlock, routing, node: routedPaymentNode(routing) };
 */
export function routedPaymentNode(routing: PaymentRouting): NodeBehaviour {
  const cancelled = ({ transfer }: TransferMoment) =>
    transfer.transferResolver !== undefined && routing.isCancel(transfer.transferResolver);
  return {
    checkCreate: () => [{ kind: "supportedAsset" }, { kind: "routedPayment" }],

    checkResolve(transfer, resolver, node): NodeCheck[] {
      // Only the node's mirror has a claim deadline; a cancel is welcome at any time.
      if (transfer.initiator.toLowerCase() !== node.toLowerCase()) return [];
      if (routing.isCancel(resolver)) return [];
      const { expiry } = routing.terms(transfer.transferState);
      return expiry === 0n ? [] : [{ kind: "claimInTime", expiry }];
    },

    record(moment): NodeRecord[] {
      const { transfer, initiator } = moment;
      if (moment.event === "dropped")
        return initiator ? [] : [{ kind: "refundedOnchain", transfer }];
      if (moment.event === "created" && !initiator) return [{ kind: "openPayment", transfer }];
      if (moment.event === "created") {
        const payee = readMeta(transfer.meta, "routing", payeeRoutingSchema);
        return payee ? [{ kind: "linkMirror", paymentId: payee.paymentId, transfer }] : [];
      }
      if (initiator) return cancelled(moment) ? [] : [{ kind: "completeMirror", transfer }];
      return cancelled(moment) ? [{ kind: "cancelPayment", transfer }] : [];
    },

    react(moment): NodeReaction[] {
      const { transfer, initiator } = moment;
      if (moment.event === "dropped") {
        return initiator ? [{ kind: "settleDroppedMirror", transfer }] : [];
      }
      if (moment.event === "created")
        return initiator ? [] : [{ kind: "forwardPayment", transfer }];
      if (initiator) return [{ kind: "settlePayer", transfer }];
      const payer = readMeta(transfer.meta, "routing", payerRoutingSchema);
      if (!payer) return [];
      return [
        {
          kind: "payerResolved",
          paymentId: payer.paymentId,
          cancelled: cancelled(moment),
          transfer,
        },
      ];
    },
  };
}
