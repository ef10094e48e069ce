import { hexToBytes } from "../bytes";
import { type Conversation, type Effect, type Event, step } from "../conversation";
import { startConversation } from "../conversation/start";
import type { StepContext } from "../conversation/types";
import { signDigestSync } from "../signatures";
import type { ChainDisputeOutcome, ChannelView } from "../updates/context";
import type { UpdateDraft } from "../updates/propose";
import { context, emptyView, NETWORK, NOW } from "./twoParties";

/**
 * A party of the conversation driven in memory, without a chain: it signs with its key,
 * stores at once, passes every check, and reads "the chain" from fixed facts. What it would
 * send, reply, report or ask to restore is kept in `out` for the test to look at and route.
 */
export interface Driven {
  key: string;
  conversation: Conversation;
  out: Effect[];
  deposits: { totalDepositsAlice: bigint; totalDepositsBob: bigint };
  /** Per-asset deposit totals, when the test keeps a chain of several assets (else `deposits`). */
  depositsOf?: (assetId: string) => { totalDepositsAlice: bigint; totalDepositsBob: bigint };
  dispute?: ChainDisputeOutcome;
  /** The draft to propose when the step asks for one (again); undefined abandons. */
  draft?: (view: ChannelView) => UpdateDraft | undefined;
  now: number;
}

export const STEP_CONTEXT: StepContext = (({ now: _, ...rest }) => rest)(context());

export function driven(options: {
  key: string;
  me: string;
  peer: string;
  alice: string;
  canRestore: boolean;
  view?: ChannelView;
}): Driven {
  return {
    key: options.key,
    conversation: startConversation({
      me: options.me,
      peer: options.peer,
      alice: options.alice,
      network: NETWORK,
      view: options.view ?? emptyView(),
      canRestore: options.canRestore,
    }),
    out: [],
    deposits: { totalDepositsAlice: 0n, totalDepositsBob: 0n },
    now: NOW,
  };
}

/** Feeds `event` and carries out every effect it can by itself until the party waits on others. */
export function feed(party: Driven, event: Event): void {
  let next: Event | undefined = event;
  while (next) {
    const { channel, effects } = step(party.conversation, next, STEP_CONTEXT);
    party.conversation = channel;
    next = undefined;
    for (const effect of effects) next = perform(party, effect) ?? next;
  }
}

function perform(party: Driven, effect: Effect): Event | undefined {
  switch (effect.kind) {
    case "sign":
      return {
        type: "signed",
        thread: effect.thread,
        signature: signDigestSync(effect.digest, hexToBytes(party.key)),
      };
    case "persist":
      party.out.push(effect);
      return { type: "persisted", thread: effect.thread };
    case "readDeposits":
      return {
        type: "chainFacts",
        thread: effect.thread,
        facts: { chainDeposits: party.depositsOf?.(effect.assetId) ?? party.deposits },
      };
    case "readDisputeOutcome":
      return {
        type: "chainFacts",
        thread: effect.thread,
        facts: party.dispute ? { chainDispute: party.dispute } : {},
      };
    case "check":
      return { type: "checked" };
    case "draft": {
      const draft = party.draft?.(effect.view);
      return draft ? { type: "propose", draft, now: party.now } : { type: "abandon" };
    }
    default:
      party.out.push(effect);
      return undefined;
  }
}

/** The effects of `kind` the party produced since the last call, taken out of `out`. */
export function take<K extends Effect["kind"]>(
  party: Driven,
  kind: K,
): Extract<Effect, { kind: K }>[] {
  const taken = party.out.filter((effect) => effect.kind === kind);
  party.out = party.out.filter((effect) => effect.kind !== kind);
  return taken as Extract<Effect, { kind: K }>[];
}
