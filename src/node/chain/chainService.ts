import { type BaseWallet, getAddress, type JsonRpcProvider, ZeroAddress } from "ethers";
import type { Logger } from "pino";
import {
  type AddressBook,
  type ChannelDeposits,
  type ChannelFactory,
  ChannelFactory__factory,
  type ChannelMastercopy,
  ChannelMastercopy__factory,
  type DisputeOutcome,
  findTransferDefund,
  readChannelDeposits,
  readDisputeOutcome,
  TestToken__factory,
  type TransferDefund,
} from "../../contracts-bindings";
import { channelAddressFor, type NetworkContext, type WithdrawData } from "../../protocol";
import type { StoreDb } from "../store/database";
import { OnchainTransactionRepository } from "../store/onchainTransactions";
import { BlockReads } from "./blockReads";
import { DisputeStepLedger } from "./disputeSteps";
import { ChainError, isChainError } from "./errors";
import { KeyedSerialQueue } from "./serialQueue";
import {
  type SentTransaction,
  type TransactionCall,
  type TransactionMeta,
  TransactionSender,
  type TransactionSenderOptions,
} from "./transactionSender";

export interface ChainServiceOptions {
  provider: JsonRpcProvider;
  /** The node's key ("alice" in every channel), connected to `provider`. */
  wallet: BaseWallet;
  addressBook: AddressBook;
  db: StoreDb;
  logger: Logger;
  /** Blocks before a transaction counts as mined. Default 1. */
  confirmations?: number;
  /** The block a channel's latest dispute started in (the dispute watcher's record). */
  disputeBlock?(channelAddress: string): Promise<number | undefined>;
  /** Retries, timeouts and gas margin of the transaction sender. */
  sender?: Pick<
    TransactionSenderOptions,
    | "retry"
    | "maxNonceResyncs"
    | "pollIntervalMs"
    | "receiptTimeoutMs"
    | "gasMarginPercent"
    | "turns"
  >;
}

export interface DeployResult {
  channelAddress: string;
  /** Absent when the channel already existed (or another sender deployed it first). */
  transactionHash?: string;
}

export interface DepositAliceParams {
  alice: string;
  bob: string;
  /** 0x0 for the native coin, else an ERC-20. */
  assetId: string;
  amount: bigint;
}

export interface DepositResult {
  channelAddress: string;
  transactionHash: string;
}

export interface WithdrawParams {
  alice: string;
  bob: string;
  commitment: WithdrawData;
  aliceSignature: string;
  bobSignature: string;
}

export interface WithdrawResult {
  channelAddress: string;
  /** Absent when the commitment had already been paid out. */
  transactionHash?: string;
  alreadyExecuted: boolean;
}

export const NATIVE_ASSET = ZeroAddress;

const isNative = (assetId: string) => assetId.toLowerCase() === NATIVE_ASSET;

/**
 * The node's view of and actions on the chain: deposit totals, channel deployment, alice's
 * deposits and withdrawals. Every transaction goes through one `TransactionSender`, so the
 * node's nonces never collide and every send is recorded in onchain_transactions.
 *
 * @example
 * const chain = new ChainService({ provider, wallet, addressBook, db, logger });
 * const { totalDepositsBob } = await chain.readDeposits(channelAddress, NATIVE_ASSET);
 * await chain.depositAlice({ alice: chain.address, bob, assetId: NATIVE_ASSET, amount: 10n ** 18n });
 */
export class ChainService {
  readonly transactions: OnchainTransactionRepository;
  private readonly sender: TransactionSender;
  private readonly provider: JsonRpcProvider;
  private readonly factory: ChannelFactory;
  private readonly network: NetworkContext;
  private readonly logger: Logger;
  /** One deployment per channel, one approve-and-deposit per (token, spender), one send per withdrawal. */
  private readonly deploys = new KeyedSerialQueue();
  private readonly allowances = new KeyedSerialQueue();
  private readonly withdrawals = new KeyedSerialQueue();
  private networkChecked: Promise<void> | undefined;
  /** Deposit totals by block: one read per channel, asset and block, however many ask. */
  private readonly blockReads: BlockReads;

  constructor(private readonly options: ChainServiceOptions) {
    const { provider, addressBook, db, logger, wallet } = options;
    this.provider = provider;
    this.blockReads = new BlockReads(() => provider.getBlockNumber());
    this.logger = logger.child({ component: "chain" });
    this.transactions = new OnchainTransactionRepository(db);
    this.factory = ChannelFactory__factory.connect(addressBook.channelFactory, provider);
    this.network = {
      chainId: addressBook.chainId,
      channelFactoryAddress: addressBook.channelFactory,
      channelMastercopyAddress: addressBook.channelMastercopy,
      transferRegistryAddress: addressBook.transferRegistry,
    };
    this.sender = new TransactionSender({
      ...options.sender,
      wallet,
      provider,
      repository: this.transactions,
      logger: this.logger,
      confirmations: options.confirmations ?? 1,
      pollIntervalMs: options.sender?.pollIntervalMs ?? provider.pollingInterval,
      errorInterfaces: [
        ChannelMastercopy__factory.createInterface(),
        ChannelFactory__factory.createInterface(),
        TestToken__factory.createInterface(),
      ],
    });
  }

  /** The node's address: alice in every channel. */
  get address(): string {
    return this.options.wallet.address;
  }

  /** The channel's CREATE2 address, computed locally: known before deployment. */
  channelAddress(alice: string, bob: string): string {
    return channelAddressFor(getAddress(alice), getAddress(bob), this.network);
  }

  async isDeployed(channelAddress: string, blockTag?: number): Promise<boolean> {
    return (await this.provider.getCode(channelAddress, blockTag)) !== "0x";
  }

  /**
   * Both sides' deposit totals, read at one block (the bindings' `readChannelDeposits`, which
   * the client uses too, so both sides reconcile the same numbers). An undeployed channel has
   * no alice deposits yet, and everything at its address is bob's. Only deposits with
   * `confirmations` confirmations count (read at head − (confirmations − 1)): a deposit a reorg
   * could still undo is not credited. The node's own deposits wait for as many before they
   * return, so they are visible here at once; the node advertises the depth in GET /config.
   */
  async readDeposits(channelAddress: string, assetId: string): Promise<ChannelDeposits> {
    const depth = Math.max(1, this.options.confirmations ?? 1);
    const block = Math.max(0, (await this.blockReads.headBlock()) - (depth - 1));
    return this.blockReads.at(`deposits:${channelAddress}:${assetId}`.toLowerCase(), block, () =>
      readChannelDeposits(this.provider, channelAddress, assetId, { blockTag: block }),
    );
  }

  /** How a transfer was paid out on-chain in the channel's latest dispute, if it was. */
  async findTransferDefund(
    channelAddress: string,
    transferId: string,
  ): Promise<TransferDefund | undefined> {
    const from = (await this.options.disputeBlock?.(channelAddress)) ?? 0;
    return findTransferDefund(this.provider, channelAddress, transferId, from);
  }

  /** What the channel's finished dispute left on-chain, as a resume update needs it. */
  readDisputeOutcome(
    channelAddress: string,
    assetIds: string[],
    transferIds: string[],
  ): Promise<DisputeOutcome> {
    return readDisputeOutcome(this.provider, channelAddress, assetIds, transferIds);
  }

  async balanceOf(assetId: string, address: string, blockTag?: number): Promise<bigint> {
    if (isNative(assetId)) return this.provider.getBalance(address, blockTag);
    // TestToken's ABI is OpenZeppelin's ERC20 plus `mint`; only the ERC-20 part is used.
    return TestToken__factory.connect(assetId, this.provider).balanceOf(address, { blockTag });
  }

  /** The node's native-coin balance, which pays for its gas. */
  async nativeBalance(): Promise<bigint> {
    return this.provider.getBalance(this.address);
  }

  /**
   * Deploys the channel unless it exists. Idempotent: concurrent calls share one
   * deployment, and losing a race to another deployer is not an error.
   */
  async deployChannel(alice: string, bob: string): Promise<DeployResult> {
    const channelAddress = this.channelAddress(alice, bob);
    return this.deploys.run(channelAddress, async () => {
      if (await this.isDeployed(channelAddress)) return { channelAddress };
      const call = await this.factory.createChannel.populateTransaction(alice, bob);
      try {
        const sent = await this.send(call, { purpose: "deploy", channelAddress });
        return { channelAddress, transactionHash: sent.hash };
      } catch (error) {
        if (
          isChainError(error, "TRANSACTION_REVERTED") &&
          (await this.isDeployed(channelAddress))
        ) {
          this.logger.info({ channelAddress }, "channel deployed by someone else first");
          return { channelAddress };
        }
        throw error;
      }
    });
  }

  /**
   * Deposits `amount` as alice, returning once mined. An undeployed channel is deployed in
   * the same transaction (createChannelAndDepositAlice); a token is approved first.
   */
  async depositAlice(params: DepositAliceParams): Promise<DepositResult> {
    const { alice, bob, assetId, amount } = params;
    if (amount <= 0n) {
      throw new ChainError("INVALID_REQUEST", `deposit amount must be positive, got ${amount}`);
    }
    const channelAddress = this.channelAddress(alice, bob);
    const deployed = await this.isDeployed(channelAddress);
    const value = isNative(assetId) ? amount : 0n;
    // The factory path stays right even if someone deploys the channel in the meantime.
    const call = deployed
      ? await this.channel(channelAddress).depositAlice.populateTransaction(assetId, amount, {
          value,
        })
      : await this.factory.createChannelAndDepositAlice.populateTransaction(
          alice,
          bob,
          assetId,
          amount,
          { value },
        );
    const meta = { purpose: "deposit", channelAddress };
    if (isNative(assetId)) {
      const sent = await this.send(call, meta);
      return { channelAddress, transactionHash: sent.hash };
    }
    const spender = deployed ? channelAddress : this.options.addressBook.channelFactory;
    // approve sets (not adds) the allowance: a concurrent deposit through the same spender
    // must not overwrite ours before ours is spent.
    return this.allowances.run(`${assetId.toLowerCase()}:${spender.toLowerCase()}`, async () => {
      await this.ensureAllowance(assetId, spender, amount, channelAddress);
      const sent = await this.send(call, meta);
      return { channelAddress, transactionHash: sent.hash };
    });
  }

  /**
   * Waits for the channel's deposits that went out and have no outcome recorded (another node
   * process's, or one this process sent before it restarted), so that a top-up counts them
   * rather than deposit again. One that the chain does not know was dropped and is not waited
   * for; one with no receipt within the sender's receipt timeout fails the wait
   * (CONFIRMATION_TIMEOUT): better no top-up than a doubled one.
   */
  awaitDepositsInFlight(channelAddress: string): Promise<void> {
    return this.awaitInFlight(channelAddress, "deposit");
  }

  /** The channel's transactions for `purpose` in flight, waited for (awaitDepositsInFlight). */
  private async awaitInFlight(channelAddress: string, purpose: string): Promise<void> {
    for (const row of await this.transactions.inFlight(channelAddress, purpose)) {
      const hash = row.transactionHash as string;
      if ((await this.provider.getTransaction(hash)) === null) continue;
      const timeoutMs = this.options.sender?.receiptTimeoutMs ?? 600_000;
      this.logger.info(
        { txId: row.id, hash, purpose, channel: channelAddress },
        "awaiting a transaction in flight",
      );
      const receipt = await this.provider
        .waitForTransaction(hash, this.options.confirmations ?? 1, timeoutMs)
        .catch(() => null);
      if (!receipt) {
        throw new ChainError(
          "CONFIRMATION_TIMEOUT",
          `${purpose} ${hash} on ${channelAddress} still has no receipt`,
          { transactionHash: hash },
        );
      }
      if (receipt.status === 1) await this.transactions.markMined(row.id, receipt.gasUsed);
      else await this.transactions.markFailed(row.id, "reverted", receipt.gasUsed);
    }
  }

  /**
   * Several node processes: broadcasts what a process that died mid-broadcast left signed
   * (`TransactionSender.finishLeftovers`); the node runs it on a timer.
   */
  finishLeftoverTransactions(): Promise<void> {
    return this.sender.finishLeftovers();
  }

  /**
   * Submits a doubly-signed withdrawal commitment, deploying the channel first if needed.
   * A commitment the channel already paid out is reported, not sent again.
   */
  async withdraw(params: WithdrawParams): Promise<WithdrawResult> {
    const { alice, bob, commitment, aliceSignature, bobSignature } = params;
    const channelAddress = this.channelAddress(alice, bob);
    if (getAddress(commitment.channelAddress) !== channelAddress) {
      throw new ChainError(
        "INVALID_REQUEST",
        `commitment is for ${commitment.channelAddress}, not the channel ${channelAddress}`,
      );
    }
    await this.deployChannel(alice, bob);
    const channel = this.channel(channelAddress);
    const data = {
      channelAddress,
      assetId: commitment.assetId,
      recipient: commitment.recipient,
      amount: commitment.amount,
      nonce: commitment.nonce,
    };
    const digest = await channel.withdrawDigest(data);
    return this.withdrawals.run(digest, async () => {
      // A withdrawal another process sent (or one that died sending it): mined before we look.
      await this.awaitInFlight(channelAddress, "withdraw");
      if (await channel.isWithdrawalExecuted(digest)) {
        return { channelAddress, alreadyExecuted: true };
      }
      const call = await channel.withdraw.populateTransaction(data, aliceSignature, bobSignature);
      try {
        const sent = await this.send(call, { purpose: "withdraw", channelAddress });
        return { channelAddress, transactionHash: sent.hash, alreadyExecuted: false };
      } catch (error) {
        // Anyone may submit a commitment: someone else's may have landed before ours.
        if (
          isChainError(error, "TRANSACTION_REVERTED") &&
          (await channel.isWithdrawalExecuted(digest))
        ) {
          return { channelAddress, alreadyExecuted: true };
        }
        throw error;
      }
    });
  }

  /**
   * Sends a dispute step's call (`disputeCall`) and waits for it to be mined; a revert is a
   * ChainError (the step may have been taken by someone else: the planner reads again).
   */
  async sendDisputeCall(
    channelAddress: string,
    key: string,
    call: { to: string; data: string },
  ): Promise<SentTransaction> {
    return this.send(call, { purpose: DisputeStepLedger.purpose(key), channelAddress });
  }

  /** Raises the node's allowance for `spender` to at least `amount`. */
  private async ensureAllowance(
    token: string,
    spender: string,
    amount: bigint,
    channelAddress: string,
  ): Promise<void> {
    const erc20 = TestToken__factory.connect(token, this.provider);
    const current = await erc20.allowance(this.address, spender);
    if (current >= amount) return;
    const meta = { purpose: "approve", channelAddress };
    // Some tokens (USDT) refuse to change a non-zero allowance to another non-zero one.
    if (current > 0n) await this.send(await erc20.approve.populateTransaction(spender, 0n), meta);
    await this.send(await erc20.approve.populateTransaction(spender, amount), meta);
  }

  private async send(
    call: { to: string; data: string; value?: bigint | null },
    meta: TransactionMeta,
  ): Promise<SentTransaction> {
    await this.checkNetwork();
    const request: TransactionCall = { to: call.to, data: call.data };
    if (call.value) request.value = call.value;
    return this.sender.send(request, meta);
  }

  /** Refuses to send on a chain other than the address book's (once per service). */
  private checkNetwork(): Promise<void> {
    this.networkChecked ??= this.provider.getNetwork().then((network) => {
      if (network.chainId !== BigInt(this.network.chainId)) {
        throw new ChainError(
          "WRONG_NETWORK",
          `the RPC is on chain ${network.chainId}, the address book on ${this.network.chainId}`,
        );
      }
    });
    const checked = this.networkChecked;
    checked.catch(() => {
      if (this.networkChecked === checked) this.networkChecked = undefined;
    });
    return checked;
  }

  private channel(channelAddress: string): ChannelMastercopy {
    return ChannelMastercopy__factory.connect(channelAddress, this.provider);
  }
}
