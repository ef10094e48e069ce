import { Wallet } from "ethers";
import type { ConnextClient } from "../../client";
import type { ClientEventMap } from "../../client/events";
import { ChannelFactory__factory, ChannelMastercopy__factory } from "../../contracts-bindings";
import type { RequestInterceptor } from "../../node/engine/engine";
import { NodeError } from "../../node/engine/errors";
import { type ChannelUpdate, decodeUpdateMessage, type FullChannelState } from "../../protocol";
import type { Stack } from "../stack";

/**
 * Shared pieces of the client dispute suites (issue 10): the chain's clock, waiting on the
 * chain, what a client told its application, and what the channel paid out on-chain.
 */

/**
 * Moves the chain's clock (anvil) and mines a block at the new time; the node's and the
 * clients' clock move along, so that both keep telling the same time.
 */
export async function passTime(stack: Stack, seconds: number): Promise<void> {
  await stack.provider.send("evm_increaseTime", [seconds]);
  await stack.provider.send("evm_mine", []);
  stack.clock.advance(seconds);
}

/** The latest block's timestamp. */
export async function chainNow(stack: Stack): Promise<number> {
  const block = await stack.provider.getBlock("latest");
  if (!block) throw new Error("no latest block");
  return block.timestamp;
}

/** Waits for an asynchronous condition (a chain read, say), polling. */
export async function until(
  condition: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await Bun.sleep(50);
  }
}

/** Every dispute event (and error) a client emits, in order. */
export class DisputeLog {
  readonly started: ClientEventMap["dispute.started"][] = [];
  readonly answered: ClientEventMap["dispute.answered"][] = [];
  readonly defunded: ClientEventMap["dispute.defunded"][] = [];
  readonly exited: ClientEventMap["dispute.exited"][] = [];
  readonly resumed: ClientEventMap["dispute.resumed"][] = [];
  readonly errors: Error[] = [];

  listen(client: ConnextClient): this {
    client.on("dispute.started", (e) => this.started.push(e));
    client.on("dispute.answered", (e) => this.answered.push(e));
    client.on("dispute.defunded", (e) => this.defunded.push(e));
    client.on("dispute.exited", (e) => this.exited.push(e));
    client.on("dispute.resumed", (e) => this.resumed.push(e));
    client.on("error", (e) => this.errors.push(e));
    return this;
  }

  exitedTotal(assetId: string): bigint {
    return this.exited
      .filter((e) => e.assetId.toLowerCase() === assetId.toLowerCase())
      .reduce((sum, e) => sum + e.amount, 0n);
  }
}

/** A fresh address nobody pays gas from: its balance is exactly what it was sent. */
export function freshRecipient(): string {
  return Wallet.createRandom().address;
}

/** Deploys the channel if it has no code yet (the node's collateral usually deploys it). */
export async function deployChannel(stack: Stack, state: FullChannelState): Promise<void> {
  if ((await stack.provider.getCode(state.channelAddress)) !== "0x") return;
  const factory = ChannelFactory__factory.connect(stack.book.channelFactory, stack.wallet(9));
  await (await factory.createChannel(state.alice, state.bob)).wait();
}

const CHANNEL = ChannelMastercopy__factory.createInterface();

/** The channel's events of one name, parsed, with their transaction and block. */
export async function channelEvents(stack: Stack, channelAddress: string, name: string) {
  const topic = CHANNEL.getEvent(name as "Exited")?.topicHash as string;
  const logs = await stack.provider.getLogs({
    address: channelAddress,
    topics: [topic],
    fromBlock: 0,
    toBlock: "latest",
  });
  return logs.map((log) => ({
    args: CHANNEL.parseLog(log)?.args as unknown as Record<string, unknown> & unknown[],
    transactionHash: log.transactionHash,
    blockNumber: log.blockNumber,
  }));
}

/** What the channel's exits paid `owner` in total (its Exited events). */
export async function exitedTo(stack: Stack, channelAddress: string, owner: string) {
  const exits = await channelEvents(stack, channelAddress, "Exited");
  return exits
    .filter((e) => (e.args.owner as string).toLowerCase() === owner.toLowerCase())
    .reduce((sum, e) => sum + (e.args.amount as bigint), 0n);
}

/**
 * An interceptor by which the node refuses every resolve a user proposes (it reads the
 * pre-image and will not countersign); the refused updates are collected.
 */
export function refuseResolvesFrom(users: () => string[]): {
  intercept: RequestInterceptor;
  refused: ChannelUpdate[];
} {
  const refused: ChannelUpdate[] = [];
  return {
    refused,
    intercept: async (request, handle) => {
      const refusing = users().map((u) => u.toLowerCase());
      if (request.method !== "update" || !refusing.includes(request.user.toLowerCase())) {
        return handle();
      }
      const update = decodeUpdateMessage(request.data).update;
      if (update.type !== "resolve") return handle();
      refused.push(update);
      throw new NodeError("PEER_REJECTED", "read the pre-image, not countersigning");
    },
  };
}
