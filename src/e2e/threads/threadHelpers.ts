import type { NatsConnection } from "@nats-io/nats-core";
import type { Wallet } from "ethers";
import type { ConnextClient } from "../../client";
import { NodeApi } from "../../client/nodeApi";
import type { PayeeThread } from "../../client/threads/handles";
import { type DefinitionDeployment, threadVoucherDigest } from "../../protocol/definitions";
import type { DistributiveOmit } from "../../protocol/messaging";
import { decodeReply, type ReplyError, subjectFor } from "../../protocol/messaging";
import {
  encodeThreadMessage,
  type ThreadMessage,
  type ThreadReply,
  threadReplySchema,
  type WireVoucher,
} from "../../protocol/threadMessages";
import { waitFor } from "../expectations";
import type { Stack } from "../stack";
import { connectAsUser } from "../userConnection";

/** The thread definition's EIP-712 domain in this stack (what the clients sign for). */
export function deploymentOf(stack: Stack): DefinitionDeployment {
  return { chainId: stack.book.chainId, definition: stack.book.threadTransfer as string };
}

/** A voucher for `amount` of `threadId`, signed with `wallet`'s key (for `deployment`). */
export function voucher(
  wallet: Wallet,
  threadId: string,
  amount: bigint,
  deployment: DefinitionDeployment,
): WireVoucher {
  const digest = threadVoucherDigest({ threadId, amount }, deployment);
  return { amount, signature: wallet.signingKey.sign(digest).serialized };
}

/**
 * A raw NATS connection as dev account `index`, signed in like the client (its own JWT,
 * its own inbox): it may publish only `connext.*.<self>.…` subjects.
 */
export async function rawConnection(stack: Stack, index: number): Promise<NatsConnection> {
  return connectAsUser(stack, index);
}

export type RawAnswer = { ok: true; result: ThreadReply } | { ok: false; error: ReplyError };

/** Sends raw bytes (or a thread message) to `payee` as `from`; the payee's decoded answer. */
export async function askRaw(
  nats: NatsConnection,
  payee: string,
  from: string,
  message: DistributiveOmit<ThreadMessage, "protocolVersion"> | string | Uint8Array,
): Promise<RawAnswer> {
  const data =
    typeof message === "string" || message instanceof Uint8Array
      ? message
      : encodeThreadMessage(message);
  const reply = await nats.request(subjectFor(payee, from, "voucher"), data, { timeout: 10_000 });
  return decodeReply<ThreadReply>(reply.data, threadReplySchema);
}

/** Opens a thread from `payer` to `payee` and waits for the payee's handle. */
export async function openThread(
  payer: ConnextClient,
  payee: ConnextClient,
  assetId: string,
  amount: bigint,
): Promise<{
  thread: Awaited<ReturnType<ConnextClient["openThread"]>>;
  received: PayeeThread;
}> {
  const opened: PayeeThread[] = [];
  const listener = ({ thread }: { thread: PayeeThread }) => opened.push(thread);
  payee.on("thread.opened", listener);
  try {
    const thread = await payer.openThread({ counterparty: payee.identifier, assetId, amount });
    await waitFor(() => opened.some((t) => t.id === thread.id), 15_000);
    const received = opened.find((t) => t.id === thread.id) as PayeeThread;
    return { thread, received };
  } finally {
    payee.off("thread.opened", listener);
  }
}

/** The `code` of a thrown error (ClientError), or undefined. */
export async function codeOf(work: Promise<unknown>): Promise<string | undefined> {
  try {
    await work;
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code ?? `no code: ${(error as Error).message}`;
  }
}

/**
 * The node's copy of a user's channel (its authenticated HTTP API): the user's and the node's
 * balance in `assetId` (the node is alice, the user bob) and the transfers it holds.
 */
export async function nodeSide(
  stack: Stack,
  index: number,
  assetId: string,
): Promise<{ user: bigint; node: bigint; transferIds: string[]; nonce: number }> {
  const wallet = stack.wallet(index);
  const token = await new NodeApi(stack.node.httpUrl).signIn(wallet.address, (message) =>
    wallet.signMessage(message),
  );
  const headers = { authorization: `Bearer ${token}` };
  const channel = (await (await fetch(`${stack.node.httpUrl}/channel`, { headers })).json()) as {
    assetIds: string[];
    balances: { amount: string[] }[];
    nonce: number;
  };
  const transfers = (await (
    await fetch(`${stack.node.httpUrl}/channel/transfers`, { headers })
  ).json()) as { transferId: string }[];
  const at = channel.assetIds.findIndex((a) => a.toLowerCase() === assetId.toLowerCase());
  const amounts = channel.balances[at]?.amount ?? ["0", "0"];
  return {
    node: BigInt(amounts[0] ?? "0"),
    user: BigInt(amounts[1] ?? "0"),
    transferIds: transfers.map((t) => t.transferId),
    nonce: channel.nonce,
  };
}
