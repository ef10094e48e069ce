import type { ChannelView } from "../protocol";
import type { Effect, Event } from "../protocol/conversation";
import type { ClientChannelDeps, Drafter } from "./channelDeps";
import { sendProposal } from "./channelRequests";
import { fetchRestore } from "./restorePages";
import { ChannelStorage } from "./store/channelStorage";

type Of<K extends Effect["kind"]> = Extract<Effect, { kind: K }>;
type Performers = {
  [K in Effect["kind"]]: (effect: Of<K>, draft: Drafter | undefined) => Promise<Event | undefined>;
};

/**
 * How the client carries out what the conversation step asks (DESIGN §4.4): signs with the
 * user's key, stores through ChannelStorage, runs the client's checks, reads the chain, asks
 * the node and builds the caller's draft; each answer is the event the step waits for.
 * `applied` is told of a stored update only once the conversation holds it (at the next
 * effect: the step adopts a write as it takes `persisted`), so callbacks reading the
 * channel see it.
 */
export class ChannelPerformer {
  private readonly storage: ChannelStorage;
  /** Stored writes whose `applied` is still to be told. */
  private unheard: Of<"persist">[] = [];

  constructor(private readonly deps: ClientChannelDeps) {
    const pair = `${deps.node.toLowerCase()}:${deps.signer.address.toLowerCase()}`;
    this.storage = new ChannelStorage(deps.store, `channel:${pair}`, `transfers:${pair}`);
  }

  /**
   * Carries out `effect` now, holding the state lock, or, when it waits outside
   * (`waitsOutside`), keeps it in `waiting` for the caller to perform once the lock is let go.
   */
  held(effect: Effect, waiting: Effect[]): Promise<Event | undefined> {
    if (!waitsOutside(effect)) return this.perform(effect);
    this.tell();
    waiting.push(effect);
    return Promise.resolve(undefined);
  }

  /**
   * Carries out an effect that waits outside, the lock let go. When it fails, the step is
   * told (`failed`: its thread ends) and the error is thrown on.
   */
  async outside(
    effect: Effect,
    draft: Drafter | undefined,
    tellStep: (event: Event) => void,
  ): Promise<Event | undefined> {
    try {
      return await this.perform(effect, draft);
    } catch (error) {
      tellStep(failed(effect));
      throw error;
    }
  }

  private perform(effect: Effect, draft?: Drafter): Promise<Event | undefined> {
    this.tell();
    const perform = this.performers[effect.kind] as (
      effect: Effect,
      draft: Drafter | undefined,
    ) => Promise<Event | undefined>;
    return perform(effect, draft);
  }

  /** Tells `applied` of every update stored since it was last told. */
  private tell(): void {
    for (const { applied, before, proposedByUs, resumedRound } of this.unheard.splice(0)) {
      if (applied) this.deps.applied(applied, before, proposedByUs, resumedRound);
    }
  }

  /** The stored channel, checked like a restore from the node; undefined if none. */
  load(): Promise<ChannelView | undefined> {
    const { network, lookupDefinition } = this.deps;
    const context = { network, lookupDefinition, now: this.deps.now() };
    return this.storage.load(context, this.deps.signer.address);
  }

  /** The step's `propose` (or `abandon`) for the caller's draft on `view`. */
  async drafted(draft: Drafter, view: ChannelView): Promise<Event> {
    const wanted = await draft(view);
    if (!wanted) return { type: "abandon" };
    return {
      type: "propose",
      draft: wanted,
      now: this.deps.now(),
      draftedOn: view.state?.nonce ?? 0,
    };
  }

  private readonly performers: Performers = {
    draft: async (effect, draft) =>
      draft ? this.drafted(draft, effect.view) : { type: "abandon" },
    sign: async ({ thread, digest }) => ({
      type: "signed",
      thread,
      signature: await this.deps.signer.signDigest(digest),
    }),
    persist: async (write) => {
      // A restore replaces the whole channel; an update writes only what it changed.
      if (write.cause === "restored") await this.storage.replace(write.view);
      else await this.storage.save(write.view);
      this.unheard.push(write);
      return { type: "persisted", thread: write.thread };
    },
    check: async ({ view, update, resumesRound }) => {
      // Our side of the dispute a resume ends must be carried through before we sign it.
      if (resumesRound !== undefined) await this.deps.beforeResume?.();
      await this.deps.check(view, update);
      return { type: "checked" };
    },
    readDeposits: async ({ thread, channelAddress, assetId }) => ({
      type: "chainFacts",
      thread,
      facts: { chainDeposits: await this.deps.readDeposits(channelAddress, assetId) },
    }),
    readDisputeOutcome: async ({ thread, channelAddress, assetIds, transferIds }) => ({
      type: "chainFacts",
      thread,
      facts: {
        chainDispute: await this.deps.readDisputeOutcome(channelAddress, assetIds, transferIds),
      },
    }),
    send: async ({ message }) => ({
      type: "reply",
      reply: await sendProposal(this.deps.request, message),
      now: this.deps.now(),
    }),
    restore: async ({ thread }) => ({
      type: "restored",
      thread,
      message: await fetchRestore(this.deps.request),
      now: this.deps.now(),
    }),
    // What ends a thread is for the caller (channelOutcomes.ts), not answered here.
    done: async () => undefined,
    reply: async () => undefined,
    synced: async () => undefined,
  };
}

/**
 * Effects that wait on the node or on the caller's draft: carried out with the channel's
 * state lock let go, so the node's proposal is answered while ours is in flight. Everything
 * else (signing, storing, checking, reading the chain) holds it, so the channel a thread
 * built on is still the channel when its write is adopted.
 */
function waitsOutside(effect: Effect): boolean {
  return effect.kind === "send" || effect.kind === "restore" || effect.kind === "draft";
}

/** What the step is told when such an effect fails: the thread ends, a sent proposal stays live. */
function failed(effect: Effect): Event {
  if (effect.kind === "send") return { type: "replyTimedOut" };
  return { type: "abort", thread: "thread" in effect ? effect.thread : "ours" };
}
