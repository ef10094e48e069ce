import type { Address, ChannelUpdate, FullTransferState, HexString } from "../types";
import type { EncodedTransferDefinition } from "./types";

/**
 * A transfer definition as a plug-in (issue 13, item 3): its rules, and what the node and the
 * client do when one is created or resolved in their channel. Everything here is pure: it
 * reads transfers and returns plain-data checks and intents, which the shells carry out
 * through one dispatch map each (`src/node/engine/definitionEffects.ts`,
 * `src/client/definitionEffects.ts`). A party carries only the definitions it has a plug-in
 * for: the node refuses any other (it could not defend it on-chain), the client too.
 */
export interface TransferPlugin {
  readonly rules: EncodedTransferDefinition;
  /** How the node carries the definition; without it the node refuses the definition. */
  readonly node?: NodeBehaviour;
  /** How the client carries it; without it the client refuses the node's proposals of it. */
  readonly client?: ClientBehaviour;
  /** How a payment of this definition is routed through the node, if it is one. */
  readonly routing?: PaymentRouting;
}

/** What happened to a transfer in a stored update, seen from one party (`me`). */
export interface TransferMoment {
  /**
   * created: it entered the channel; resolved: it left it off-chain, with its resolver;
   * dropped: it left at a resume, settled on-chain.
   */
  readonly event: "created" | "resolved" | "dropped";
  readonly transfer: FullTransferState;
  /** Whether we are the transfer's initiator (else its responder). */
  readonly initiator: boolean;
  /** Whether we proposed the update. */
  readonly ours: boolean;
}

/** Every intent is about one transfer, carried with it. */
interface OfTransfer {
  readonly transfer: FullTransferState;
}

/** What the node checks of a user's proposal before it countersigns it. */
export type NodeCheck =
  /** The asset must be one the node carries. */
  | { readonly kind: "supportedAsset" }
  /** A payment for the node to route: recipient, payment id and expiries (DESIGN §4.6). */
  | { readonly kind: "routedPayment" }
  /** A user's withdrawal: the commitment matches, the node is responder, the limits hold. */
  | { readonly kind: "userWithdrawal" }
  /** A payee's claim of the node's mirror comes in time (SECURITY rule 19). */
  | { readonly kind: "claimInTime"; readonly expiry: bigint };

/** Bookkeeping the node does in the transaction that stores an update. */
export type NodeRecord = OfTransfer & NodeRecordKind;

type NodeRecordKind =
  /** A payer's transfer to the node: its payment opens. */
  | { readonly kind: "openPayment" }
  /** The node's mirror of a payment: linked to the payment, or refused if it is decided. */
  | { readonly kind: "linkMirror"; readonly paymentId: string }
  /** The payee claimed the node's mirror: the payment is done (refused if refunded). */
  | { readonly kind: "completeMirror" }
  /** The payer's transfer was cancelled: its payment is. */
  | { readonly kind: "cancelPayment" }
  /** The payer's transfer settled on-chain: back to the payer. */
  | { readonly kind: "refundedOnchain" }
  /** A withdrawal the node holds both signatures of: pending until executed. */
  | { readonly kind: "holdWithdrawal" };

/** What a stored update sets off at the node. */
export type NodeReaction = OfTransfer & NodeReactionKind;

type NodeReactionKind =
  /** A payer's transfer to the node: mirror it into the payee's channel. */
  | { readonly kind: "forwardPayment" }
  /** The payee resolved the node's mirror: resolve the payer's transfer the same way. */
  | { readonly kind: "settlePayer" }
  /** The payer's transfer was resolved: the route is done, a cancel is told to the payer. */
  | { readonly kind: "payerResolved"; readonly paymentId: string; readonly cancelled: boolean }
  /** The node's mirror left the payee's channel at a resume: settle the payment from the chain. */
  | { readonly kind: "settleDroppedMirror" }
  /** A user's withdrawal: countersign its commitment. */
  | { readonly kind: "countersignWithdrawal" }
  /** A withdrawal both signed: submit the commitment. */
  | { readonly kind: "submitWithdrawal" };

/** The node's side of a definition. */
export interface NodeBehaviour {
  /** What the node checks of a user's create before countersigning it. */
  checkCreate(update: ChannelUpdate<"create">): readonly NodeCheck[];
  /** What it checks of a user's resolve of `transfer` with `resolver`. */
  checkResolve(
    transfer: FullTransferState,
    resolver: HexString,
    node: string,
  ): readonly NodeCheck[];
  /** Bookkeeping in the transaction that stores the update. */
  record(moment: TransferMoment): readonly NodeRecord[];
  /** What the stored update sets off. */
  react(moment: TransferMoment): readonly NodeReaction[];
}

/** What the client checks of the node's create before countersigning it. */
export type ClientCheck =
  /** A payment to us: routed, and claimable on-chain before it expires (DESIGN §4.6). */
  | { readonly kind: "claimablePayment"; readonly expiry: bigint }
  /** The node's withdrawal of its collateral: the commitment matches, we are the responder. */
  | { readonly kind: "nodeWithdrawal" }
  /** A routed transfer to us (meta.routing names the payment). */
  | { readonly kind: "routed" };

/** What a stored update, or a transfer waiting for us, sets off at the client. */
export type ClientReaction = OfTransfer & ClientReactionKind;

type ClientReactionKind =
  /** A hashlock payment to us: check its payer's terms, then hold or claim it. */
  | { readonly kind: "receivePayment" }
  /** One waiting since we were away: claim it with its terms' pre-image, if they match. */
  | { readonly kind: "claimReceived" }
  /** One that expired: cancel it, unless its pre-image left us. */
  | { readonly kind: "cancelUnlessRevealed" }
  /** The node's withdrawal of its collateral: countersign its commitment. */
  | { readonly kind: "countersignWithdrawal" }
  /** Our own withdrawal, resolved by the node: its commitment is kept and sent, a cancel fails it. */
  | { readonly kind: "withdrawalResolved" }
  /** A payment left the channel: settle the waiting call and tell the application. */
  | { readonly kind: "paymentResolved"; readonly cancelled: boolean }
  /** A transfer to us the application hears of (`transfer.received`, unverified). */
  | { readonly kind: "announce" }
  /** Resolve the transfer with this resolver. */
  | { readonly kind: "resolve"; readonly resolver: HexString }
  /** The node locked a thread to us: check its payer's terms, then take vouchers for it. */
  | { readonly kind: "threadOpened" }
  /** A thread's lock left the channel off-chain: the thread is over on our side. */
  | { readonly kind: "threadResolved" }
  /** A thread lock of ours found when we look again: close it if its expiry comes near. */
  | { readonly kind: "threadWaiting" };

/** The client's side of a definition. */
export interface ClientBehaviour {
  /** What the client checks of the node's create before countersigning it. */
  checkNodeCreate(update: ChannelUpdate<"create">): readonly ClientCheck[];
  /** What a stored update sets off. */
  react(moment: TransferMoment): readonly ClientReaction[];
  /** A transfer to us found in the channel when we come back (unix seconds `now`). */
  waiting(transfer: FullTransferState, now: number): readonly ClientReaction[];
}

/** How the node reads and mirrors a routed payment of a definition. */
export interface PaymentRouting {
  /** The lock both transfers share and the payer's expiry (unix seconds, 0 for none). */
  terms(encodedState: HexString): { lockHash: HexString; expiry: bigint };
  /**
   * The mirror's state, built from the payer's transfer state: the payer's lock (and whatever
   * else the definition carries over) with the mirror's (earlier) expiry.
   */
  mirrorState(payerState: HexString, expiry: bigint): HexString;
  /** Whether a resolver cancels: the initiator keeps the amount. */
  isCancel(encodedResolver: HexString): boolean;
  /** The resolver the node resolves the payer's transfer with, from the payee's of the mirror. */
  payerResolver(mirrorResolver: HexString): HexString;
  /**
   * Why a payer's transfer does not fit the route its meta names (a thread's state names its
   * payer, payee and id itself), or undefined when it does.
   */
  routeMismatch?(
    encodedState: HexString,
    route: { payer: Address; recipient: Address; paymentId: string },
  ): string | undefined;
}
