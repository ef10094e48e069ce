import type { Logger } from "pino";
import type { DisputeReading } from "../../contracts-bindings";
import {
  type ChannelSigner,
  type ChannelUpdate,
  type ChannelView,
  type FullChannelState,
  type FullTransferState,
  withdraw,
} from "../../protocol";
import { type DefinitionPlugins, pluginOf } from "../../protocol/definitions";
import {
  type DisputeStatus,
  type DisputeStep,
  disputeStepKey,
  planDispute,
} from "../../protocol/disputes";
import type { ChannelStore } from "../store/channelStore";
import type { PaymentRepository } from "../store/payments";

export interface DisputeResponderDeps {
  signer: ChannelSigner;
  /** The definitions the node carries: a routed payment's says how the payer's side resolves. */
  plugins: DefinitionPlugins;
  withdrawAddress: string;
  store: ChannelStore;
  payments: PaymentRepository;
  /** Assets the node carries: defunded too when the state lacks them but deposits exist. */
  assets(): string[];
  read(args: {
    channelAddress: string;
    owner: string;
    assetIds: string[];
    transferIds: string[];
  }): Promise<DisputeReading>;
  /** Whether the step `key` may be sent now: not done, not in flight (the step ledger). */
  mayRun(channelAddress: string, key: string): Promise<boolean>;
  /** Sends one step's transaction for the channel and waits for it to be mined. */
  send(step: DisputeStep, state: FullChannelState, key: string): Promise<void>;
  /** Proposes the resume that moves the user's channel past its finished dispute. */
  resume(user: string): Promise<void>;
  /** The channel's latest state already resumed past the dispute of `round`. */
  markResumed(channelAddress: string, round: number): Promise<void>;
  /**
   * Several node processes (DESIGN §3): runs a channel's advance while no other process runs
   * one, so that two never both find a step not yet sent and send it. Absent: one process.
   */
  exclusive?<T>(key: string, work: () => Promise<T>): Promise<T>;
  logger: Logger;
}

/**
 * The node's side of a dispute on one of its channels (DESIGN §4.7): answers a stale state
 * with its latest doubly-signed one inside the consensus window, then defunds the channel,
 * disputes every active transfer, defunds each with the resolver it holds (a withdrawal it
 * co-signed, a payer's transfer whose pre-image the payee revealed) or, once a transfer's
 * dispute expires, with its initial balance, and exits its own share. Each call of `advance`
 * reads the chain again and sends only what is still missing.
 */
export class DisputeResponder {
  private readonly statuses = new Map<string, DisputeStatus>();
  private readonly running = new Map<string, Promise<void>>();

  constructor(private readonly deps: DisputeResponderDeps) {}

  /**
   * Advances every channel given, one after the other; channels whose dispute is done are
   * skipped until an event (`advance`) brings them back. A failure is logged per channel.
   */
  async sweep(channelAddresses: string[]): Promise<void> {
    for (const channelAddress of channelAddresses) {
      if (this.statuses.get(channelAddress.toLowerCase()) === "done") continue;
      await this.advance(channelAddress).catch((error) =>
        this.deps.logger.warn(
          { channel: channelAddress, err: error instanceof Error ? error.message : String(error) },
          "dispute step failed: tried again",
        ),
      );
    }
  }

  /** Moves the channel's dispute on as far as the chain allows now (one run at a time). */
  advance(channelAddress: string): Promise<void> {
    const key = channelAddress.toLowerCase();
    const current = this.running.get(key);
    if (current) return current;
    const exclusive = this.deps.exclusive;
    const once = () => this.advanceOnce(channelAddress);
    const run = (exclusive ? exclusive(`dispute:${key}`, once) : once()).finally(() =>
      this.running.delete(key),
    );
    this.running.set(key, run);
    return run;
  }

  private async advanceOnce(channelAddress: string): Promise<void> {
    const view = await this.deps.store.loadChannelView(channelAddress);
    if (!view?.state) return;
    const state = view.state;
    const me = this.deps.signer.address;
    const assetIds = unique([...state.assetIds, ...this.deps.assets()]);
    const reading = await this.deps.read({
      channelAddress,
      owner: me,
      assetIds,
      transferIds: [...view.transfers.keys()],
    });
    const round = Number(reading.dispute.round);
    if (resumedPast(state, round)) {
      await this.deps.markResumed(channelAddress, round);
      return;
    }
    const { status, steps } = planDispute({
      me,
      view: view as ChannelView & { state: FullChannelState },
      ...reading,
      resolvers: await this.resolvers(view),
    });
    this.report(channelAddress, status, reading);
    const at = { round, nonce: state.nonce, exitable: reading.exitable };
    for (const step of steps) {
      const key = disputeStepKey(step, at);
      if (!(await this.deps.mayRun(channelAddress, key))) continue; // done, or in flight
      this.deps.logger.info({ channel: channelAddress, step: describe(step) }, "dispute step");
      await this.deps.send(step, state, key);
    }
    // Our side is carried through and the dispute has run its course: back to off-chain.
    if (status === "done") await this.deps.resume(state.bob);
  }

  /** Resolvers the node can defund its transfers with, by transfer id. */
  private async resolvers(view: ChannelView): Promise<Map<string, string>> {
    const resolvers = new Map<string, string>();
    const me = this.deps.signer.address.toLowerCase();
    for (const transfer of view.transfers.values()) {
      if (transfer.responder.toLowerCase() !== me) continue;
      const resolver = await this.resolverFor(transfer);
      if (resolver) resolvers.set(transfer.transferId, resolver);
    }
    return resolvers;
  }

  private async resolverFor(transfer: FullTransferState): Promise<string | undefined> {
    const definition = transfer.transferDefinition.toLowerCase();
    if (definition === this.deps.withdrawAddress.toLowerCase()) {
      // We countersigned the withdrawal: its commitment is ours to honour, and resolving it
      // on-chain is what stops the amount being paid once by the commitment and again here.
      const { data } = withdraw.decodeState(transfer.transferState);
      return withdraw.encodeResolver({
        responderSignature: await this.deps.signer.signDigest(data),
      });
    }
    // A payer's transfer of a routed payment: cancelled, or claimed with what the payee
    // revealed (a hashlock's pre-image, a thread's voucher).
    const plugin = pluginOf(this.deps.plugins, definition);
    if (!plugin?.routing) return undefined;
    const payment = await this.deps.payments.bySenderTransfer(transfer.transferId);
    if (payment?.status === "cancelled") return plugin.rules.encodedCancel;
    // Learnt on-chain: the payee claimed the mirror in a dispute of its own channel (kept as
    // the payer's encoded resolver).
    if (payment?.preImage) return payment.preImage;
    if (payment?.status !== "completed" || !payment.recipientTransferId) return undefined;
    const mirror = await this.deps.store.getTransfer(payment.recipientTransferId);
    const resolver = mirror?.transfer.transferResolver;
    return resolver === undefined ? undefined : plugin.routing.payerResolver(resolver);
  }

  private report(channelAddress: string, status: DisputeStatus, reading: DisputeReading): void {
    const key = channelAddress.toLowerCase();
    if (this.statuses.get(key) === status) return;
    this.statuses.set(key, status);
    const fields = {
      channel: channelAddress,
      status,
      nonce: reading.dispute.nonce,
      consensusExpiry: reading.dispute.consensusExpiry,
      defundExpiry: reading.dispute.defundExpiry,
    };
    if (status === "foreign-state") {
      this.deps.logger.error(
        fields,
        "the state on record is not our latest and can no longer be replaced",
      );
    } else {
      this.deps.logger.info(fields, "dispute");
    }
  }
}

/** Whether the state is a resume past the dispute round now on record. */
function resumedPast(state: FullChannelState, round: number): boolean {
  const latest = state.latestUpdate;
  return latest.type === "resume" && (latest as ChannelUpdate<"resume">).details.round === round;
}

function unique(addresses: string[]): string[] {
  const seen = new Map<string, string>();
  for (const address of addresses) seen.set(address.toLowerCase(), address);
  return [...seen.values()];
}

function describe(step: DisputeStep): Record<string, unknown> {
  switch (step.step) {
    case "defundChannel":
      return { step: step.step, assetIds: step.assetIds };
    case "disputeTransfer":
    case "defundTransfer":
      return { step: step.step, transferId: step.transfer.transferId };
    case "exit":
      return { step: step.step, assetId: step.assetId };
    default:
      return { step: step.step };
  }
}
