import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ProtocolHandler } from "@nats-io/nats-core/internal";
import { parseEther, ZeroAddress } from "ethers";
import type { ConnextClient } from "../../client";
import { MemoryStore } from "../../client/store/memory";
import { channelStateDigest, type FullChannelState, recoverSigner } from "../../protocol";
import { threadVoucherDigest } from "../../protocol/definitions";
import { channelStateSchema } from "../../protocol/schemas";
import { decodeThreadMessage } from "../../protocol/threadMessages";
import { expectChannelsAgree, waitFor } from "../expectations";
import { type Stack, startStack } from "../stack";
import { deploymentOf, openThread, voucher } from "./threadHelpers";

/**
 * The node never signs a voucher, and never sees one until the payee resolves its lock with it
 * (DESIGN §4.8). Every message the node publishes during a thread's whole life (open, 50
 * vouchers, close) is recorded at its NATS connection: none is a voucher message; the payer's
 * voucher signatures appear only inside resolve updates (the payee's, answered by the node,
 * and the node's own resolve of the payer's lock, which relays the payee's resolver); and every
 * signature the node made is a channel-state signature: it recovers to the node over the
 * digest of a state both sides stored, and no signature in its messages recovers to the node
 * over a voucher digest.
 */
const ETH = ZeroAddress;
const LOCK = parseEther("0.01");
const STEP = 11_000_000_000n;
const VOUCHERS = 50;

interface Sent {
  subject: string;
  text: string;
}

/** What the node published (requests, replies, events), in order. */
const sent: Sent[] = [];
let recording = false;
const original = ProtocolHandler.prototype.publish;

/** Channel states the clients stored (doubly signed): alice's signature → the state. */
const stored = new Map<string, FullChannelState>();

/** A store that remembers every channel state the client writes. */
class RecordingStore extends MemoryStore {
  override async set(key: string, value: string): Promise<void> {
    try {
      const record = JSON.parse(value) as { channel?: unknown };
      if (record.channel) {
        const state = channelStateSchema.parse(record.channel) as unknown as FullChannelState;
        const signature = state.latestUpdate.aliceSignature;
        if (signature) stored.set(signature.toLowerCase(), state);
      }
    } catch {
      // not a channel head
    }
    return super.set(key, value);
  }
}

let stack: Stack;
let payer: ConnextClient;
let payee: ConnextClient;

beforeAll(async () => {
  ProtocolHandler.prototype.publish = function (
    this: ProtocolHandler,
    subject: string,
    payload?: Uint8Array | string,
    options?: Parameters<typeof original>[2],
  ) {
    const name = (this as unknown as { options?: { name?: string } }).options?.name ?? "";
    if (recording && name.startsWith("connext-node")) {
      const text =
        typeof payload === "string"
          ? payload
          : new TextDecoder().decode(payload ?? new Uint8Array());
      sent.push({ subject, text });
    }
    return original.call(this, subject, payload, options);
  };
  stack = await startStack();
  [payer, payee] = await Promise.all([
    stack.client(1, { store: new RecordingStore() }),
    stack.client(2, { store: new RecordingStore() }),
  ]);
  await payer.deposit({ assetId: ETH, amount: parseEther("1") });
}, 240_000);

afterAll(async () => {
  ProtocolHandler.prototype.publish = original;
  await stack?.stop();
});

/** Every `{ …Signature: "0x…" }` of an update in a JSON value, with the update around it. */
function updatesIn(
  value: unknown,
  found: Record<string, unknown>[] = [],
): Record<string, unknown>[] {
  if (Array.isArray(value)) for (const item of value) updatesIn(item, found);
  else if (value && typeof value === "object") {
    const record = value as Record<string, unknown>;
    if ("aliceSignature" in record || "bobSignature" in record) found.push(record);
    for (const item of Object.values(record)) updatesIn(item, found);
  }
  return found;
}

describe("the node and a thread's vouchers", () => {
  test("the node's messages carry no voucher of its own, and the payer's only inside resolves", async () => {
    const payerBefore = payer.getBalance(ETH).user;
    const payeeBefore = payee.getBalance(ETH).user;
    recording = true;
    const { thread, received } = await openThread(payer, payee, ETH, LOCK);
    for (let i = 0; i < VOUCHERS; i++) await thread.pay(STEP);
    const total = STEP * BigInt(VOUCHERS);
    expect(received.received).toBe(total);
    const payerClosed: bigint[] = [];
    payer.on("thread.closed", ({ threadId, paid }) => {
      if (threadId === thread.id) payerClosed.push(paid);
    });
    expect((await received.close()).paid).toBe(total);
    await waitFor(() => payerClosed.length === 1, 15_000);
    expect(payerClosed[0]).toBe(total);
    await expectChannelsAgree(stack, payer);
    await expectChannelsAgree(stack, payee);
    recording = false;
    expect(payer.getBalance(ETH).user).toBe(payerBefore - total);
    expect(payee.getBalance(ETH).user).toBe(payeeBefore + total);

    const node = stack.node.identifier.toLowerCase();
    const deployment = deploymentOf(stack);
    // The payer's voucher signatures: its signatures are deterministic (RFC 6979), so signing
    // again gives the very ones it sent; the latest is the one the payee holds.
    const payerWallet = stack.wallet(1);
    const payerSignatures = Array.from({ length: VOUCHERS }, (_, i) =>
      voucher(payerWallet, thread.id, STEP * BigInt(i + 1), deployment).signature.toLowerCase(),
    );
    const latest = payerSignatures[VOUCHERS - 1] as string;

    expect(sent.length).toBeGreaterThan(0);
    const carriers: Sent[] = [];
    for (const message of sent) {
      // Nothing the node sends is a voucher message, on a voucher subject or in its shape.
      expect(message.subject.endsWith(".voucher")).toBe(false);
      expect(() => decodeThreadMessage(message.text)).toThrow();
      const lower = message.text.toLowerCase();
      const carried = payerSignatures.filter((s) => lower.includes(s.slice(2)));
      if (carried.length === 0) continue;
      // Only the latest voucher, the one the payee resolved with, and only in a resolve.
      expect(carried).toEqual([latest]);
      carriers.push(message);
      const updates = updatesIn(JSON.parse(message.text)).filter((u) =>
        JSON.stringify(u).toLowerCase().includes(latest.slice(2)),
      );
      expect(updates.length).toBeGreaterThan(0);
      for (const update of updates) {
        expect(update.type).toBe("resolve");
        const resolver = String((update.details as { transferResolver?: string }).transferResolver);
        expect(resolver.toLowerCase()).toContain(latest.slice(2));
      }
    }
    // The node answers the payee's resolve and proposes its own to the payer: both carry it.
    expect(carriers.some((m) => m.subject.includes(".update"))).toBe(true);
    expect(carriers.length).toBeGreaterThanOrEqual(2);

    // Every signature in the node's messages, and what it signs.
    const amounts = Array.from({ length: VOUCHERS + 1 }, (_, i) => STEP * BigInt(i));
    amounts.push(LOCK);
    const voucherDigests = amounts.map((amount) =>
      threadVoucherDigest({ threadId: thread.id, amount }, deployment),
    );
    let nodeSignatures = 0;
    for (const message of sent) {
      for (const update of updatesIn(JSON.parse(message.text))) {
        for (const field of ["aliceSignature", "bobSignature"] as const) {
          const signature = update[field];
          if (typeof signature !== "string") continue;
          for (const digest of voucherDigests) {
            let signer = "";
            try {
              signer = recoverSigner(digest, signature).toLowerCase();
            } catch {
              // not a signature over it
            }
            expect(signer).not.toBe(node);
          }
        }
        const alice = update.aliceSignature;
        if (typeof alice !== "string") continue;
        // The node is alice in every channel: its signature is over a state both sides stored.
        const state = stored.get(alice.toLowerCase());
        expect(state).toBeDefined();
        const digest = channelStateDigest(state as FullChannelState, stack.book.chainId);
        expect(recoverSigner(digest, alice).toLowerCase()).toBe(node);
        nodeSignatures++;
      }
    }
    // Open (2 channels), close (2 channels): at least four states the node signed.
    expect(nodeSignatures).toBeGreaterThanOrEqual(4);
    // Nor does any other 65-byte value in its messages recover to the node over a voucher.
    for (const message of sent) {
      for (const hex of message.text.match(/0x[0-9a-fA-F]{130}(?![0-9a-fA-F])/g) ?? []) {
        for (const digest of voucherDigests) {
          let signer = "";
          try {
            signer = recoverSigner(digest, hex).toLowerCase();
          } catch {
            // not a signature
          }
          expect(signer).not.toBe(node);
        }
      }
    }
  }, 120_000);
});
