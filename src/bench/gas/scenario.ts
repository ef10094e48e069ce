import {
  type BaseWallet,
  type JsonRpcProvider,
  keccak256,
  parseEther,
  type TransactionReceipt,
  toUtf8Bytes,
  ZeroAddress,
} from "ethers";

/**
 * The economic story both channel systems play, with the same amounts (issue 10 §6). Alice is
 * the node, bob the user; bob exits unilaterally with one hashlock from alice to bob active.
 *
 * On-chain: alice deposits 1 ETH while creating the channel, bob sends 0.5 ETH and 100 TST,
 * then a cooperative withdrawal pays bob 0.1 ETH. Off-chain meanwhile (signed, not sent):
 * bob paid alice 40 TST, and alice locked 0.05 ETH in a hashlock to bob. Bob disputes that
 * state, defunds both assets, disputes the hashlock, defunds it with the pre-image, and both
 * sides exit both assets.
 */
export const AMOUNTS = {
  aliceDeposit: parseEther("1"),
  bobDepositNative: parseEther("0.5"),
  bobDepositToken: parseEther("100"),
  withdrawal: parseEther("0.1"),
  hashlock: parseEther("0.05"),
  tokenPaidToAlice: parseEther("40"),
} as const;

/** Dispute window (consensus and defund, each) and the hashlock's dispute window, seconds. */
export const CHANNEL_TIMEOUT = 3600;
export const TRANSFER_TIMEOUT = 3600;
/** The nonce of the disputed state: any nonce works; both sides use the same. */
export const DISPUTED_NONCE = 10;
/** The hashlock's pre-image and the transfer's id, fixed so both sides hash the same values. */
export const PRE_IMAGE = keccak256(toUtf8Bytes("gas bench pre-image"));
export const TRANSFER_ID = keccak256(toUtf8Bytes("gas bench hashlock"));
export const NATIVE = ZeroAddress;

/** The balances of the disputed state, per asset, `[alice, bob]`. */
export function disputedBalances() {
  const nativeTotal = AMOUNTS.aliceDeposit + AMOUNTS.bobDepositNative - AMOUNTS.withdrawal;
  const aliceNative = AMOUNTS.aliceDeposit - AMOUNTS.hashlock;
  return {
    native: [aliceNative, nativeTotal - aliceNative - AMOUNTS.hashlock] as [bigint, bigint],
    token: [AMOUNTS.tokenPaidToAlice, AMOUNTS.bobDepositToken - AMOUNTS.tokenPaidToAlice] as [
      bigint,
      bigint,
    ],
    /** What each party takes out in the end: the hashlock resolves to bob. */
    exitNative: [aliceNative, nativeTotal - aliceNative] as [bigint, bigint],
  };
}

/** The processed deposits of the disputed state: everything deposited was reconciled. */
export function processedDeposits() {
  return {
    alice: [AMOUNTS.aliceDeposit, 0n] as [bigint, bigint],
    bob: [AMOUNTS.bobDepositNative, AMOUNTS.bobDepositToken] as [bigint, bigint],
  };
}

/** The steps measured, in the order both systems run them. */
export const STEPS = [
  { key: "create", label: "create channel + alice's deposit (1 ETH)", exit: false },
  { key: "depositNative", label: "bob's deposit, native (0.5 ETH)", exit: false },
  { key: "depositToken", label: "bob's deposit, ERC-20 (100 TST)", exit: false },
  { key: "withdraw", label: "cooperative withdrawal (0.1 ETH to bob)", exit: false },
  { key: "disputeChannel", label: "disputeChannel", exit: true },
  { key: "defundChannel", label: "defundChannel (ETH + TST)", exit: true },
  { key: "disputeTransfer", label: "disputeTransfer (hashlock)", exit: true },
  { key: "defundTransfer", label: "defundTransfer (pre-image, by bob)", exit: true },
  { key: "exitAliceNative", label: "exit alice ETH", exit: true },
  { key: "exitAliceToken", label: "exit alice TST", exit: true },
  { key: "exitBobNative", label: "exit bob ETH", exit: true },
  { key: "exitBobToken", label: "exit bob TST", exit: true },
] as const;

export type StepKey = (typeof STEPS)[number]["key"];

/** What both systems run on: one chain, the same accounts, one shared ERC-20. */
export interface GasSetup {
  provider: JsonRpcProvider;
  chainId: number;
  deployer: BaseWallet;
  alice: BaseWallet;
  bob: BaseWallet;
  /** Our TestToken, used as the ERC-20 by both systems (bob holds plenty). */
  token: string;
}

/** Gas per step of one system's run. */
export type StepGas = Map<StepKey, bigint>;

/** A failed step, named with its system so the message says what broke. */
export class GasStepError extends Error {
  constructor(system: string, step: string, cause: unknown) {
    super(`${system}: ${step} failed: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

interface Sent {
  wait(): Promise<TransactionReceipt | null>;
}

/**
 * Records the gas of each step from its receipt. A step that reverts, or runs twice, throws
 * with the system's and the step's name.
 */
export class GasRecorder {
  readonly gas: StepGas = new Map();

  constructor(readonly system: string) {}

  async step(key: StepKey, send: () => Promise<Sent>): Promise<TransactionReceipt> {
    if (this.gas.has(key)) throw new GasStepError(this.system, key, "measured twice");
    let receipt: TransactionReceipt | null;
    try {
      receipt = await (await send()).wait();
    } catch (error) {
      throw new GasStepError(this.system, key, error);
    }
    if (receipt?.status !== 1) {
      throw new GasStepError(this.system, key, "the transaction did not succeed");
    }
    this.gas.set(key, receipt.gasUsed);
    return receipt;
  }

  /** Throws unless every step of STEPS was measured. */
  complete(): StepGas {
    const missing = STEPS.filter((step) => !this.gas.has(step.key)).map((step) => step.key);
    if (missing.length > 0) {
      throw new Error(`${this.system}: steps not measured: ${missing.join(", ")}`);
    }
    return this.gas;
  }
}

/** Moves the chain's clock on and mines a block. */
export async function passTime(provider: JsonRpcProvider, seconds: number): Promise<void> {
  await provider.send("evm_increaseTime", [seconds]);
  await provider.send("evm_mine", []);
}

/** The latest block's timestamp. */
export async function chainNow(provider: JsonRpcProvider): Promise<number> {
  const block = await provider.getBlock("latest");
  if (!block) throw new Error("no latest block");
  return block.timestamp;
}

/** Throws unless `actual` equals `expected`; `what` names the quantity. */
export function expectAmount(system: string, what: string, actual: bigint, expected: bigint) {
  if (actual !== expected) {
    throw new Error(`${system}: ${what} is ${actual}, expected ${expected}`);
  }
}

/**
 * Checks, before the exits, that the dispute left each party exactly what the story owes it:
 * the hashlock resolved to bob, every TST balance as signed.
 */
export async function expectExitables(
  system: string,
  setup: GasSetup,
  read: (assetId: string, owner: string) => Promise<bigint>,
): Promise<void> {
  const balances = disputedBalances();
  const { alice, bob, token } = setup;
  const expected: Array<[string, string, string, bigint]> = [
    ["alice's exitable ETH", NATIVE, alice.address, balances.exitNative[0]],
    ["bob's exitable ETH", NATIVE, bob.address, balances.exitNative[1]],
    ["alice's exitable TST", token, alice.address, balances.token[0]],
    ["bob's exitable TST", token, bob.address, balances.token[1]],
  ];
  for (const [what, assetId, owner, amount] of expected) {
    expectAmount(system, what, await read(assetId, owner), amount);
  }
}
