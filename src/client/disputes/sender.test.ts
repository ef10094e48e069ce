import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { JsonRpcProvider, Transaction, toBeHex, Wallet } from "ethers";
import { systemClock } from "../../clock";
import { devAccount } from "../../contracts-bindings";
import { type Anvil, startAnvil } from "../../node/chain/anvil";
import { isClientError } from "../errors";
import { MemoryStore } from "../store/memory";
import type { ClientStore } from "../store/types";
import { DisputeProgress } from "./progress";
import { StepSender } from "./sender";

/**
 * The step sender on a real chain (anvil): every way a client can stop between signing,
 * recording, broadcasting and mining a step, and what it does about it when it starts again.
 * A "step" here is a plain call to a fresh address: what is checked is the account's nonce.
 */
let anvil: Anvil;
let provider: JsonRpcProvider;
let accountIndex = 1;

beforeAll(async () => {
  anvil = await startAnvil();
  provider = new JsonRpcProvider(anvil.rpcUrl, undefined, {
    cacheTimeout: -1,
    pollingInterval: 50,
  });
});

afterAll(async () => {
  provider?.destroy();
  await anvil?.stop();
});

/** A fresh dev account per test, so nonces are the test's own. */
function wallet(): Wallet {
  return new Wallet(devAccount(accountIndex++).privateKey, provider);
}

async function senderFor(account: Wallet, store: ClientStore, options: { staleMs?: number } = {}) {
  const progress = await DisputeProgress.load(store, "dispute:test");
  const sender = new StepSender({
    wallet: account,
    provider,
    progress,
    pollMs: 20,
    staleMs: options.staleMs ?? 120_000,
    receiptWaitMs: 300,
    closed: () => false,
    clock: systemClock,
  });
  return { sender, progress };
}

const call = { to: Wallet.createRandom().address, data: "0x" };
const step = (key: string, readAtBlock: number) => ({ key, step: "exit", call, readAtBlock });
const nonceOf = (account: Wallet, tag: "latest" | "pending" = "latest") =>
  provider.getTransactionCount(account.address, tag);

/** A step signed and recorded as the sender does, but never broadcast (a stop in between). */
async function recordedOnly(
  account: Wallet,
  progress: DisputeProgress,
  key: string,
  nonce?: number,
) {
  const request = await account.populateTransaction({
    ...call,
    gasLimit: 30_000n,
    nonce: nonce ?? (await nonceOf(account, "pending")),
  });
  const raw = await account.signTransaction(request);
  const hash = Transaction.from(raw).hash as string;
  await progress.recordSent({
    key,
    instance: 1,
    step: "exit",
    hash,
    nonce: request.nonce as number,
    raw,
    sentAt: Date.now(),
    status: "sent",
  });
  return hash;
}

describe("StepSender: a step is sent at most once", () => {
  test("mined, then planned from a reading older than the receipt: nothing more is sent", async () => {
    const account = wallet();
    const { sender } = await senderFor(account, new MemoryStore());
    const start = await nonceOf(account);
    const first = await sender.run(step("k", await provider.getBlockNumber()));
    expect(first.outcome).toBe("mined");
    const minedAt = first.outcome === "mined" ? first.receipt.blockNumber : 0;
    expect((await sender.run(step("k", minedAt - 1))).outcome).toBe("skipped");
    expect(await nonceOf(account)).toBe(start + 1);
    // Asked for again by a reading taken after it was mined: the chain needs it once more.
    expect((await sender.run(step("k", minedAt))).outcome).toBe("mined");
    expect(await nonceOf(account)).toBe(start + 2);
  });

  test("recorded but never broadcast (stopped in between): the very same transaction goes out", async () => {
    const account = wallet();
    const store = new MemoryStore();
    const { progress } = await senderFor(account, store);
    const start = await nonceOf(account);
    const hash = await recordedOnly(account, progress, "k");
    const { sender, progress: reloaded } = await senderFor(account, store);
    const outcome = await sender.run(step("k", await provider.getBlockNumber()));
    expect(outcome).toMatchObject({ outcome: "mined", hash });
    expect(await nonceOf(account)).toBe(start + 1);
    expect(reloaded.current?.steps.map((s) => s.status)).toEqual(["mined"]);
  });

  test("pending across a restart: waited for, never sent again", async () => {
    const account = wallet();
    const store = new MemoryStore();
    const start = await nonceOf(account);
    await provider.send("evm_setAutomine", [false]);
    let readAt = 0;
    try {
      const first = await senderFor(account, store);
      expect((await first.sender.run(step("k", await provider.getBlockNumber()))).outcome).toBe(
        "waiting",
      );
      const second = await senderFor(account, store);
      expect((await second.sender.run(step("k", await provider.getBlockNumber()))).outcome).toBe(
        "waiting",
      );
      expect(await nonceOf(account, "pending")).toBe(start + 1);
      // The reading a plan is made from, while the step is still pending.
      readAt = await provider.getBlockNumber();
    } finally {
      await provider.send("evm_setAutomine", [true]);
    }
    await provider.send("evm_mine", []);
    const third = await senderFor(account, store);
    expect((await third.sender.run(step("k", readAt))).outcome).toBe("skipped");
    expect(await nonceOf(account)).toBe(start + 1);
    expect(third.progress.current?.steps.map((s) => s.status)).toEqual(["mined"]);
  });

  test("its nonce taken by another transaction: it can never be mined, so it is sent again", async () => {
    const account = wallet();
    const store = new MemoryStore();
    const { progress } = await senderFor(account, store);
    const start = await nonceOf(account);
    await recordedOnly(account, progress, "k", start);
    // A deposit, say, took the nonce meanwhile.
    await (await account.sendTransaction({ to: call.to, value: 1n, nonce: start })).wait();
    const { sender, progress: reloaded } = await senderFor(account, store);
    expect((await sender.run(step("k", await provider.getBlockNumber()))).outcome).toBe("mined");
    expect(reloaded.current?.steps.map((s) => [s.status, s.nonce])).toEqual([
      ["dropped", start],
      ["mined", start + 1],
    ]);
  });

  test("unknown to the chain for a long while: replaced, with the same nonce", async () => {
    const account = wallet();
    const store = new MemoryStore();
    const { progress } = await senderFor(account, store);
    const start = await nonceOf(account);
    await recordedOnly(account, progress, "k");
    await progress.updateSent(progress.latest("k")?.hash as string, { sentAt: 0 });
    const { sender, progress: reloaded } = await senderFor(account, store, { staleMs: 1_000 });
    expect((await sender.run(step("k", await provider.getBlockNumber()))).outcome).toBe("mined");
    expect(await nonceOf(account)).toBe(start + 1);
    expect(reloaded.current?.steps.every((s) => s.nonce === start)).toBe(true);
  });

  test("a step that would revert is refused before anything is signed or recorded", async () => {
    const account = wallet();
    const { sender, progress } = await senderFor(account, new MemoryStore());
    // A contract that reverts whatever it is called with: revert(0, 0).
    const reverting = { to: Wallet.createRandom().address, data: "0x" };
    await provider.send("anvil_setCode", [reverting.to, "0x60006000fd"]);
    const refused = await sender
      .run({ key: "r", step: "defundChannel", call: reverting, readAtBlock: 0 })
      .catch((error: unknown) => error);
    expect(isClientError(refused, "DISPUTE_STEP_REVERTS")).toBe(true);
    expect(progress.current).toBeUndefined();
  });

  test("without gas for the step: INSUFFICIENT_GAS names the account and the shortfall", async () => {
    const account = wallet();
    const { sender, progress } = await senderFor(account, new MemoryStore());
    await provider.send("anvil_setBalance", [account.address, toBeHex(1_000n)]);
    const refused = await sender.run(step("k", 0)).catch((error: unknown) => error);
    expect(isClientError(refused, "INSUFFICIENT_GAS")).toBe(true);
    if (!isClientError(refused)) return;
    const { account: who, shortfall, balance, cost } = refused.context as Record<string, unknown>;
    expect(who).toBe(account.address);
    expect(balance).toBe(1_000n);
    expect(shortfall).toBe((cost as bigint) - 1_000n);
    expect(progress.current).toBeUndefined();
  });
});
