import { getAddress, type JsonRpcProvider, type TransactionReceipt, type Wallet } from "ethers";
import type { Clock, Timer } from "../../clock";
import { disputeCall } from "../../contracts-bindings/disputeCalls";
import { type DisputeOutcome, readDisputeOutcome } from "../../contracts-bindings/disputeOutcome";
import {
  type ChainDisputeRecord,
  type DisputeReading,
  readChannelDispute,
  readDispute,
} from "../../contracts-bindings/disputeReads";
import { ChannelFactory__factory } from "../../contracts-bindings/generated";
import {
  type ChannelUpdate,
  type ChannelView,
  channelStateHash,
  type FullChannelState,
  type FullTransferState,
  ProtocolError,
} from "../../protocol";
import {
  type DisputeStatus,
  type DisputeStep,
  disputeStepKey,
  planDispute,
} from "../../protocol/disputes";
import type { ClientChannel } from "../clientChannel";
import { ClientError, isClientError } from "../errors";
import type { ClientEvents } from "../events";
import { Mutex } from "../mutex";
import { disputePayouts, firstBlockAtOrAfter, lastDisputeTransaction } from "./chainLogs";
import type { DisputeProgress, SentStatus } from "./progress";
import { disputeResolvers } from "./resolvers";
import { StepSender } from "./sender";

/** Where the client's side of a dispute stands (`ConnextClient.getDispute`). */
export interface DisputeInfo {
  /**
   * none: no dispute on record; consensus: its consensus window is open; defund: the client is
   * carrying its side through (defunds, transfers, exits); exited: the client's side is done
   * (or nothing more can be done) and the chain is past the defund window.
   */
  status: "none" | "consensus" | "defund" | "exited";
  round: number;
  /** The nonce of the state on record. */
  nonce: number;
  /** Unix seconds on the chain's clock (0: no dispute). */
  consensusExpiry: number;
  defundExpiry: number;
  /** Whether the channel resumed past this dispute (off-chain updates work again). */
  resumed: boolean;
  /** The client's own transactions for this dispute, in the order sent. */
  transactions: { step: string; key: string; transactionHash: string; status: SentStatus }[];
}

/** What `dispute()` resolves with: the dispute on record once our disputeChannel is mined. */
export interface DisputeStarted {
  transactionHash: string;
  consensusExpiry: number;
  defundExpiry: number;
}

export interface ClientDisputesDeps {
  /** Polling, report throttling and step ages run on it. */
  clock: Clock;
  wallet: Wallet;
  provider: JsonRpcProvider;
  channel: ClientChannel;
  events: ClientEvents;
  progress: DisputeProgress;
  channelFactory: string;
  hashlockAddress: string;
  withdrawAddress: string;
  /** The node's assets: defunded too when the state lacks them but deposits exist. */
  supportedAssets: string[];
  /** A pre-image we revealed through `resolveTransfer`. */
  revealed(transferId: string): Promise<string | undefined>;
  /** The resolver of a transfer of another definition we hold one for (a thread's voucher). */
  otherResolver?(transfer: FullTransferState, chainTime: number): string | undefined;
  /** How often the chain is read while the client is open, ms. */
  pollMs: number;
  /** How long a transaction the chain never saw is broadcast again before it is replaced, ms. */
  staleMs?: number;
  closed(): boolean;
  track(work: Promise<unknown>): void;
  /** The channel resumed: what waited for it to reopen may go on. */
  reopened(): void;
}

/** One look at the chain while a dispute is in effect. */
interface Observation {
  view: ChannelView & { state: FullChannelState };
  state: FullChannelState;
  reading: DisputeReading;
  /** A block at or before the reading's. */
  readAt: number;
  plan: { status: DisputeStatus; steps: DisputeStep[] };
}

const NO_DISPUTE: Omit<DisputeInfo, "transactions"> = {
  status: "none",
  round: 0,
  nonce: 0,
  consensusExpiry: 0,
  defundExpiry: 0,
  resumed: false,
};
/** The same failure is told to the application at most once in this long, ms. */
const REPORT_EVERY_MS = 60_000;
/** Plans carried out per pass before the next poll takes over. */
const MAX_ROUNDS_PER_PASS = 32;

/**
 * The client's side of its channel's disputes (issue 10, DESIGN §4.7): watches the channel's
 * dispute record every `pollMs` (one getCode and one getChannelDispute while there is none),
 * answers a stale state with our latest inside the consensus window, and carries every
 * dispute, whoever started it, through defunds, transfer disputes, transfer defunds with the
 * resolvers we hold and exits, on the chain's clock, with `planDispute` deciding; then
 * proposes the resume that reopens the channel. Each step goes through `StepSender`, which
 * records it in the store before sending it and never sends it twice.
 */
export class ClientDisputes {
  private readonly lock = new Mutex();
  private readonly sender: StepSender;
  private timer: Timer | undefined;
  private queued = false;
  private snapshot: Omit<DisputeInfo, "transactions"> = NO_DISPUTE;
  private lastOutcome: DisputeOutcome | undefined;
  private readonly reported = new Map<string, number>();
  /** Disputes for which we asked the node for a newer doubly-signed state than ours. */
  private readonly synced = new Set<string>();

  constructor(private readonly deps: ClientDisputesDeps) {
    this.sender = new StepSender({
      wallet: deps.wallet,
      provider: deps.provider,
      progress: deps.progress,
      pollMs: Math.min(deps.pollMs, 1_000),
      staleMs: deps.staleMs ?? 120_000,
      receiptWaitMs: 60_000,
      closed: deps.closed,
      clock: deps.clock,
    });
  }

  private get me(): string {
    return this.deps.wallet.address;
  }

  /** Where exits pay: the recipient given to `dispute()`, or us. */
  private get recipient(): string {
    return this.deps.progress.recipient ?? this.me;
  }

  /**
   * Reads the chain once (so the channel knows whether it is in dispute), then keeps watching.
   * Events start with the first pass, just after `connect` resolves: handlers attached right
   * away see them all.
   */
  async start(): Promise<void> {
    await this.lock.run(() => this.observe({ quiet: true }));
    this.schedule();
    setTimeout(() => this.kick(), 0);
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  info(): DisputeInfo {
    const steps = this.deps.progress.current?.steps ?? [];
    return {
      ...this.snapshot,
      transactions: steps.map((s) => ({
        step: s.step,
        key: s.instance > 1 ? `${s.key}#${s.instance}` : s.key,
        transactionHash: s.hash,
        status: s.status,
      })),
    };
  }

  /** Starts a dispute with our latest doubly-signed state (or joins the one running). */
  async dispute(recipient?: string): Promise<DisputeStarted> {
    if (recipient !== undefined) await this.deps.progress.setRecipient(getAddress(recipient));
    try {
      return await this.lock.run(() => this.begin());
    } finally {
      this.kick();
    }
  }

  /** A look at the chain now, with the steps it calls for (in the background). */
  kick(): void {
    if (this.queued || this.deps.closed()) return;
    this.queued = true;
    this.deps.track(
      this.lock
        .run(async () => {
          this.queued = false;
          await this.pass();
        })
        .catch((error) => this.report("pass", error)),
    );
  }

  /** What the channel's finished dispute left on-chain, for a resume (kept for `resumed`). */
  async readOutcome(
    channelAddress: string,
    assetIds: string[],
    transferIds: string[],
  ): Promise<DisputeOutcome> {
    const outcome = await readDisputeOutcome(
      this.deps.provider,
      channelAddress,
      assetIds,
      transferIds,
    );
    this.lastOutcome = outcome;
    return outcome;
  }

  /**
   * Before countersigning the node's resume: our side must be done (defunds, transfers, exits),
   * or what is left would no longer be watched. Reads only; takes no lock.
   */
  async beforeResume(): Promise<void> {
    const view = this.deps.channel.view;
    if (!view.state) return;
    const reading = await this.read(view as Observation["view"]);
    const plan = await this.plan(view as Observation["view"], reading);
    // Anything else is for the resume's own checks against the chain to refuse.
    if (plan.status === "consensus" || plan.status === "defund") {
      throw new ProtocolError(
        "CHANNEL_IN_DISPUTE",
        `our side of the dispute is not carried through yet (${plan.status}, ${plan.steps.length} steps to send)`,
      );
    }
  }

  /** A resume was stored: the channel is open again. */
  resumed(update: ChannelUpdate<"resume">): void {
    const round = update.details.round;
    this.deps.channel.leaveDispute();
    const known = this.lastOutcome?.round === round ? this.lastOutcome : undefined;
    this.deps.track(
      (async () => {
        const consensusExpiry =
          known?.consensusExpiry ??
          (await readChannelDispute(this.deps.provider, update.channelAddress)).consensusExpiry;
        await this.deps.progress.markResumed({ round, consensusExpiry });
        this.snapshot = { ...this.snapshot, resumed: true };
        this.deps.events.emit("dispute.resumed", { round, nonce: update.nonce });
        this.deps.reopened();
      })(),
    );
  }

  // ---- the passes --------------------------------------------------------------------------

  private schedule(): void {
    if (this.deps.closed()) return;
    this.timer = this.deps.clock.after(this.deps.pollMs, () => {
      this.kick();
      this.schedule();
    });
  }

  /** Plans and sends until nothing more can be done now. */
  private async pass(): Promise<void> {
    for (let round = 0; round < MAX_ROUNDS_PER_PASS; round++) {
      if (this.deps.closed()) return;
      if (this.startPending()) await this.begin();
      const seen = await this.observe();
      if (!seen) return;
      if (await this.caughtUp(seen)) continue;
      if (seen.plan.status === "done") {
        await this.resume(seen);
        return;
      }
      if (seen.plan.status === "foreign-state") {
        this.reportForeign(seen);
        return;
      }
      let moved = false;
      for (const step of seen.plan.steps) {
        if (this.deps.closed()) return;
        const outcome = await this.runStep(step, seen);
        if (outcome === "waiting") return;
        if (outcome !== "refused") {
          moved = true; // the chain changed (or the plan was stale): plan again
          break;
        }
      }
      if (!moved) return;
    }
  }

  /**
   * Reads the chain; while a dispute is in effect, freezes the channel, records and tells
   * what is new (unless `quiet`), and plans. Undefined when no dispute is in effect.
   */
  private async observe(options: { quiet?: boolean } = {}): Promise<Observation | undefined> {
    const { channel, provider } = this.deps;
    const first = channel.view.state;
    if (!first) return undefined;
    const readAt = await provider.getBlockNumber();
    const record = await readChannelDispute(provider, first.channelAddress);
    if (record.consensusExpiry === 0 || this.resumedByMarker(record)) {
      this.calm(record);
      return undefined;
    }
    let view = channel.view as Observation["view"];
    let reading = await this.read(view);
    if (this.resumedPast(view.state, reading)) {
      // Known from the state itself (a store that lost the marker): remember it, cheaply.
      const { round, consensusExpiry } = reading.dispute;
      await this.deps.progress.markResumed({ round: Number(round), consensusExpiry });
      this.calm(reading.dispute);
      return undefined;
    }
    if (!channel.inDispute) {
      await channel.enterDispute();
      // An update in flight may have landed meanwhile: plan from the state we hold now.
      if (channel.view !== view) {
        view = channel.view as Observation["view"];
        reading = await this.read(view);
      }
    }
    const state = view.state;
    if (!options.quiet) {
      await this.note(reading, readAt);
      await this.announce(view, readAt);
    }
    const plan = await this.plan(view, reading);
    this.snapshot = describe(reading, plan.status);
    return { view, state, reading, readAt, plan };
  }

  private read(view: Observation["view"]): Promise<DisputeReading> {
    const state = view.state;
    const assets = new Map<string, string>();
    for (const asset of [...state.assetIds, ...this.deps.supportedAssets]) {
      assets.set(asset.toLowerCase(), asset);
    }
    return readDispute(this.deps.provider, {
      channelAddress: state.channelAddress,
      owner: this.me,
      assetIds: [...assets.values()],
      transferIds: [...view.transfers.keys()],
    });
  }

  private async plan(view: Observation["view"], reading: DisputeReading) {
    const resolvers = await disputeResolvers(view, reading.chainTime, {
      wallet: this.deps.wallet,
      hashlockAddress: this.deps.hashlockAddress,
      withdrawAddress: this.deps.withdrawAddress,
      revealed: this.deps.revealed,
      ...(this.deps.otherResolver ? { other: this.deps.otherResolver } : {}),
    });
    return planDispute({
      me: this.me,
      view,
      chainTime: reading.chainTime,
      dispute: reading.dispute,
      assets: reading.assets,
      transfers: reading.transfers,
      exitable: reading.exitable,
      resolvers,
    });
  }

  /** No dispute in effect: back to off-chain, unless our own dispute is on its way. */
  private calm(record: ChainDisputeRecord): void {
    if (this.deps.channel.inDispute && !this.startPending()) this.deps.channel.leaveDispute();
    if (record.consensusExpiry === 0) {
      this.snapshot = NO_DISPUTE;
    } else {
      this.snapshot = { ...describe({ dispute: record }, "done"), resumed: true };
    }
  }

  /** A dispute we have not seen before becomes the current one, and the application is told. */
  private async note(reading: DisputeReading, readAt: number): Promise<void> {
    const { progress, provider } = this.deps;
    const dispute = reading.dispute;
    const round = Number(dispute.round);
    const current = progress.current;
    if (current?.consensusExpiry === dispute.consensusExpiry) {
      if (current.round !== round) await progress.setRound(round);
      return;
    }
    // Nothing is defunded or exited before the consensus window ends: events are read from there.
    const cursor =
      reading.chainTime < dispute.consensusExpiry
        ? readAt
        : (await firstBlockAtOrAfter(provider, dispute.consensusExpiry, readAt)) - 1;
    const ours =
      current?.startedByUs === true &&
      current.consensusExpiry === undefined &&
      reading.chainTime < dispute.defundExpiry;
    const tag = { consensusExpiry: dispute.consensusExpiry, round, cursor };
    if (ours) await progress.tagDispute(tag);
    else await progress.beginDispute({ ...tag, startedByUs: false });
    this.started(dispute, ours);
  }

  /** Tells the application what the dispute paid out since the last look. */
  private async announce(view: Observation["view"], readAt: number): Promise<void> {
    const { progress, provider, events } = this.deps;
    const cursor = progress.current?.cursor;
    if (cursor === undefined || readAt <= cursor) return;
    const transferAssets = new Map<string, string>();
    for (const transfer of view.transfers.values()) {
      transferAssets.set(transfer.transferId.toLowerCase(), transfer.assetId);
    }
    const payouts = await disputePayouts(provider, {
      channelAddress: view.state.channelAddress,
      owner: this.me,
      fromBlock: cursor + 1,
      toBlock: readAt,
      transferAssets,
    });
    for (const payout of payouts) {
      if (payout.kind === "exited") {
        events.emit("dispute.exited", {
          assetId: getAddress(payout.assetId),
          amount: payout.amount,
          recipient: payout.recipient,
          transactionHash: payout.transactionHash,
        });
      } else {
        events.emit("dispute.defunded", {
          assetId: getAddress(payout.assetId),
          ...(payout.transferId ? { transferId: payout.transferId } : {}),
          amount: payout.amount,
          transactionHash: payout.transactionHash,
        });
      }
    }
    await progress.setCursor(readAt);
  }

  /** Carries one planned step out; what became of it. */
  private async runStep(
    step: DisputeStep,
    seen: Observation,
  ): Promise<"mined" | "reverted" | "waiting" | "skipped" | "refused"> {
    const key = disputeStepKey(step, {
      round: seen.reading.dispute.round,
      nonce: seen.state.nonce,
      exitable: seen.reading.exitable,
    });
    let outcome: Awaited<ReturnType<StepSender["run"]>>;
    try {
      outcome = await this.sender.run({
        key,
        step: step.step,
        call: disputeCall(step, seen.state, this.me, this.recipient),
        readAtBlock: seen.readAt,
      });
    } catch (error) {
      this.report(key, error);
      return "refused";
    }
    if (outcome.outcome === "mined" && step.step === "disputeChannel") {
      this.deps.events.emit("dispute.answered", {
        staleNonce: seen.reading.dispute.nonce,
        nonce: seen.state.nonce,
        transactionHash: outcome.hash,
      });
    }
    // A revert is usually a race (the node sent the same defund first): the next plan, read
    // after it, no longer asks for the step. Only a step that keeps reverting is an error.
    const reverts = (this.deps.progress.current?.steps ?? []).filter(
      (s) => s.key === key && s.status === "reverted",
    ).length;
    if (outcome.outcome === "reverted" && reverts > 1) {
      this.report(
        key,
        new ClientError("DISPUTE_STEP_FAILED", `${key} reverted (${outcome.hash})`, {
          key,
          transactionHash: outcome.hash,
        }),
      );
    }
    return outcome.outcome;
  }

  /**
   * A state on record newer than ours is one the node countersigned and we never got (our
   * proposal's reply was lost): once per dispute, catch up from the node (doubly-signed
   * updates only, which the channel adopts even in dispute). Whether our state changed.
   */
  private async caughtUp(seen: Observation): Promise<boolean> {
    const { dispute } = seen.reading;
    const id = `${dispute.round}:${dispute.consensusExpiry}`;
    if (dispute.nonce <= seen.state.nonce || this.synced.has(id)) return false;
    this.synced.add(id);
    await this.deps.channel.sync().catch(() => {});
    return this.deps.channel.view.state?.nonce !== seen.state.nonce;
  }

  /** Our side is done and the dispute has run its course: reopen the channel from the state on record. */
  private async resume(seen: Observation): Promise<void> {
    const onRecord = seen.reading.dispute.channelStateHash.toLowerCase();
    try {
      await this.deps.channel.propose((view) =>
        view.state && channelStateHash(view.state) === onRecord ? { type: "resume" } : undefined,
      );
    } catch (error) {
      this.report("resume", error);
    }
  }

  // ---- starting a dispute ------------------------------------------------------------------

  /** Whether a dispute we started is not known to be on record yet. */
  private startPending(): boolean {
    const current = this.deps.progress.current;
    return (
      current?.startedByUs === true &&
      current.consensusExpiry === undefined &&
      current.steps.some(
        (s) => s.step === "disputeChannel" && (s.status === "sent" || s.status === "mined"),
      )
    );
  }

  private async begin(): Promise<DisputeStarted> {
    const { channel } = this.deps;
    const wasDisputed = channel.inDispute;
    await channel.enterDispute();
    try {
      return await this.beginLocked();
    } catch (error) {
      // Nothing reached the chain: the channel stays open.
      await this.deps.progress.abandonStart().catch(() => {});
      if (!wasDisputed && !this.startPending()) {
        const state = channel.view.state;
        const record = state
          ? await readChannelDispute(this.deps.provider, state.channelAddress).catch(
              () => undefined,
            )
          : undefined;
        if (record && (record.consensusExpiry === 0 || this.resumedByMarker(record))) {
          channel.leaveDispute();
        }
      }
      throw error;
    }
  }

  private async beginLocked(): Promise<DisputeStarted> {
    const { channel, provider, progress } = this.deps;
    const state = channel.view.state;
    if (!state) throw new ClientError("CHANNEL_NOT_READY", "the channel is not set up");
    const readAt = await provider.getBlockNumber();
    const head = await provider.getBlock(readAt);
    const record = await readChannelDispute(provider, state.channelAddress, readAt);
    const running = record.consensusExpiry !== 0 && (head?.timestamp ?? 0) < record.defundExpiry;
    if (running && !this.startPending()) return this.join(state);

    const current = progress.current;
    if (!(current?.startedByUs && current.consensusExpiry === undefined)) {
      await progress.beginDispute({ startedByUs: true });
    }
    if ((await provider.getCode(state.channelAddress)) === "0x") {
      const data = ChannelFactory__factory.createInterface().encodeFunctionData("createChannel", [
        state.alice,
        state.bob,
      ]);
      await this.untilMined({
        key: "createChannel",
        step: "createChannel",
        call: { to: this.deps.channelFactory, data },
      });
    }
    const step = { step: "disputeChannel" } as const;
    const key = disputeStepKey(step, {
      round: record.round,
      nonce: state.nonce,
      exitable: new Map(),
    });
    const { receipt, hash } = await this.untilMined({
      key,
      step: step.step,
      call: disputeCall(step, state, this.me),
    });
    const after = await readChannelDispute(provider, state.channelAddress, receipt.blockNumber);
    await progress.tagDispute({
      consensusExpiry: after.consensusExpiry,
      round: Number(after.round),
      cursor: receipt.blockNumber,
    });
    this.started(after, true);
    this.snapshot = describe({ dispute: after, chainTime: 0 }, "consensus");
    return {
      transactionHash: hash,
      consensusExpiry: after.consensusExpiry,
      defundExpiry: after.defundExpiry,
    };
  }

  /** A dispute is running already: answer it if our state is newer, and say which it is. */
  private async join(state: FullChannelState): Promise<DisputeStarted> {
    const { provider } = this.deps;
    const seen = await this.observe();
    const answer = seen?.plan.steps.find((s) => s.step === "disputeChannel");
    if (seen && answer) {
      const outcome = await this.runStep(answer, seen);
      if (outcome === "refused" || outcome === "reverted") {
        throw new ClientError(
          "DISPUTE_STEP_FAILED",
          "a dispute is running with an older state and ours could not replace it",
        );
      }
    }
    const record = await readChannelDispute(provider, state.channelAddress);
    const ours = [...(this.deps.progress.current?.steps ?? [])]
      .reverse()
      .find((s) => s.step === "disputeChannel" && s.status === "mined");
    let transactionHash = ours?.hash;
    if (!transactionHash) {
      const head = await provider.getBlockNumber();
      const from = await firstBlockAtOrAfter(
        provider,
        record.consensusExpiry - state.timeout,
        head,
      );
      transactionHash = await lastDisputeTransaction(provider, state.channelAddress, from, head);
    }
    if (!transactionHash) {
      throw new ClientError("DISPUTE_STEP_FAILED", "the dispute on record has no transaction");
    }
    return {
      transactionHash,
      consensusExpiry: record.consensusExpiry,
      defundExpiry: record.defundExpiry,
    };
  }

  /**
   * Sends a step of starting a dispute and waits until it is mined, however long that takes (or
   * the client closes). Every attempt recorded under `key` belongs to this one start, so one
   * mined is the step done, never a reason to send it again.
   */
  private async untilMined(args: {
    key: string;
    step: string;
    call: { to: string; data: string };
  }): Promise<{ receipt: TransactionReceipt; hash: string }> {
    for (;;) {
      const outcome = await this.sender.run({ ...args, readAtBlock: -1 });
      if (outcome.outcome === "mined") return outcome;
      if (outcome.outcome === "reverted") {
        throw new ClientError("DISPUTE_STEP_FAILED", `${args.step} reverted (${outcome.hash})`, {
          transactionHash: outcome.hash,
        });
      }
      if (outcome.outcome === "skipped") {
        const hash = this.deps.progress.latest(args.key)?.hash as string;
        const receipt = await this.deps.provider.getTransactionReceipt(hash);
        if (receipt) return { receipt, hash };
      }
      if (this.deps.closed()) throw new ClientError("CLOSED", "the client closed meanwhile");
    }
  }

  // ---- what is in effect -------------------------------------------------------------------

  private resumedByMarker(record: ChainDisputeRecord): boolean {
    const marker = this.deps.progress.record.resumed;
    return (
      marker !== undefined &&
      marker.round === Number(record.round) &&
      marker.consensusExpiry === record.consensusExpiry
    );
  }

  /**
   * Whether our state is past the dispute on record: by the marker stored at our resume, or
   * (a store that lost it) by the state itself: a finished dispute, a newer nonce, and either
   * a resume of that round as the latest update or every asset the round defunded at a defund
   * nonce our state has moved past (only a resume advances it).
   */
  private resumedPast(state: FullChannelState, reading: DisputeReading): boolean {
    const dispute = reading.dispute;
    if (this.resumedByMarker(dispute)) return true;
    if (reading.chainTime < dispute.defundExpiry || state.nonce <= dispute.nonce) return false;
    const round = Number(dispute.round);
    const latest = state.latestUpdate;
    if (latest.type === "resume" && (latest as ChannelUpdate<"resume">).details.round === round) {
      return true;
    }
    let defunded = 0;
    for (const [asset, chain] of reading.assets) {
      if (!chain.defundedThisRound) continue;
      defunded++;
      const index = state.assetIds.findIndex((a) => a.toLowerCase() === asset);
      if (index === -1 || (state.defundNonces[index] as bigint) <= chain.defundNonce) return false;
    }
    return defunded > 0;
  }

  // ---- telling the application -------------------------------------------------------------

  private started(dispute: ChainDisputeRecord, startedByUs: boolean): void {
    this.deps.events.emit("dispute.started", {
      round: Number(dispute.round),
      nonce: dispute.nonce,
      consensusExpiry: dispute.consensusExpiry,
      defundExpiry: dispute.defundExpiry,
      startedByUs,
    });
  }

  private reportForeign(seen: Observation): void {
    const dispute = seen.reading.dispute;
    this.report(
      `foreign:${dispute.round}:${dispute.consensusExpiry}`,
      new ClientError(
        "DISPUTED_STATE_NOT_OURS",
        `the state on record (nonce ${dispute.nonce}) is not our latest (nonce ${seen.state.nonce}) and can no longer be replaced: the channel stays closed`,
        { nonceOnRecord: dispute.nonce, nonce: seen.state.nonce, round: Number(dispute.round) },
      ),
      Number.POSITIVE_INFINITY,
    );
  }

  /** An `error` event, once per key and code in a while. */
  private report(key: string, error: unknown, everyMs = REPORT_EVERY_MS): void {
    if (isClientError(error, "CLOSED") && this.deps.closed()) return;
    const failure = error instanceof Error ? error : new Error(String(error));
    const code = (failure as { code?: string }).code ?? failure.message;
    const id = `${key}:${code}`;
    const last = this.reported.get(id);
    const now = this.deps.clock.now();
    if (last !== undefined && now - last < everyMs) return;
    this.reported.set(id, now);
    this.deps.events.emit("error", failure);
  }
}

/** The public status of a dispute from the planner's. */
function describe(
  reading: { dispute: ChainDisputeRecord; chainTime?: number },
  status: DisputeStatus,
): Omit<DisputeInfo, "transactions"> {
  const { dispute } = reading;
  const chainTime = reading.chainTime ?? Number.POSITIVE_INFINITY;
  const mapped: DisputeInfo["status"] =
    status === "none"
      ? "none"
      : status === "consensus"
        ? "consensus"
        : status === "defund"
          ? "defund"
          : status === "done"
            ? "exited"
            : chainTime < dispute.defundExpiry
              ? "defund"
              : "exited";
  return {
    status: mapped,
    round: Number(dispute.round),
    nonce: dispute.nonce,
    consensusExpiry: dispute.consensusExpiry,
    defundExpiry: dispute.defundExpiry,
    resumed: false,
  };
}
