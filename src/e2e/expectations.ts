import { expect } from "bun:test";
import type { ConnextClient } from "../client";
import { NodeApi } from "../client/nodeApi";
import { encodeWire } from "../protocol/messaging";
import { ADMIN_TOKEN, type Stack } from "./stack";

export async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await Bun.sleep(20);
  }
}

/** The node's copy of the user's channel, through its authenticated HTTP API. */
export async function nodeChannel(
  stack: Stack,
  userIndex: number,
): Promise<Record<string, unknown>> {
  const wallet = stack.wallet(userIndex);
  const api = new NodeApi(stack.node.httpUrl);
  const token = await api.signIn(wallet.address, (message) => wallet.signMessage(message));
  const response = await fetch(`${stack.node.httpUrl}/channel`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

/**
 * Both sides hold the same latest doubly-signed state (given a moment for updates in flight),
 * and the client's balances add up: per asset, balances equal processed deposits minus what
 * left through withdrawals and what is locked in transfers (DESIGN §6, conservation).
 */
export async function expectChannelsAgree(stack: Stack, client: ConnextClient): Promise<void> {
  const index = stack.indexOf(client.identifier);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const theirs = await nodeChannel(stack, index);
    const ours = JSON.parse(encodeWire(client.getChannel()));
    if (theirs.nonce === ours.nonce || Date.now() > deadline) {
      expect(theirs).toEqual(ours);
      return;
    }
    await Bun.sleep(50);
  }
}

/** A payment's status as the node's store holds it (the admin API), undefined if unknown. */
export async function paymentStatus(stack: Stack, paymentId: string): Promise<string | undefined> {
  const response = await fetch(`${stack.node.httpUrl}/admin/payments`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  const all = (await response.json()) as { paymentId: string; status: string }[];
  return all.find((payment) => payment.paymentId === paymentId)?.status;
}
