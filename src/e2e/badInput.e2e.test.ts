import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { NatsConnection } from "@nats-io/nats-core";
import { parseEther, ZeroAddress } from "ethers";
import type { ConnextClient } from "../client";
import {
  type ChannelUpdate,
  DEFAULT_CLAIM_BUFFER_SECONDS,
  definitionRegistry,
  encodeMessage,
  hashlock,
  lookupDefinition,
  minimumPayerExpiry,
  PROTOCOL_VERSION,
  privateKeySigner,
  proposeUpdate,
  validateRestore,
  withdraw,
} from "../protocol";
import { decodeReply, subjectFor, updateResultSchema } from "../protocol/messaging";
import type { RestorePage } from "../protocol/schemas";
import { restorePageSchema } from "../protocol/schemas";
import { nodeChannel } from "./expectations";
import { type Stack, startStack } from "./stack";
import { connectAsUser } from "./userConnection";

/**
 * Issue 5 §7: bad input from a connected, signed-in user — forged, stale, misdirected,
 * oversized and malformed messages, and publishing or subscribing as someone else — gets a
 * clear error and changes nothing.
 */
let stack: Stack;
let mallory: ConnextClient;
let victim: ConnextClient;
let nats: NatsConnection;
const MALLORY = 7;
const ETH = ZeroAddress;

beforeAll(async () => {
  stack = await startStack();
  mallory = await stack.client(MALLORY);
  victim = await stack.client(8);
  await mallory.deposit({ assetId: ETH, amount: parseEther("1") });
  await mallory.close();
  nats = await connectAsUser(stack, MALLORY);
}, 120_000);

afterAll(async () => {
  await nats?.close();
  await stack?.stop();
});

const node = () => stack.node.identifier;
const me = () => stack.wallet(MALLORY).address;

async function request(method: string, payload: string | Uint8Array) {
  const reply = await nats.request(subjectFor(node(), me(), method), payload, { timeout: 5_000 });
  return decodeReply<{ update: ChannelUpdate }>(reply.data, updateResultSchema);
}

/** Mallory's channel as the node has it, validated, to build proposals on. */
async function currentView() {
  const raw = await nats.request(
    subjectFor(node(), me(), "restore"),
    JSON.stringify({ protocolVersion: PROTOCOL_VERSION }),
    { timeout: 5_000 },
  );
  const reply = decodeReply<RestorePage>(raw.data, restorePageSchema);
  if (!reply.ok) throw new Error(reply.error.message);
  return validateRestore(reply.result, { identity: me(), state: undefined }, context());
}

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
    now: stack.clock.now(),
    lookupDefinition: (address: string) => {
      try {
        return lookupDefinition(registry, address);
      } catch {
        return undefined;
      }
    },
  };
}

/** A valid routed payment proposal from Mallory to the victim, to corrupt. */
async function paymentProposal(): Promise<ChannelUpdate> {
  const view = await currentView();
  // Both channels have the default one-day dispute window: an expiry the node routes.
  const now = stack.clock.now();
  const expiry =
    Number(minimumPayerExpiry(now, 86_400, 86_400, DEFAULT_CLAIM_BUFFER_SECONDS)) + 3600;
  const { update } = await proposeUpdate(
    view,
    {
      type: "create",
      assetId: ETH,
      amount: parseEther("0.1"),
      transferDefinition: stack.book.hashlockTransfer,
      transferInitialState: hashlock.encodeState({
        lockHash: `0x${"11".repeat(32)}`,
        expiry: BigInt(expiry),
      }),
      // Covers the expiry, as the node requires (DESIGN §4.6).
      transferTimeout: expiry - now + DEFAULT_CLAIM_BUFFER_SECONDS,
      meta: { routing: { paymentId: `0x${"22".repeat(32)}`, recipient: victim.identifier } },
    },
    privateKeySigner(stack.wallet(MALLORY).privateKey),
    context(),
  );
  return update;
}

function proposal(update: ChannelUpdate): string {
  return encodeMessage({ protocolVersion: PROTOCOL_VERSION, update });
}

/** Sends `payload` and expects the node to refuse it with `code`, its channel unchanged. */
async function expectRefused(method: string, payload: string | Uint8Array, code: string) {
  const before = await nodeChannel(stack, MALLORY);
  const reply = await request(method, payload);
  expect(reply.ok).toBe(false);
  if (!reply.ok) {
    expect(reply.error.code).toBe(code);
    expect(reply.error.message.length).toBeGreaterThan(0);
  }
  expect(await nodeChannel(stack, MALLORY)).toEqual(before);
}

describe("bad input from a signed-in user changes nothing", () => {
  test("a forged signature", async () => {
    const update = await paymentProposal();
    const forger = privateKeySigner(stack.wallet(9).privateKey);
    const forged = { ...update, bobSignature: await forger.signDigest(`0x${"33".repeat(32)}`) };
    await expectRefused("update", proposal(forged), "WRONG_SIGNER");
  });

  test("a stale nonce", async () => {
    // Mallory's own proposal at the nonce the channel already holds (its latest update may be
    // the node's, when the node's deposit watcher reconciled her deposit before her client did).
    const update = await paymentProposal();
    await expectRefused("update", proposal({ ...update, nonce: update.nonce - 1 }), "STALE_NONCE");
  });

  test("the wrong channel", async () => {
    const update = await paymentProposal();
    const otherChannel = victim.channelAddress;
    await expectRefused(
      "update",
      proposal({ ...update, channelAddress: otherChannel }),
      "WRONG_CHANNEL",
    );
  });

  test("an update from someone else on Mallory's subject", async () => {
    const update = await paymentProposal();
    await expectRefused(
      "update",
      proposal({ ...update, fromIdentifier: victim.identifier }),
      "WRONG_PARTICIPANTS",
    );
  });

  test("an oversized message", async () => {
    const update = await paymentProposal();
    const padded = { ...update, details: { ...update.details, meta: { pad: "x".repeat(70_000) } } };
    // The broker gives a user's connection a max_payload of MAX_MESSAGE_BYTES, so Mallory's own
    // client refuses it (on a NATS server that lets it through, the node answers MESSAGE_TOO_LARGE).
    const before = await nodeChannel(stack, MALLORY);
    await expect(request("update", proposal(padded as ChannelUpdate))).rejects.toThrow(
      "max_payload",
    );
    expect(await nodeChannel(stack, MALLORY)).toEqual(before);
  });

  test("malformed messages", async () => {
    await expectRefused("update", "not json", "MALFORMED_MESSAGE");
    await expectRefused("update", JSON.stringify({ protocolVersion: "1" }), "MALFORMED_MESSAGE");
    await expectRefused(
      "update",
      JSON.stringify({ protocolVersion: "9" }),
      "UNSUPPORTED_PROTOCOL_VERSION",
    );
    const update = await paymentProposal();
    await expectRefused(
      "update",
      proposal({ ...update, balance: { ...update.balance, amount: [-1n, 0n] } }),
      "MALFORMED_MESSAGE",
    );
  });

  test("a payment to nobody the node knows", async () => {
    const update = await paymentProposal();
    const details = {
      ...update.details,
      meta: { routing: { paymentId: `0x${"44".repeat(32)}`, recipient: `0x${"55".repeat(20)}` } },
    };
    // Re-signing is not needed: the node checks routing before the signature.
    await expectRefused(
      "update",
      proposal({ ...update, details } as ChannelUpdate),
      "UNKNOWN_RECIPIENT",
    );
  });

  test("an unknown method", async () => {
    const reply = await request("steal", "{}");
    expect(reply.ok).toBe(false);
    if (!reply.ok) expect(reply.error.code).toBe("UNKNOWN_METHOD");
  });

  test("publishing as another user is refused by the broker", async () => {
    const errors: Error[] = [];
    const watcher = (async () => {
      for await (const status of nats.status()) {
        if (status.type === "error") errors.push(status.error as Error);
      }
    })();
    nats.publish(
      subjectFor(node(), victim.identifier, "update"),
      proposal(await paymentProposal()),
    );
    await nats.flush().catch(() => {});
    await waitUntil(() => errors.length > 0);
    expect(String(errors[0])).toMatch(/permission/i);
    void watcher;
  });

  test("subscribing to another user's subjects is refused by the broker", async () => {
    const subscription = nats.subscribe(subjectFor(victim.identifier, node(), "update"));
    const failure = await (async () => {
      try {
        for await (const _ of subscription) return undefined;
      } catch (error) {
        return error as Error;
      }
      return undefined;
    })();
    expect(String(failure)).toMatch(/permission/i);
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("not in time");
    await Bun.sleep(20);
  }
}
