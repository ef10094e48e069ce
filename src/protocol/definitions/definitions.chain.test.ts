import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { AbiCoder, getAddress, isCallException, JsonRpcProvider } from "ethers";
import {
  type AddressBook,
  deployContracts,
  devAccount,
  type HashlockTransfer,
  HashlockTransfer__factory,
  type ThreadTransfer,
  ThreadTransfer__factory,
  TransferRegistry__factory,
  type Withdraw,
  Withdraw__factory,
} from "../../contracts-bindings";
import { type Anvil, startAnvil } from "../../node/chain/anvil";
import { isProtocolError, type ProtocolErrorCode } from "../errors";
import type { Balance, Bytes32, HexString } from "../types";
import {
  assertRegistrationMatches,
  definitionRegistry,
  type EncodedTransferDefinition,
  type HashlockState,
  hashlock,
  hashlockLockHash,
  lookupDefinition,
  type ThreadResolver,
  type ThreadState,
  thread,
  threadVoucherDigest,
  type WithdrawState,
  withdraw,
} from ".";
import { highS, randomHex, randomKey, rawV, type TestKey } from "./testUtils";
import type { DefinitionDeployment } from "./types";

// The contracts are the ground truth: for the same random inputs, the mirror must accept with
// the same final balance, or reject, exactly where the contract does.

const CASES = 300;
const MAX = 2n ** 256n - 1n;
const ZERO32 = `0x${"0".repeat(64)}`;
const ZERO_ADDRESS = `0x${"0".repeat(40)}`;
const coder = AbiCoder.defaultAbiCoder();

let anvil: Anvil;
let provider: JsonRpcProvider;
let book: AddressBook;
let hashlockContract: HashlockTransfer;
let withdrawContract: Withdraw;
let threadContract: ThreadTransfer;
/** ThreadTransfer's deployment: its vouchers' EIP-712 domain. */
let threadDeployment: DefinitionDeployment;
/** Calls run against this mined block, so `block.timestamp` is exactly `now`. */
let blockTag: number;
let now: number;

beforeAll(async () => {
  anvil = await startAnvil();
  provider = new JsonRpcProvider(anvil.rpcUrl, undefined, {
    staticNetwork: true,
    cacheTimeout: -1,
  });
  book = await deployContracts(devAccount(0, provider));
  hashlockContract = HashlockTransfer__factory.connect(book.hashlockTransfer, provider);
  withdrawContract = Withdraw__factory.connect(book.withdraw, provider);
  threadContract = ThreadTransfer__factory.connect(book.threadTransfer, provider);
  const { chainId } = await provider.getNetwork();
  threadDeployment = { chainId: Number(chainId), definition: getAddress(book.threadTransfer) };
  const block = await provider.getBlock("latest");
  if (!block) throw new Error("no latest block");
  blockTag = block.number;
  now = block.timestamp;
});

afterAll(async () => {
  provider?.destroy();
  await anvil?.stop();
});

// --- outcomes -------------------------------------------------------------------------------

type Outcome = { ok: true; balance?: Balance } | { ok: false; reason: string };

const encodeBalance = (balance: Balance) =>
  coder.encode(["tuple(address[2] to, uint256[2] amount)"], [[balance.to, balance.amount]]);

/** The contract's answer: its result, or the revert (any other failure fails the test). */
async function onChain(call: () => Promise<unknown>): Promise<Outcome> {
  try {
    const result = await call();
    if (typeof result === "boolean") return result ? { ok: true } : { ok: false, reason: "false" };
    const { to, amount } = result as { to: string[]; amount: bigint[] };
    return {
      ok: true,
      balance: { to: [to[0], to[1]], amount: [amount[0], amount[1]] } as Balance,
    };
  } catch (error) {
    if (isCallException(error)) return { ok: false, reason: error.revert?.name ?? "Panic" };
    throw error;
  }
}

/** The mirror's answer; a ProtocolError other than `rejection` fails the test. */
function mirrored(run: () => Balance | undefined, rejection: ProtocolErrorCode): Outcome {
  try {
    const balance = run();
    return balance ? { ok: true, balance: normalise(balance) } : { ok: true };
  } catch (error) {
    if (isProtocolError(error, rejection)) return { ok: false, reason: error.message };
    throw error;
  }
}

function normalise(balance: Balance): Balance {
  return { to: [getAddress(balance.to[0]), getAddress(balance.to[1])], amount: balance.amount };
}

const describeOutcome = (outcome: Outcome) =>
  outcome.ok ? "accepts" : `rejects (${outcome.reason})`;
const showInput = (input: unknown) =>
  JSON.stringify(input, (_, value) => (typeof value === "bigint" ? value.toString() : value));

/** Same verdict and same balance; returns whether it accepted, for the tallies. */
function expectSame(contract: Outcome, mirror: Outcome, input: unknown): boolean {
  if (contract.ok !== mirror.ok) {
    throw new Error(
      `contract ${describeOutcome(contract)}, mirror ${describeOutcome(mirror)}: ${showInput(input)}`,
    );
  }
  if (contract.ok && mirror.ok) expect(mirror.balance).toEqual(contract.balance);
  return contract.ok;
}

/** A create rule as a mirrored call: it returns nothing when it accepts. */
const creating =
  (run: () => void): (() => undefined) =>
  () => {
    run();
    return undefined;
  };

interface DefinitionContract {
  create(balance: string, state: string, overrides: { blockTag: number }): Promise<boolean>;
  resolve(
    balance: string,
    state: string,
    resolver: string,
    overrides: { blockTag: number },
  ): Promise<unknown>;
}

interface EncodedCase {
  balance: Balance;
  state: HexString;
  resolver: HexString;
}

/**
 * Runs create and resolve of each case on the contract and on the mirror, requires the same
 * outcome, and requires both verdicts to have come up often enough to mean something.
 */
async function crossCheck(
  definition: EncodedTransferDefinition,
  contract: DefinitionContract,
  cases: readonly EncodedCase[],
  inputs: readonly unknown[],
  deployment?: DefinitionDeployment,
): Promise<void> {
  const tally = { created: 0, refusedCreate: 0, resolved: 0, refusedResolve: 0 };
  await Promise.all(
    cases.map(async ({ balance, state, resolver }, i) => {
      const encodedBalance = encodeBalance(balance);
      const [created, resolved] = await Promise.all([
        onChain(() => contract.create(encodedBalance, state, { blockTag })),
        onChain(() => contract.resolve(encodedBalance, state, resolver, { blockTag })),
      ]);
      const mirrorCreated = mirrored(
        creating(() => definition.createEncoded(balance, state, now)),
        "TRANSFER_REJECTED",
      );
      const mirrorResolved = mirrored(
        () => definition.resolveEncoded(balance, state, resolver, now, deployment),
        "RESOLVE_REJECTED",
      );
      if (expectSame(created, mirrorCreated, inputs[i])) tally.created++;
      else tally.refusedCreate++;
      if (expectSame(resolved, mirrorResolved, inputs[i])) tally.resolved++;
      else tally.refusedResolve++;
    }),
  );
  for (const count of Object.values(tally)) expect(count).toBeGreaterThan(cases.length / 20);
}

// --- random inputs --------------------------------------------------------------------------

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;
const chance = (p: number) => Math.random() < p;

/** Amounts weighted towards the edges: zero, one, small, any width, the maximum. */
function amount(): bigint {
  return pick([
    () => 0n,
    () => 1n,
    () => BigInt(Math.floor(Math.random() * 1000)),
    () => BigInt(randomHex(1 + Math.floor(Math.random() * 32))),
    () => MAX,
    () => MAX - BigInt(Math.floor(Math.random() * 3)),
  ])();
}

function randomBalance(): Balance {
  return {
    to: [getAddress(randomHex(20)), getAddress(randomHex(20))],
    amount: [amount(), chance(0.65) ? 0n : amount()],
  };
}

/** Expiries around the block's timestamp, plus none, far past and far future. */
function expiry(): bigint {
  if (chance(0.25)) return 0n;
  if (chance(0.7)) return BigInt(now + Math.floor(Math.random() * 7) - 3);
  return pick([1n, MAX, BigInt(now) + BigInt(randomHex(4)), BigInt(randomHex(32))]);
}

interface HashlockCase {
  balance: Balance;
  state: HashlockState;
  preImage: Bytes32;
}

function hashlockCase(): HashlockCase {
  const secret = randomHex(32);
  const lockHash = chance(0.1) ? ZERO32 : chance(0.8) ? hashlockLockHash(secret) : randomHex(32);
  const preImage = chance(0.15) ? ZERO32 : chance(0.7) ? secret : randomHex(32);
  return { balance: randomBalance(), state: { lockHash, expiry: expiry() }, preImage };
}

interface WithdrawCase {
  balance: Balance;
  state: WithdrawState;
  responderSignature: HexString;
}

const keys: TestKey[] = Array.from({ length: 6 }, randomKey);

/** A signature on `digest` by `signer`, or one of the ways to get it wrong. */
function signature(signer: TestKey, digest: Bytes32): HexString {
  const good = signer.sign(digest);
  return pick([
    () => good,
    () => good,
    () => good,
    () => good,
    () => good,
    () => pick(keys).sign(digest), // maybe another key
    () => signer.sign(randomHex(32)), // another digest
    () => "0x",
    () => highS(good),
    () => rawV(good),
    () => good.slice(0, 130), // 64 bytes
    () => `${good}00`, // 66 bytes
    () => `${randomHex(64)}${pick(["1b", "1c"])}`,
    () => randomHex(Math.floor(Math.random() * 70)), // any length, mostly not 65
  ])();
}

function withdrawCase(): WithdrawCase {
  const [initiator, responder] = [pick(keys), pick(keys)];
  const data = chance(0.05) ? ZERO32 : randomHex(32);
  const balance = randomBalance();
  const a0 = balance.amount[0];
  const fee = pick([0n, a0, a0 + 1n, a0 > 0n ? a0 - 1n : 0n, amount(), amount()]);
  return {
    balance,
    state: {
      initiatorSignature: signature(initiator, data),
      initiator: chance(0.05) ? ZERO_ADDRESS : initiator.address,
      responder: chance(0.05) ? ZERO_ADDRESS : responder.address,
      data,
      nonce: amount(),
      fee: fee > MAX ? MAX : fee,
    },
    responderSignature: chance(0.2) ? "0x" : signature(responder, data),
  };
}

interface ThreadCase {
  balance: Balance;
  state: ThreadState;
  resolver: ThreadResolver;
}

/** The payer's voucher signature for `amount` on `threadId`, or one of the ways to forge it. */
function voucherSignature(payer: TestKey, threadId: Bytes32, amount: bigint): HexString {
  const digest = (id: Bytes32, paid: bigint, at = threadDeployment) =>
    threadVoucherDigest({ threadId: id, amount: paid }, at);
  return pick([
    () => signature(payer, digest(threadId, amount)), // valid, or malformed
    () => signature(payer, digest(threadId, amount)),
    () => payer.sign(digest(threadId, amount)),
    () => pick(keys).sign(digest(threadId, amount)), // forged: maybe another key
    () => payer.sign(digest(randomHex(32), amount)), // another thread
    () => payer.sign(digest(threadId, amount + 1n > MAX ? 0n : amount + 1n)), // another amount
    () => payer.sign(digest(threadId, amount, { ...threadDeployment, chainId: 1 })), // other chain
    () => payer.sign(digest(threadId, amount, { ...threadDeployment, definition: randomHex(20) })),
  ])();
}

function threadCase(): ThreadCase {
  const [payer, payee] = [pick(keys), chance(0.9) ? pick(keys) : (keys[0] as TestKey)];
  const balance = randomBalance();
  if (chance(0.8)) balance.amount[1] = 0n;
  const lock = balance.amount[0];
  const threadId = chance(0.05) ? ZERO32 : randomHex(32);
  const state: ThreadState = {
    payer: chance(0.05) ? ZERO_ADDRESS : payer.address,
    payee: chance(0.05) ? ZERO_ADDRESS : payee.address,
    threadId,
    amount: chance(0.85) ? lock : amount(),
    expiry: expiry(),
  };
  if (chance(0.15)) {
    // A cancel, or an amount without a signature.
    return { balance, state, resolver: { amount: chance(0.7) ? 0n : amount(), signature: "0x" } };
  }
  const paid = pick([
    () => 0n,
    () => (lock > 0n ? lock - 1n : 0n),
    () => lock,
    () => (lock < MAX ? lock + 1n : lock), // above the lock
    () => (lock > 1n ? lock / 2n : 1n),
    amount,
  ])();
  return {
    balance,
    state,
    resolver: { amount: paid, signature: voucherSignature(payer, threadId, paid) },
  };
}

// --- cross-checks ---------------------------------------------------------------------------

describe("HashlockTransfer mirror", () => {
  test(`create and resolve agree with the contract on ${CASES} random inputs`, async () => {
    const inputs = Array.from({ length: CASES }, hashlockCase);
    const cases = inputs.map((input) => ({
      balance: input.balance,
      state: hashlock.encodeState(input.state),
      resolver: hashlock.encodeResolver({ preImage: input.preImage }),
    }));
    await crossCheck(hashlock, hashlockContract, cases, inputs);
  });

  test("the registry information equals the mirror's, and the contract's cancel resolves to the balance", async () => {
    const info = await hashlockContract.getRegistryInformation();
    expect(info.definition).toBe(getAddress(book.hashlockTransfer));
    assertRegistrationMatches(hashlock, info);
    expect(hashlock.decodeResolver(info.encodedCancel)).toEqual(hashlock.cancelResolver());

    const balance = randomBalance();
    const state = hashlock.encodeState({ lockHash: randomHex(32), expiry: 1n });
    const contract = await onChain(() =>
      hashlockContract.resolve(encodeBalance(balance), state, info.encodedCancel, { blockTag }),
    );
    expect(contract).toEqual({ ok: true, balance });
    expect(hashlock.resolveEncoded(balance, state, info.encodedCancel, now)).toEqual(balance);
  });

  test("the mirror refuses encodings the contract's abi.decode tolerates (canonical only)", async () => {
    const balance: Balance = { to: [ZERO_ADDRESS, ZERO_ADDRESS], amount: [1n, 0n] };
    const state = hashlock.encodeState({ lockHash: randomHex(32), expiry: 0n });
    const trailing = `${state}${"0".repeat(64)}`;
    const contract = await onChain(() =>
      hashlockContract.create(encodeBalance(balance), trailing, { blockTag }),
    );
    expect(contract).toEqual({ ok: true });
    const mirror = mirrored(
      creating(() => hashlock.createEncoded(balance, trailing, now)),
      "MALFORMED_MESSAGE",
    );
    expect(mirror).toMatchObject({ ok: false });
  });
});

describe("Withdraw mirror", () => {
  test(`create and resolve agree with the contract on ${CASES} random inputs`, async () => {
    const inputs = Array.from({ length: CASES }, withdrawCase);
    const cases = inputs.map((input) => ({
      balance: input.balance,
      state: withdraw.encodeState(input.state),
      resolver: withdraw.encodeResolver({ responderSignature: input.responderSignature }),
    }));
    await crossCheck(withdraw, withdrawContract, cases, inputs);
  });

  test("the registry information equals the mirror's, and the contract's cancel resolves to the balance", async () => {
    const info = await withdrawContract.getRegistryInformation();
    expect(info.definition).toBe(getAddress(book.withdraw));
    assertRegistrationMatches(withdraw, info);
    expect(withdraw.decodeResolver(info.encodedCancel)).toEqual(withdraw.cancelResolver());

    const { balance, state } = withdrawCase();
    const encoded = withdraw.encodeState(state);
    const contract = await onChain(() =>
      withdrawContract.resolve(encodeBalance(balance), encoded, info.encodedCancel, { blockTag }),
    );
    expect(contract).toEqual({ ok: true, balance });
    expect(withdraw.resolveEncoded(balance, encoded, info.encodedCancel, now)).toEqual(balance);
  });

  test("an address word with dirty high bytes is refused by both", async () => {
    const key = keys[0] as TestKey;
    const data = randomHex(32);
    const balance: Balance = { to: [key.address, key.address], amount: [5n, 0n] };
    const state = withdraw.encodeState({
      initiatorSignature: key.sign(data),
      initiator: key.address,
      responder: key.address,
      data,
      nonce: 0n,
      fee: 0n,
    });
    expect(
      await onChain(() => withdrawContract.create(encodeBalance(balance), state, { blockTag })),
    ).toEqual({ ok: true });
    const dirty = `${state.slice(0, 2 + 2 * 64)}01${state.slice(2 + 2 * 64 + 2)}`;
    expect(
      await onChain(() => withdrawContract.create(encodeBalance(balance), dirty, { blockTag })),
    ).toMatchObject({ ok: false });
    expect(
      mirrored(
        creating(() => withdraw.createEncoded(balance, dirty, now)),
        "MALFORMED_MESSAGE",
      ),
    ).toMatchObject({ ok: false });
  });
});

describe("ThreadTransfer mirror", () => {
  test(`create and resolve agree with the contract on ${CASES} random inputs`, async () => {
    const inputs = Array.from({ length: CASES }, threadCase);
    const cases = inputs.map((input) => ({
      balance: input.balance,
      state: thread.encodeState(input.state),
      resolver: thread.encodeResolver(input.resolver),
    }));
    await crossCheck(thread, threadContract, cases, inputs, threadDeployment);
  });

  test("threadVoucherDigest equals the contract's voucherDigest", async () => {
    const vouchers = Array.from({ length: 40 }, () => ({
      threadId: chance(0.05) ? ZERO32 : randomHex(32),
      amount: amount(),
    }));
    await Promise.all(
      vouchers.map(async (voucher) => {
        const contract = await threadContract.voucherDigest(voucher.threadId, voucher.amount, {
          blockTag,
        });
        expect(threadVoucherDigest(voucher, threadDeployment)).toBe(contract);
        // Another deployment signs another digest.
        expect(
          threadVoucherDigest(voucher, { ...threadDeployment, definition: book.withdraw }),
        ).not.toBe(contract);
      }),
    );
  });

  test("a valid voucher pays min(amount, lock), before the expiry only; a cancel at any time", async () => {
    const payer = keys[1] as TestKey;
    const payee = keys[2] as TestKey;
    const threadId = randomHex(32);
    const lock = 10n;
    const balance: Balance = { to: [payer.address, payee.address], amount: [lock, 0n] };
    const live: ThreadState = {
      payer: payer.address,
      payee: payee.address,
      threadId,
      amount: lock,
      expiry: BigInt(now + 1),
    };
    const voucher = (paid: bigint): ThreadResolver => ({
      amount: paid,
      signature: payer.sign(threadVoucherDigest({ threadId, amount: paid }, threadDeployment)),
    });
    const both = async (state: ThreadState, resolver: ThreadResolver) => {
      const [encodedState, encodedResolver] = [
        thread.encodeState(state),
        thread.encodeResolver(resolver),
      ];
      const contract = await onChain(() =>
        threadContract.resolve(encodeBalance(balance), encodedState, encodedResolver, {
          blockTag,
        }),
      );
      const mirror = mirrored(
        () => thread.resolve(balance, state, resolver, now, threadDeployment),
        "RESOLVE_REJECTED",
      );
      expectSame(contract, mirror, { balance, state, resolver });
      return contract;
    };
    const paying = (paid: bigint): Outcome => ({
      ok: true,
      balance: { to: balance.to, amount: [lock - paid, paid] },
    });
    expect(await both(live, voucher(4n))).toEqual(paying(4n));
    expect(await both(live, voucher(lock))).toEqual(paying(lock));
    expect(await both(live, voucher(lock + 5n))).toEqual(paying(lock));
    expect(await both(live, voucher(0n))).toEqual(paying(0n));
    expect(await both(live, thread.cancelResolver())).toEqual(paying(0n));
    const expired = { ...live, expiry: BigInt(now) };
    expect(await both(expired, voucher(4n))).toEqual({ ok: false, reason: "TransferExpired" });
    expect(await both(expired, thread.cancelResolver())).toEqual(paying(0n));
    expect(await both(live, { amount: 1n, signature: "0x" })).toEqual({
      ok: false,
      reason: "InvalidCancel",
    });
    const forged = { amount: 4n, signature: payee.sign(voucher(4n).signature.slice(0, 66)) };
    expect(await both(live, forged)).toMatchObject({ ok: false, reason: "InvalidVoucherSigner" });
    expect(await both(live, { ...voucher(4n), signature: highS(voucher(4n).signature) })).toEqual({
      ok: false,
      reason: "InvalidVoucherSignature",
    });
    const otherThread = {
      amount: 4n,
      signature: payer.sign(
        threadVoucherDigest({ threadId: randomHex(32), amount: 4n }, threadDeployment),
      ),
    };
    expect(await both(live, otherThread)).toMatchObject({
      ok: false,
      reason: "InvalidVoucherSigner",
    });
  });

  test("the registry information equals the mirror's, and the contract's cancel resolves to the balance", async () => {
    const info = await threadContract.getRegistryInformation();
    expect(info.definition).toBe(getAddress(book.threadTransfer));
    assertRegistrationMatches(thread, info);
    expect(thread.decodeResolver(info.encodedCancel)).toEqual(thread.cancelResolver());

    const { balance, state } = threadCase();
    const encoded = thread.encodeState(state);
    const contract = await onChain(() =>
      threadContract.resolve(encodeBalance(balance), encoded, info.encodedCancel, { blockTag }),
    );
    expect(contract).toEqual({ ok: true, balance });
    expect(thread.resolveEncoded(balance, encoded, info.encodedCancel, now)).toEqual(balance);
  });
});

describe("TransferRegistry", () => {
  test("every registered definition is mirrored, at its address", async () => {
    const registryContract = TransferRegistry__factory.connect(book.transferRegistry, provider);
    const all = await registryContract.getTransferDefinitions();
    const rules = {
      HashlockTransfer: hashlock,
      Withdraw: withdraw,
      ThreadTransfer: thread,
    } as const;
    const unmirrored: string[] = [];
    expect(all.map((entry) => entry.name).sort()).toEqual(
      [...Object.keys(rules), ...unmirrored].sort(),
    );
    const registered = all.filter((entry) => !unmirrored.includes(entry.name));
    const registry = definitionRegistry(
      registered.map((entry) => ({
        address: entry.definition,
        rules: rules[entry.name as keyof typeof rules],
      })),
    );
    for (const entry of registered) {
      const definition = lookupDefinition(registry, entry.definition);
      assertRegistrationMatches(definition, entry);
    }
    expect(lookupDefinition(registry, book.hashlockTransfer)).toBe(hashlock);
    expect(lookupDefinition(registry, book.withdraw)).toBe(withdraw);
    expect(lookupDefinition(registry, book.threadTransfer)).toBe(thread);
  });
});
