import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { NatsConnection } from "@nats-io/nats-core";
import { parseEther, ZeroAddress } from "ethers";
import { depositAsBob } from "../client/chain/deposit";
import { NodeApi } from "../client/nodeApi";
import { readChannelDeposits } from "../contracts-bindings";
import {
  type ChannelUpdate,
  definitionRegistry,
  encodeMessage,
  hashlock,
  PROTOCOL_VERSION,
  privateKeySigner,
  proposeUpdate,
  validateRestore,
  withdraw,
} from "../protocol";
import { decodeReply, subjectFor, updateResultSchema } from "../protocol/messaging";
import { type RestorePage, restorePageSchema } from "../protocol/schemas";
import { expectChannelsAgree, nodeChannel } from "./expectations";
import { type Stack, startStack } from "./stack";
import { connectAsUser } from "./userConnection";

/**
 * Issue 9 §10: deposits count at the node's CONFIRMATIONS (3 here), not at the head block. A
 * transaction in the head block has one confirmation, so both sides read totals at head − 2.
 * A user claiming a total only the head shows is refused (INVALID_DEPOSIT); once two more
 * blocks are mined the same claim stands. The client reads at the node's depth, which GET
 * /config advertises, and its `deposit()` waits for that depth (blocks are mined by the test:
 * anvil mines only on transactions).
 */
let stack: Stack;
let nats: NatsConnection;
const CLAIMER = 7;
const ETH = ZeroAddress;
const CONFIRMATIONS = 3;

beforeAll(async () => {
  stack = await startStack({ confirmations: CONFIRMATIONS });
  // The claimer's channel is set up by its client, which then leaves: the test speaks for it.
  const claimer = await stack.client(CLAIMER);
  await claimer.close();
  nats = await connectAsUser(stack, CLAIMER);
}, 120_000);

afterAll(async () => {
  await nats?.close();
  await stack?.stop();
});

const me = () => stack.wallet(CLAIMER).address;
const mine = (blocks: number) =>
  Promise.all(Array.from({ length: blocks }, () => stack.provider.send("evm_mine", [])));

function context() {
  const book = stack.book;
  const registry = definitionRegistry([
    { address: book.hashlockTransfer, rules: hashlock },
    { address: book.withdraw, rules: withdraw },
  ]);
  return {
    network: {
      chainId: book.chainId,
      channelFactoryAddress: book.channelFactory,
      channelMastercopyAddress: book.channelMastercopy,
      transferRegistryAddress: book.transferRegistry,
    },
    now: Math.floor(Date.now() / 1000),
    lookupDefinition: (address: string) => registry.get(address.toLowerCase()),
  };
}

/** The claimer's deposit update, built on the node's view with totals read at the head. */
async function claimAtHead(): Promise<ChannelUpdate> {
  const raw = await nats.request(
    subjectFor(stack.node.identifier, me(), "restore"),
    JSON.stringify({ protocolVersion: PROTOCOL_VERSION }),
    { timeout: 5_000 },
  );
  const reply = decodeReply<RestorePage>(raw.data, restorePageSchema);
  if (!reply.ok) throw new Error(reply.error.message);
  const view = validateRestore(reply.result, { identity: me(), state: undefined }, context());
  const channelAddress = view.state?.channelAddress as string;
  const atHead = await readChannelDeposits(stack.provider, channelAddress, ETH);
  const { update } = await proposeUpdate(
    view,
    { type: "deposit", assetId: ETH },
    privateKeySigner(stack.wallet(CLAIMER).privateKey),
    { ...context(), chainDeposits: atHead },
  );
  return update;
}

async function propose(update: ChannelUpdate) {
  const raw = await nats.request(
    subjectFor(stack.node.identifier, me(), "update"),
    encodeMessage({ protocolVersion: PROTOCOL_VERSION, update }),
    { timeout: 10_000 },
  );
  return decodeReply<{ update: ChannelUpdate }>(raw.data, updateResultSchema);
}

describe("deposits count at the configured confirmations", () => {
  test("the node advertises its depth", async () => {
    const config = await new NodeApi(stack.node.httpUrl).config();
    expect(config.depositConfirmations).toBe(CONFIRMATIONS);
  });

  test("a total only the head block shows is refused; two blocks later it stands", async () => {
    const channelAddress = String((await nodeChannel(stack, CLAIMER)).channelAddress);
    await depositAsBob({
      signer: stack.wallet(CLAIMER),
      channelAddress,
      assetId: ETH,
      amount: parseEther("0.3"),
    });
    const claim = await claimAtHead();
    expect((claim.details as { totalDepositsBob: bigint }).totalDepositsBob).toBe(
      parseEther("0.3"),
    );
    const refused = await propose(claim);
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.error.code).toBe("INVALID_DEPOSIT");
    // Nothing credited: the channel has no asset yet.
    expect((await nodeChannel(stack, CLAIMER)).processedDepositsB).toEqual([]);

    // Two more blocks: three confirmations. The same claim (fresh signature) now stands,
    // unless the node's watcher reconciled it first (its proposal finds nobody to answer,
    // so it cannot have).
    await mine(CONFIRMATIONS - 1);
    const accepted = await propose(await claimAtHead());
    expect(accepted.ok).toBe(true);
    const channel = (await nodeChannel(stack, CLAIMER)) as {
      processedDepositsB: string[];
      balances: { amount: string[] }[];
    };
    expect(channel.processedDepositsB).toEqual([parseEther("0.3").toString()]);
    expect(channel.balances[0]?.amount[1]).toBe(parseEther("0.3").toString());
  }, 60_000);

  test("a client deposits, pays and gets paid at the node's depth", async () => {
    // Blocks keep coming, as on a live chain, so the waits for depth end.
    const miner = setInterval(() => void stack.provider.send("evm_mine", []).catch(() => {}), 250);
    try {
      const [payer, payee] = await Promise.all([stack.client(8), stack.client(9)]);
      const { transactionHash } = await payer.deposit({ assetId: ETH, amount: parseEther("0.5") });
      const receipt = await stack.provider.getTransactionReceipt(transactionHash);
      const head = await stack.provider.getBlockNumber();
      expect(head - (receipt?.blockNumber as number) + 1).toBeGreaterThanOrEqual(CONFIRMATIONS);
      // Had deposit() not waited, its reconcile would have seen nothing at the node's depth.
      expect(payer.getBalance(ETH).user).toBe(parseEther("0.5"));
      await expectChannelsAgree(stack, payer);

      // The payee's collateral: the node's deposit waits for three confirmations, then both
      // sides read it at that depth.
      const paid = await payer.transfer({
        recipient: payee.identifier,
        assetId: ETH,
        amount: parseEther("0.01"),
      });
      expect(paid.status).toBe("completed");
      expect(payee.getBalance(ETH).user).toBe(parseEther("0.01"));
      await expectChannelsAgree(stack, payee);
    } finally {
      clearInterval(miner);
    }
  }, 90_000);
});
