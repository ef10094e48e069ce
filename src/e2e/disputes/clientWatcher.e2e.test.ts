import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseEther, toBeHex } from "ethers";
import type { ConnextClient } from "../../client";
import { isClientError } from "../../client/errors";
import { storedChannelState } from "../../client/store/channelStorage";
import { MemoryStore } from "../../client/store/memory";
import { ChannelMastercopy__factory } from "../../contracts-bindings";
import type { RequestInterceptor } from "../../node/engine/engine";
import type { FullChannelState } from "../../protocol";
import { waitFor } from "../expectations";
import { ETH } from "../rawUser";
import { type Stack, startStack } from "../stack";
import {
  channelEvents,
  DisputeLog,
  deployChannel,
  passTime,
  refuseResolvesFrom,
  until,
} from "./clientHelpers";

/**
 * Issue 10 §2 and §1 (progress), the client's watcher on its own: the node here does not
 * watch disputes (its poll is an hour), so every answer and every step on the user's side is
 * the client's.
 * - The node records an old state (one of the user's earlier doubly-signed states, at random):
 *   the client answers inside the consensus window and exits at least its latest balance.
 * - Without gas for a step, the client says so (INSUFFICIENT_GAS) and goes on once it has some.
 * - A client closed in the middle of an exit, started again on the same store, finishes it and
 *   sends no step twice, a transaction left pending across the restart included.
 */
const TIMEOUT = 3600;
const PICKS = 3;
let stack: Stack;
let intercept: RequestInterceptor | undefined;
let a: ConnextClient;

/** A store that also keeps every channel state the client stored, in order. */
class RecordingStore extends MemoryStore {
  readonly states: FullChannelState[] = [];

  override async set(key: string, value: string): Promise<void> {
    await super.set(key, value);
    if (key.startsWith("channel:")) this.states.push(storedChannelState(value));
  }
}

beforeAll(async () => {
  stack = await startStack({
    node: {
      disputePollMs: 3_600_000,
      intercept: (request, handle) => (intercept ? intercept(request, handle) : handle()),
    },
  });
  a = await connect(1);
  await a.deposit({ assetId: ETH, amount: parseEther("5") });
}, 120_000);

afterAll(async () => {
  intercept = undefined;
  await stack?.provider.send("evm_setAutomine", [true]).catch(() => {});
  await stack?.stop();
});

function connect(index: number, options: Parameters<Stack["client"]>[1] = {}) {
  return stack.client(index, { channelTimeout: TIMEOUT, disputePollMs: 200, ...options });
}

/** Records `state` on-chain as the node would: sent from the node's account (dev account 0). */
async function nodeDisputes(state: FullChannelState) {
  await deployChannel(stack, state);
  const channel = ChannelMastercopy__factory.connect(state.channelAddress, stack.wallet(0));
  const receipt = await (
    await channel.disputeChannel(
      state,
      state.latestUpdate.aliceSignature as string,
      state.latestUpdate.bobSignature as string,
    )
  ).wait();
  if (!receipt) throw new Error("no receipt");
  return receipt;
}

async function blockTime(blockNumber: number): Promise<number> {
  return (await stack.provider.getBlock(blockNumber))?.timestamp as number;
}

async function pay(from: ConnextClient, to: ConnextClient, amount: bigint) {
  const { status } = await from.transfer({ recipient: to.identifier, assetId: ETH, amount });
  expect(status).toBe("completed");
}

describe("the client's watcher answers a stale state the node records", () => {
  for (let pick = 0; pick < PICKS; pick++) {
    test(`random earlier state #${pick + 1}: answered inside the window, the latest balance exits`, async () => {
      const store = new RecordingStore();
      const b = await connect(3 + pick, { store });
      await b.deposit({ assetId: ETH, amount: parseEther("0.5") });
      for (let i = 0; i < 12; i++) {
        await pay(a, b, parseEther("0.01"));
        await pay(b, a, parseEther("0.004") * BigInt(1 + (i % 3)));
      }
      await waitFor(() => b.getTransfers().length === 0);
      const latest = b.getChannel() as FullChannelState;
      const balance = b.getBalance(ETH).user;
      const earlier = [
        ...new Map(
          store.states.filter((s) => s.nonce < latest.nonce).map((s) => [s.nonce, s]),
        ).values(),
      ];
      expect(earlier.length).toBeGreaterThanOrEqual(20);
      const chosen = earlier[Math.floor(Math.random() * earlier.length)] as FullChannelState;
      const log = new DisputeLog().listen(b);

      const stale = await nodeDisputes(chosen);
      await until(() => log.answered.length > 0, "the client answers");
      const answer = await stack.provider.getTransactionReceipt(
        log.answered[0]?.transactionHash as string,
      );
      const record = await ChannelMastercopy__factory.connect(
        latest.channelAddress,
        stack.provider,
      ).getChannelDispute();
      expect(Number(record.nonce)).toBe(latest.nonce);
      expect(log.answered[0]).toMatchObject({ staleNonce: chosen.nonce, nonce: latest.nonce });
      const answeredAt = await blockTime(answer?.blockNumber as number);
      expect(answeredAt).toBeLessThan(Number(record.consensusExpiry));
      const chosenBalance = chosen.balances[0]?.amount[1] ?? 0n;
      console.info(
        `pick ${pick + 1}: nonce ${chosen.nonce} of ${latest.nonce} (user balance ${chosenBalance}, latest ${balance}) answered ${(answer?.blockNumber as number) - stale.blockNumber} block(s), ${answeredAt - (await blockTime(stale.blockNumber))} s after the stale dispute`,
      );
      expect(log.started[0]).toMatchObject({ startedByUs: false, nonce: chosen.nonce });

      await passTime(stack, TIMEOUT + 1);
      await until(() => log.exitedTotal(ETH) >= balance, "the user's exit");
      expect(log.exitedTotal(ETH)).toBe(balance);
      expect(b.getDispute().status).toBe("defund");
      await b.close();
    }, 60_000);
  }
});

describe("a stale state the client could not answer in time", () => {
  test("away for the whole consensus window: the client says so and keeps the channel closed", async () => {
    let u = await connect(2);
    await pay(a, u, parseEther("0.05"));
    const old = u.getChannel() as FullChannelState;
    await pay(a, u, parseEther("0.05"));
    await u.close();
    await nodeDisputes(old);
    await passTime(stack, TIMEOUT + 1);

    u = await connect(2);
    const log = new DisputeLog().listen(u);
    await until(
      () => log.errors.some((e) => isClientError(e, "DISPUTED_STATE_NOT_OURS")),
      "the client reports it",
    );
    expect(log.started[0]).toMatchObject({ nonce: old.nonce, startedByUs: false });
    expect(log.answered).toEqual([]);
    expect(u.getDispute()).toMatchObject({ status: "defund", nonce: old.nonce });
    await expect(
      u.transfer({ recipient: a.identifier, assetId: ETH, amount: 1n }),
    ).rejects.toMatchObject({ code: "CHANNEL_IN_DISPUTE" });
    await u.close();
  }, 60_000);
});

describe("a channel never deployed", () => {
  test("dispute() deploys it through the factory first; the deposit exits to the user", async () => {
    const u = await connect(6);
    await u.deposit({ assetId: ETH, amount: parseEther("0.1") });
    expect(await stack.provider.getCode(u.channelAddress)).toBe("0x");
    const log = new DisputeLog().listen(u);
    await u.dispute();
    expect(u.getDispute().transactions.map((t) => [t.step, t.status])).toEqual([
      ["createChannel", "mined"],
      ["disputeChannel", "mined"],
    ]);
    await passTime(stack, TIMEOUT + 1);
    await until(() => log.exitedTotal(ETH) === parseEther("0.1"), "the deposit exits");
    expect(log.exited.map((e) => e.recipient)).toEqual([u.identifier]);
    await u.close();
  }, 60_000);
});

describe("gas for the client's steps", () => {
  test("without gas: dispute() rejects and the watcher reports INSUFFICIENT_GAS, then answers once funded", async () => {
    const d = await connect(8);
    await pay(a, d, parseEther("0.05"));
    const before = d.getChannel() as FullChannelState;
    await pay(a, d, parseEther("0.01"));
    const funded = await stack.provider.getBalance(d.identifier);
    await stack.provider.send("anvil_setBalance", [d.identifier, toBeHex(10n ** 9n)]);

    const refused = await d.dispute().catch((error: unknown) => error);
    expect(isClientError(refused, "INSUFFICIENT_GAS")).toBe(true);
    if (!isClientError(refused)) return;
    expect(refused.context.account).toBe(d.identifier);
    expect(refused.context.shortfall).toBeGreaterThan(0n);
    // Nothing reached the chain: the channel is still open.
    expect(d.getDispute().status).toBe("none");
    await pay(a, d, parseEther("0.01"));

    const log = new DisputeLog().listen(d);
    await nodeDisputes(before);
    await until(
      () => log.errors.some((e) => isClientError(e, "INSUFFICIENT_GAS")),
      "the watcher reports it",
    );
    expect(log.answered).toEqual([]);
    await stack.provider.send("anvil_setBalance", [d.identifier, toBeHex(funded)]);
    await until(() => log.answered.length === 1, "the watcher answers once funded");
    expect(log.answered[0]?.nonce).toBe(d.getChannel()?.nonce as number);
    await d.close();
  }, 60_000);
});

describe("a client closed in the middle of an exit", () => {
  test("started again on the same store, it finishes the exit and sends no step twice", async () => {
    const index = 7;
    let c = await connect(index, { completionTimeoutMs: 1_000 });
    const me = c.identifier;
    await pay(a, c, parseEther("0.1"));
    // A payment to it whose pre-image it revealed and the node refused: a transfer to claim.
    const refusing = refuseResolvesFrom(() => [me]);
    intercept = refusing.intercept;
    const stuck = await a.transfer({ recipient: me, assetId: ETH, amount: parseEther("0.05") });
    expect(stuck.status).toBe("pending");
    await waitFor(() => refusing.refused.length > 0);
    const owed = c.getBalance(ETH).user + parseEther("0.05");
    const channel = c.channelAddress;
    const firstNonce = await stack.provider.getTransactionCount(me);

    // 1. Dispute, then close at once.
    await c.dispute();
    await c.close();
    intercept = undefined;

    // 2. Started again during the consensus window; closed as soon as the channel is defunded.
    c = await connect(index);
    let log = new DisputeLog().listen(c);
    const second = c;
    let closing: Promise<void> | undefined;
    second.on("dispute.defunded", (event) => {
      if (!event.transferId) closing ??= second.close();
    });
    await passTime(stack, TIMEOUT + 1);
    await until(() => closing !== undefined, "the channel's defund");
    await closing;
    expect(log.defunded.map((e) => e.amount)).toEqual([owed - parseEther("0.05")]);
    const afterDefund = await stack.provider.getTransactionCount(me);

    // 3. Started again with the chain holding transactions back: the next step stays pending
    //    across a restart and is not sent again.
    await stack.provider.send("evm_setAutomine", [false]);
    c = await connect(index);
    await until(
      async () => (await stack.provider.getTransactionCount(me, "pending")) > afterDefund,
      "the next step is sent",
    );
    await c.close();
    c = await connect(index);
    log = new DisputeLog().listen(c);
    await Bun.sleep(1_500); // several polls
    expect(await stack.provider.getTransactionCount(me, "pending")).toBe(afterDefund + 1);
    const waiting = c.getDispute().transactions.filter((t) => t.status === "sent");
    expect(waiting.map((t) => t.step)).toEqual(["disputeTransfer"]);
    await stack.provider.send("evm_setAutomine", [true]);
    await stack.provider.send("evm_mine", []);

    await until(() => log.exitedTotal(ETH) === owed, "the exit finishes");
    const sent = (await stack.provider.getTransactionCount(me)) - firstNonce;
    const mined = c.getDispute().transactions.filter((t) => t.status === "mined");
    expect(mined.map((t) => t.step)).toEqual([
      "disputeChannel",
      "defundChannel",
      "disputeTransfer",
      "defundTransfer",
      "exit",
    ]);
    expect(c.getDispute().transactions).toHaveLength(mined.length);
    expect(sent).toBe(mined.length);
    // And on-chain: one of each by this user.
    const by = async (name: string, field: string) =>
      (await channelEvents(stack, channel, name)).filter(
        (e) => (e.args[field] as string).toLowerCase() === me.toLowerCase(),
      ).length;
    expect(await by("ChannelDisputed", "disputer")).toBe(1);
    expect(await by("ChannelDefunded", "defunder")).toBe(1);
    expect(await by("TransferDisputed", "disputer")).toBe(1);
    expect(await by("TransferDefunded", "defunder")).toBe(1);
    expect(await by("Exited", "owner")).toBe(1);
    await c.close();
  }, 90_000);
});
