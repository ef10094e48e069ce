import type { JsonRpcProvider } from "ethers";
import type { Logger } from "pino";
import {
  type AddressBook,
  disputeCall,
  readDispute,
  type TransferDefund,
} from "../contracts-bindings";
import type { ChannelSigner } from "../protocol";
import type { DefinitionPlugins } from "../protocol/definitions";
import { disputeStepKey } from "../protocol/disputes";
import type { ChainService } from "./chain/chainService";
import { DisputeStepLedger } from "./chain/disputeSteps";
import { DisputeWatcher } from "./chain/disputeWatcher";
import { DisputeResponder } from "./engine/disputeResponder";
import type { ChannelStore } from "./store/channelStore";
import type { StoreDb } from "./store/database";
import { DisputeRepository } from "./store/disputes";
import type { PaymentRepository } from "./store/payments";

export interface DisputeWatchingOptions {
  provider: JsonRpcProvider;
  db: StoreDb;
  chain: ChainService;
  store: ChannelStore;
  payments: PaymentRepository;
  signer: ChannelSigner;
  book: AddressBook;
  /** The definitions the node carries, built-in and added. */
  plugins: DefinitionPlugins;
  /** Assets the node carries. */
  assets(): string[];
  /** Whether a channel (checksummed) is one of the node's. */
  isOurs(channelAddress: string): boolean;
  /** Proposes a resume to the user of a channel whose dispute has run its course. */
  resume(user: string): Promise<void>;
  /** A transfer was paid out on-chain (a mirror claimed by its payee, say). */
  onTransferDefunded(defund: TransferDefund): Promise<void>;
  /** Runs `work` with the channel's update lock held (no update in flight meanwhile). */
  withChannelLock<T>(channelAddress: string, work: () => Promise<T>): Promise<T>;
  pollMs: number;
  /** Several node processes: one advance of a channel's dispute at a time across them. */
  exclusive?<T>(key: string, work: () => Promise<T>): Promise<T>;
  logger: Logger;
}

/** What starting a dispute gives back. */
export interface DisputeStarted {
  channelAddress: string;
  transactionHash: string;
  /** The nonce of the state put on record. */
  nonce: number;
  consensusExpiry: number;
  defundExpiry: number;
}

export interface DisputeStatusReport {
  channelAddress: string;
  /** Whether the node signs nothing on the channel now. */
  inDispute: boolean;
  chainTime: number;
  nonce: number;
  round: number;
  consensusExpiry: number;
  defundExpiry: number;
  /** The node's dispute transactions on the channel, newest first. */
  transactions: { step: string; status: string; transactionHash: string | null }[];
}

/** Why the node could not start a dispute. */
export class DisputeStartError extends Error {
  override readonly name = "DisputeStartError";
  constructor(
    readonly code: "UNKNOWN_CHANNEL" | "ALREADY_DISPUTED" | "NOTHING_TO_CLAIM",
    message: string,
  ) {
    super(message);
  }
}

/**
 * The node's dispute watching (DESIGN §4.7): the watcher finds disputes on the node's channels
 * from the chain's logs (so the engine signs nothing on them), and the responder carries each
 * one through, on every new event and on a timer (the chain's clock moves on its own).
 */
export function createDisputeWatching(options: DisputeWatchingOptions) {
  const logger = options.logger.child({ component: "disputes" });
  const responder = new DisputeResponder({
    signer: options.signer,
    plugins: options.plugins,
    withdrawAddress: options.book.withdraw,
    store: options.store,
    payments: options.payments,
    assets: options.assets,
    read: (args) => readDispute(options.provider, args),
    mayRun: (channelAddress, key) => ledger.mayRun(channelAddress, key),
    send: async (step, state, key) => {
      const call = disputeCall(step, state, options.signer.address);
      await options.chain.sendDisputeCall(state.channelAddress, key, call);
    },
    resume: options.resume,
    markResumed: (channelAddress, round) => watcher.markResumed(channelAddress, round),
    ...(options.exclusive ? { exclusive: options.exclusive } : {}),
    logger,
  });
  const ledger = new DisputeStepLedger({
    transactions: options.chain.transactions,
    provider: options.provider,
  });
  const nudge = (channelAddress: string) => {
    responder
      .advance(channelAddress)
      .catch((error) =>
        logger.warn(
          { channel: channelAddress, err: error instanceof Error ? error.message : String(error) },
          "dispute step failed: tried again",
        ),
      );
  };
  const watcher = new DisputeWatcher({
    provider: options.provider,
    records: new DisputeRepository(options.db),
    isOurs: options.isOurs,
    onActivity: nudge,
    onTransferDefunded: options.onTransferDefunded,
    intervalMs: options.pollMs,
    logger,
  });
  let timer: ReturnType<typeof setInterval> | undefined;
  let sweeping: Promise<void> | undefined;
  return {
    watcher,
    responder,
    /**
     * The operator's unilateral exit of one channel (issue 10 §2), and the node's own dispute
     * of a payer that did not settle in time (SECURITY rule 23): with the channel locked, no
     * more updates; then the node's latest doubly-signed state goes on-chain (the channel is
     * deployed first if it has no code yet). The responder carries it through from there.
     * Never twice for one state: refused (ALREADY_DISPUTED) while a dispute runs that our
     * state cannot replace, once our latest state is on record, and while the step ledger
     * holds this state's dispute mined or in flight (also after a restart). With
     * `forTransfers`, refused (NOTHING_TO_CLAIM) when the latest state holds none of them.
     */
    async dispute(
      channelAddress: string,
      only: { forTransfers?: readonly string[] } = {},
    ): Promise<DisputeStarted> {
      return options.withChannelLock(channelAddress, async () => {
        const view = await options.store.loadChannelView(channelAddress);
        if (!view?.state)
          throw new DisputeStartError("UNKNOWN_CHANNEL", `no channel ${channelAddress}`);
        const state = view.state;
        if (only.forTransfers && !only.forTransfers.some((id) => view.transfers.has(id))) {
          throw new DisputeStartError(
            "NOTHING_TO_CLAIM",
            `${channelAddress} no longer holds the transfers to claim`,
          );
        }
        const before = await readDispute(options.provider, {
          channelAddress,
          owner: options.signer.address,
          assetIds: [],
          transferIds: [],
        });
        const { consensusExpiry, defundExpiry, nonce } = before.dispute;
        const running = consensusExpiry > 0 && before.chainTime < defundExpiry;
        // Inside a consensus window our newer state still replaces the one on record.
        const answers = before.chainTime < consensusExpiry && nonce < state.nonce;
        if (running && !answers) {
          throw new DisputeStartError(
            "ALREADY_DISPUTED",
            `${channelAddress} is in dispute already`,
          );
        }
        // Its dispute ran its course and the channel was not resumed: recording it again
        // would change nothing.
        if (consensusExpiry > 0 && nonce >= state.nonce) {
          throw new DisputeStartError(
            "ALREADY_DISPUTED",
            `${channelAddress}: our latest state is on record already`,
          );
        }
        const key = disputeStepKey(
          { step: "disputeChannel" },
          {
            round: before.dispute.round,
            nonce: state.nonce,
            exitable: new Map(),
          },
        );
        // Keyed as the responder keys its steps: by the state's (checksummed) address.
        if (!(await ledger.mayRun(state.channelAddress, key))) {
          throw new DisputeStartError(
            "ALREADY_DISPUTED",
            `${channelAddress}: the dispute of nonce ${state.nonce} was sent already`,
          );
        }
        await watcher.markDisputing(channelAddress);
        await options.chain.deployChannel(state.alice, state.bob);
        const call = disputeCall({ step: "disputeChannel" }, state, options.signer.address);
        const sent = await options.chain.sendDisputeCall(state.channelAddress, key, call);
        const after = await readDispute(options.provider, {
          channelAddress,
          owner: options.signer.address,
          assetIds: [],
          transferIds: [],
        });
        logger.info({ channel: channelAddress, nonce: state.nonce }, "dispute started by the node");
        responder.advance(channelAddress).catch(() => {});
        return {
          channelAddress,
          transactionHash: sent.hash,
          nonce: state.nonce,
          consensusExpiry: after.dispute.consensusExpiry,
          defundExpiry: after.dispute.defundExpiry,
        };
      });
    },
    /** Where a channel's dispute stands, and the node's transactions for it. */
    async status(channelAddress: string): Promise<DisputeStatusReport> {
      const reading = await readDispute(options.provider, {
        channelAddress,
        owner: options.signer.address,
        assetIds: options.assets(),
        transferIds: [],
      });
      const transactions = await options.chain.transactions.list({ channelAddress, limit: 100 });
      return {
        channelAddress,
        inDispute: watcher.inDispute(channelAddress),
        chainTime: reading.chainTime,
        nonce: reading.dispute.nonce,
        round: Number(reading.dispute.round),
        consensusExpiry: reading.dispute.consensusExpiry,
        defundExpiry: reading.dispute.defundExpiry,
        transactions: transactions
          .filter((t) => t.purpose.startsWith("dispute:"))
          .map((t) => ({
            step: t.purpose.slice("dispute:".length),
            status: t.status,
            transactionHash: t.transactionHash,
          })),
      };
    },
    /** Scans the chain up to its head, then keeps watching and responding. */
    async start(): Promise<void> {
      await watcher.start();
      timer = setInterval(() => {
        sweeping ??= responder.sweep(watcher.disputedChannels()).finally(() => {
          sweeping = undefined;
        });
      }, options.pollMs);
    },
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      await watcher.stop();
      await sweeping;
    },
  };
}
