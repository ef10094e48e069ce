import type { JsonRpcProvider } from "ethers";
import type { Logger } from "pino";
import {
  type AddressBook,
  disputeCall,
  readDispute,
  type TransferDefund,
} from "../contracts-bindings";
import type { ChannelSigner } from "../protocol";
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
  /** Assets the node carries. */
  assets(): string[];
  /** Whether a channel (checksummed) is one of the node's. */
  isOurs(channelAddress: string): boolean;
  /** Proposes a resume to the user of a channel whose dispute has run its course. */
  resume(user: string): Promise<void>;
  /** A transfer was paid out on-chain (a mirror claimed by its payee, say). */
  onTransferDefunded(defund: TransferDefund): Promise<void>;
  pollMs: number;
  logger: Logger;
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
    hashlockAddress: options.book.hashlockTransfer,
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
