import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseEther } from "ethers";
import type { ConnextClient } from "../../client";
import type { ClientEventMap } from "../../client/events";
import { ChannelMastercopy__factory } from "../../contracts-bindings";
import type { RequestInterceptor, WithdrawalInterceptor } from "../../node/engine/engine";
import { NodeError } from "../../node/engine/errors";
import {
  type ChannelUpdate,
  decodeUpdateMessage,
  type FullTransferState,
  withdraw,
} from "../../protocol";
import {
  channelEvents,
  deployChannel,
  exitedTo,
  freshRecipient,
  passTime,
  until,
} from "../disputes/clientHelpers";
import { ETH } from "../rawUser";
import { ADMIN_TOKEN, type Stack, startStack } from "../stack";

/**
 * Issue 11, item 2: a user's withdrawal no longer depends on the node sending it.
 * - A node that countersigns a withdrawal and never sends it (telling the client it did, with a
 *   made-up transaction): nothing is confirmed from its word; after the deadline the client
 *   sends the commitment itself and is paid once, also when it was closed and started again in
 *   between.
 * - A node whose send fails (its account out of gas) sends it again on its own timer.
 * - The reverse: a node that refuses the client's resolve of its collateral reclaim, executes
 *   the commitment with the client's signature anyway and disputes the channel to take the
 *   locked amount back too: the client's watcher defunds that transfer with its own signature
 *   first, so the node gets its reclaim once and the user its balance.
 * The node is the real one; `interceptWithdrawal` (a test hook of the engine) stands between it
 * and each commitment it sends, and `intercept` between it and each user request.
 */
let stack: Stack;
let withdrawalHook: WithdrawalInterceptor | undefined;
let intercept: RequestInterceptor | undefined;
const TIMEOUT = 3600;
const FAKE_HASH = `0x${"fa".repeat(32)}`;

beforeAll(async () => {
  stack = await startStack({
    // The reverse test: a 2 ETH payment leaves the node 2 ETH in the payer's channel, above
    // this threshold: it reclaims what is above its 1 ETH target.
    ethReclaimThreshold: parseEther("1.5"),
    node: {
      interceptWithdrawal: (withdrawal, send) =>
        withdrawalHook ? withdrawalHook(withdrawal, send) : send(),
      intercept: (request, handle) => (intercept ? intercept(request, handle) : handle()),
      withdrawalRetry: { intervalMs: 100, baseDelayMs: 500, maxDelayMs: 2_000 },
    },
  });
}, 120_000);

afterAll(async () => {
  withdrawalHook = undefined;
  intercept = undefined;
  await stack?.stop();
});

/** Every withdraw.confirmed and error a client tells its application. */
function listen(client: ConnextClient) {
  const confirmed: ClientEventMap["withdraw.confirmed"][] = [];
  const errors: Error[] = [];
  client.on("withdraw.confirmed", (event) => confirmed.push(event));
  client.on("error", (error) => errors.push(error));
  return { confirmed, errors };
}

/** The Withdrawn events of a channel (each executed commitment has exactly one). */
async function withdrawn(channelAddress: string) {
  return (await channelEvents(stack, channelAddress, "Withdrawn")).map((e) => ({
    commitment: e.args.commitment as string,
    recipient: e.args.recipient as string,
    amount: e.args.amount as bigint,
    transactionHash: e.transactionHash,
  }));
}

async function sender(transactionHash: string): Promise<string> {
  const transaction = await stack.provider.getTransaction(transactionHash);
  if (!transaction) throw new Error(`no transaction ${transactionHash}`);
  return transaction.from;
}

describe("a node that withholds a withdrawal", () => {
  test("countersigned and never sent, with a made-up hash: nothing is confirmed from the node's word; after the deadline the client sends it itself, paid once", async () => {
    const withheld: string[] = [];
    // Countersigns, sends nothing, and tells the user it did.
    withdrawalHook = async (withdrawal) => {
      withheld.push(withdrawal.transferId);
      return { transactionHash: FAKE_HASH };
    };
    const client = await stack.client(1, { withdrawalDeadlineMs: 4_000 });
    const { confirmed } = listen(client);
    await client.deposit({ assetId: ETH, amount: parseEther("1") });
    const recipient = freshRecipient();
    const amount = parseEther("0.3");
    const started = Date.now();
    let settled = false;
    const withdrawal = client.withdraw({ assetId: ETH, amount, recipient }).finally(() => {
      settled = true;
    });

    // The node said "confirmed" with its hash: the client reads the chain and waits on.
    await until(() => withheld.length === 1, "the node withholds the commitment");
    await Bun.sleep(1_500);
    expect(settled).toBe(false);
    expect(confirmed).toEqual([]);
    expect(await stack.provider.getBalance(recipient)).toBe(0n);

    const result = await withdrawal;
    expect(Date.now() - started).toBeGreaterThanOrEqual(4_000);
    expect(result.transferId).toBe(withheld[0] as string);
    expect(result.transactionHash).not.toBe(FAKE_HASH);
    // Sent by the user, from its own account.
    expect(await sender(result.transactionHash)).toBe(client.identifier);
    expect(await stack.provider.getBalance(recipient)).toBe(amount);
    expect(confirmed).toEqual([
      { transferId: result.transferId, transactionHash: result.transactionHash },
    ]);
    const paid = await withdrawn(client.channelAddress);
    expect(paid.map((w) => w.transactionHash)).toEqual([result.transactionHash]);
    expect(paid[0]?.amount).toBe(amount);
    // Nothing left to do: a second client run records and sends nothing.
    await client.close();
    const again = await stack.client(1, { withdrawalDeadlineMs: 4_000 });
    await Bun.sleep(1_000);
    expect((await withdrawn(again.channelAddress)).length).toBe(1);
    await again.close();
    withdrawalHook = undefined;
  }, 60_000);

  test("a client closed while it waits for the node picks the withdrawal up again with the same store and finishes it", async () => {
    const withheld: string[] = [];
    // Countersigns and says nothing at all.
    withdrawalHook = async (withdrawal) => {
      withheld.push(withdrawal.transferId);
      return { alreadyExecuted: true };
    };
    const client = await stack.client(2, { withdrawalDeadlineMs: 3_000 });
    await client.deposit({ assetId: ETH, amount: parseEther("1") });
    const channelAddress = client.channelAddress;
    const recipient = freshRecipient();
    const amount = parseEther("0.25");
    const withdrawal = client.withdraw({ assetId: ETH, amount, recipient });
    const outcome = withdrawal.then(
      () => "resolved",
      (error) => (error as { code?: string }).code,
    );
    await until(() => withheld.length === 1, "the node withholds the commitment");
    await client.close();
    expect(await outcome).toBe("CLOSED");

    // Past the deadline, nobody sends it while the client is away.
    await Bun.sleep(3_500);
    expect(await stack.provider.getBalance(recipient)).toBe(0n);

    const back = await stack.client(2, { withdrawalDeadlineMs: 3_000 });
    const { confirmed } = listen(back);
    await until(() => confirmed.length === 1, "the restarted client confirms the withdrawal");
    const [event] = confirmed;
    expect(event?.transferId).toBe(withheld[0] as string);
    expect(await sender(event?.transactionHash as string)).toBe(back.identifier);
    expect(await stack.provider.getBalance(recipient)).toBe(amount);
    expect((await withdrawn(channelAddress)).length).toBe(1);
    await Bun.sleep(500);
    expect(confirmed.length).toBe(1);
    await back.close();
    withdrawalHook = undefined;
  }, 60_000);
});

describe("a client that cannot pay the gas to send it itself", () => {
  test("withdraw() fails with INSUFFICIENT_GAS, the commitment stays pending, and once funded the client sends it", async () => {
    withdrawalHook = async () => ({ alreadyExecuted: true }); // withheld, silently
    const client = await stack.client(4, { withdrawalDeadlineMs: 2_000 });
    const { confirmed, errors } = listen(client);
    await client.deposit({ assetId: ETH, amount: parseEther("1") });
    const account = client.identifier;
    const funds = await stack.provider.getBalance(account);
    await stack.provider.send("anvil_setBalance", [account, "0x0"]);
    const recipient = freshRecipient();
    const amount = parseEther("0.1");
    await expect(client.withdraw({ assetId: ETH, amount, recipient })).rejects.toMatchObject({
      code: "INSUFFICIENT_GAS",
      context: { account },
    });
    expect(errors.some((e) => (e as { code?: string }).code === "INSUFFICIENT_GAS")).toBe(true);
    expect(confirmed).toEqual([]);
    await stack.provider.send("anvil_setBalance", [account, `0x${funds.toString(16)}`]);
    await until(() => confirmed.length === 1, "sent once the account can pay", 30_000);
    expect(await sender(confirmed[0]?.transactionHash as string)).toBe(account);
    expect(await stack.provider.getBalance(recipient)).toBe(amount);
    await client.close();
    withdrawalHook = undefined;
  }, 60_000);
});

describe("a node whose send fails", () => {
  test("out of gas: the node sends the commitment again on its timer, later, and the user is paid once, by the node", async () => {
    const client = await stack.client(3, { withdrawalDeadlineMs: 600_000 });
    const { confirmed } = listen(client);
    await client.deposit({ assetId: ETH, amount: parseEther("1") });
    const node = stack.node.identifier;
    const funds = await stack.provider.getBalance(node);
    const failures: string[] = [];
    withdrawalHook = async (_withdrawal, send) => {
      try {
        return await send();
      } catch (error) {
        failures.push(error instanceof Error ? error.message : String(error));
        throw error;
      }
    };
    await stack.provider.send("anvil_setBalance", [node, "0x0"]);
    const recipient = freshRecipient();
    const amount = parseEther("0.2");
    let result: { transferId: string; transactionHash: string } | undefined;
    const withdrawal = client.withdraw({ assetId: ETH, amount, recipient }).then((r) => {
      result = r;
    });
    // The first send and at least one retry on the timer fail while the node has no gas.
    await until(() => failures.length >= 2, "the node's sends fail", 20_000);
    expect(result).toBeUndefined();
    expect(confirmed).toEqual([]);
    await stack.provider.send("anvil_setBalance", [node, `0x${funds.toString(16)}`]);
    await withdrawal;
    const { transferId, transactionHash } = result as {
      transferId: string;
      transactionHash: string;
    };
    expect(await sender(transactionHash)).toBe(node);
    expect(await stack.provider.getBalance(recipient)).toBe(amount);
    expect(confirmed).toEqual([{ transferId, transactionHash }]);
    expect((await withdrawn(client.channelAddress)).length).toBe(1);
    await client.close();
    withdrawalHook = undefined;
  }, 60_000);
});

describe("the reverse: a node that refuses the client's resolve of its reclaim", () => {
  test("executes the commitment with the client's signature and disputes: the client's watcher defunds the reclaim with its own signature; the node gets it once, the user its balance", async () => {
    const user = await stack.client(5, { channelTimeout: TIMEOUT, disputePollMs: 250 });
    const payee = await stack.client(6, { channelTimeout: TIMEOUT });
    const signatures: string[] = [];
    // The node keeps the client's signature on its reclaim and refuses the resolve carrying it.
    intercept = async (request, handle) => {
      if (
        request.method !== "update" ||
        request.user.toLowerCase() !== user.identifier.toLowerCase()
      ) {
        return handle();
      }
      const update = decodeUpdateMessage(request.data).update;
      if (update.type !== "resolve") return handle();
      const details = (update as ChannelUpdate<"resolve">).details;
      if (details.transferDefinition.toLowerCase() !== stack.book.withdraw.toLowerCase()) {
        return handle();
      }
      signatures.push(withdraw.decodeResolver(details.transferResolver).responderSignature);
      throw new NodeError("PEER_REJECTED", "keeping the signature, not the resolve");
    };
    await user.deposit({ assetId: ETH, amount: parseEther("3") });
    const paid = await user.transfer({
      recipient: payee.identifier,
      assetId: ETH,
      amount: parseEther("2"),
    });
    expect(paid.status).toBe("completed");
    // The node holds 2 ETH in the user's channel: it reclaims 1 (above its 1 ETH target).
    await until(() => signatures.length >= 1, "the node reclaims and refuses the user's resolve");
    const reclaim = user
      .getTransfers()
      .find(
        (t) => t.transferDefinition.toLowerCase() === stack.book.withdraw.toLowerCase(),
      ) as FullTransferState;
    expect(reclaim).toBeDefined();
    expect(reclaim.balance.amount[0]).toBe(parseEther("1"));
    expect(user.getBalance(ETH)).toEqual({ user: parseEther("1"), node: parseEther("1") });

    // The node executes its commitment with the user's signature (any account may send it).
    const state = user.getChannel();
    if (!state) throw new Error("no channel");
    await deployChannel(stack, state);
    const { initiatorSignature, nonce, data } = withdraw.decodeState(reclaim.transferState);
    const channel = ChannelMastercopy__factory.connect(state.channelAddress, stack.wallet(9));
    await (
      await channel.withdraw(
        {
          channelAddress: state.channelAddress,
          assetId: ETH,
          recipient: stack.node.identifier,
          amount: parseEther("1"),
          nonce,
        },
        initiatorSignature,
        signatures[0] as string,
      )
    ).wait();
    expect(await channel.isWithdrawalExecuted(data)).toBe(true);

    // Then it disputes, to take the locked 1 ETH back at the transfer's timeout as well.
    const response = await fetch(
      `${stack.node.httpUrl}/admin/channels/${state.channelAddress}/dispute`,
      { method: "POST", headers: { authorization: `Bearer ${ADMIN_TOKEN}` } },
    );
    expect(response.status).toBe(200);
    await until(() => user.getDispute().status !== "none", "the client sees the dispute");

    // After the consensus window: the client defunds the reclaim with its own signature, long
    // before the transfer's dispute would let the node take its initial balance.
    await passTime(stack, TIMEOUT + 1);
    await until(
      async () => (await channel.getTransferDispute(reclaim.transferId)).isDefunded,
      "the client's watcher defunds the reclaim",
    );
    const defunds = (await channelEvents(stack, state.channelAddress, "TransferDefunded")).filter(
      (e) => (e.args.transferId as string).toLowerCase() === reclaim.transferId.toLowerCase(),
    );
    expect(defunds).toHaveLength(1);
    const [defund] = defunds;
    if (!defund) throw new Error("no TransferDefunded event");
    expect((defund.args.defunder as string).toLowerCase()).toBe(user.identifier.toLowerCase());
    // Resolved with the user's signature: nothing of it goes to either side again.
    expect([...(defund.args.amounts as bigint[])]).toEqual([0n, 0n]);

    // Past the transfer's timeout, both sides exit: the node its 1 ETH, the user its 1 ETH.
    await passTime(stack, TIMEOUT + 1);
    await until(
      async () =>
        (await exitedTo(stack, state.channelAddress, stack.node.identifier)) === parseEther("1") &&
        (await exitedTo(stack, state.channelAddress, user.identifier)) === parseEther("1"),
      "both sides exit their balance",
      60_000,
    );
    const payouts = await withdrawn(state.channelAddress);
    expect(payouts.map((w) => [w.commitment.toLowerCase(), w.amount])).toEqual([
      [data.toLowerCase(), parseEther("1")],
    ]);
    // The node: its reclaim once plus its balance; the user: its balance; the channel: empty.
    expect(await stack.provider.getBalance(state.channelAddress)).toBe(0n);
    intercept = undefined;
    await Promise.all([user.close(), payee.close()]);
  }, 120_000);
});
