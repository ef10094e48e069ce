import { expect, test } from "bun:test";
import {
  acceptCountersigned,
  adoptApplied,
  type ChannelUpdate,
  decodeUpdateMessage,
  encodeMessage,
  hashlock,
  PROTOCOL_VERSION,
  ProtocolError,
  proposeUpdate,
  respondToUpdate,
} from "../protocol";
import { decodeReply, errorReply, okReply, updateResultSchema } from "../protocol/messaging";
import {
  context,
  ETH,
  HASHLOCK_ADDRESS,
  NETWORK,
  NOW,
  type Party,
  party,
} from "../protocol/testing/twoParties";
import { ClientChannel } from "./clientChannel";
import { MemoryStore } from "./store/memory";

/**
 * DESIGN §4.4: "if both parties propose the same nonce, alice's update wins and bob re-proposes
 * on top of it". The node here is a party of the protocol core answering by its rules; the
 * client is the real ClientChannel.
 */
const NODE_KEY = `0x${"11".repeat(32)}`;
const USER_KEY = `0x${"22".repeat(32)}`;
/** What "the chain" shows both parties; the node's own deposit lands during the race. */
const DEPOSITS = { totalDepositsAlice: 0n, totalDepositsBob: 100n };

function clientFor(node: Party, onRequest: (method: string, payload: string) => Promise<string>) {
  const user = party(USER_KEY);
  return new ClientChannel({
    signer: user.signer,
    node: node.signer.address,
    network: NETWORK,
    store: new MemoryStore(),
    lookupDefinition: context().lookupDefinition,
    readDeposits: async () => DEPOSITS,
    request: async (method, payload) => new TextEncoder().encode(await onRequest(method, payload)),
    check: () => {},
    applied: () => {},
    now: () => NOW,
  });
}

/** The node answers a client's proposal as the engine does: stale nonces carry its latest. */
async function nodeAnswers(node: Party, payload: string): Promise<string> {
  const { update } = decodeUpdateMessage(payload);
  const nonce = node.view.state?.nonce ?? 0;
  if (update.nonce <= nonce) {
    return errorReply({
      code: "STALE_NONCE",
      message: `expected ${nonce + 1}`,
      latestUpdate: node.view.state?.latestUpdate as ChannelUpdate,
    });
  }
  try {
    const reply = await respondToUpdate(
      node.view,
      update,
      node.signer,
      context({ chainDeposits: DEPOSITS }),
    );
    node.view = adoptApplied(node.view, reply.applied);
    return okReply({ update: reply.update });
  } catch (error) {
    if (error instanceof ProtocolError)
      return errorReply({ code: error.code, message: error.message });
    throw error;
  }
}

/** The node proposes to the client and adopts the countersigned update. */
async function nodeProposes(
  node: Party,
  client: ClientChannel,
  draft: Parameters<typeof proposeUpdate>[1],
) {
  const ctx = context({ chainDeposits: DEPOSITS });
  const { update } = await proposeUpdate(node.view, draft, node.signer, ctx);
  const raw = await client.respond(
    new TextEncoder().encode(
      encodeMessage({
        protocolVersion: PROTOCOL_VERSION,
        update,
        ...(node.view.state ? { previousUpdate: node.view.state.latestUpdate } : {}),
      }),
    ),
  );
  const reply = decodeReply<{ update: ChannelUpdate }>(raw, updateResultSchema);
  if (!reply.ok) throw new Error(reply.error.message);
  node.view = adoptApplied(
    node.view,
    acceptCountersigned(node.view, update, reply.result.update, ctx),
  );
}

test("the node's proposal wins a same-nonce race and the client re-proposes on top of it", async () => {
  const node = party(NODE_KEY);
  let racing = false;
  const client = clientFor(node, async (method, payload) => {
    expect(method).toBe("update");
    if (racing) {
      racing = false;
      // While the client's proposal is in flight, the node reconciles a deposit of its own
      // at the same nonce, first.
      DEPOSITS.totalDepositsAlice = 50n;
      await nodeProposes(node, client, { type: "deposit", assetId: ETH });
    }
    return nodeAnswers(node, payload);
  });
  await client.propose(() => ({
    type: "setup",
    counterparty: node.signer.address,
    timeout: 86_400,
    networkContext: NETWORK,
  }));

  await client.propose(() => ({ type: "deposit", assetId: ETH }));

  racing = true;
  const applied = await client.propose(() => ({
    type: "create",
    assetId: ETH,
    amount: 10n,
    transferDefinition: HASHLOCK_ADDRESS,
    transferInitialState: hashlock.encodeState({ lockHash: `0x${"33".repeat(32)}`, expiry: 0n }),
    transferTimeout: 3600,
  }));

  // Nonce 3 is the node's deposit, nonce 4 the client's create on top of it.
  expect(applied?.state.nonce).toBe(4);
  expect(client.view.state?.nonce).toBe(4);
  expect(node.view.state?.nonce).toBe(4);
  expect(client.view.state).toEqual(node.view.state);
  expect(client.view.state?.balances[0]?.amount).toEqual([50n, 90n]);
  DEPOSITS.totalDepositsAlice = 0n;
});

test("the node one update behind is told the client's latest update, to catch up from", async () => {
  const node = party(NODE_KEY);
  let forget = false;
  const client = clientFor(node, async (_method, payload) => {
    if (!forget) return nodeAnswers(node, payload);
    // The node countersigns, the client stores, and the node loses it (a crash before storing).
    const before = node.view;
    const answer = await nodeAnswers(node, payload);
    node.view = before;
    return answer;
  });
  await client.propose(() => ({
    type: "setup",
    counterparty: node.signer.address,
    timeout: 86_400,
    networkContext: NETWORK,
  }));
  forget = true;
  await client.propose(() => ({ type: "deposit", assetId: ETH }));
  expect(client.view.state?.nonce).toBe(2);
  expect(node.view.state?.nonce).toBe(1);

  const ctx = context({ chainDeposits: DEPOSITS });
  const { update } = await proposeUpdate(
    node.view,
    { type: "deposit", assetId: ETH },
    node.signer,
    ctx,
  );
  const raw = await client.respond(
    new TextEncoder().encode(encodeMessage({ protocolVersion: PROTOCOL_VERSION, update })),
  );
  const reply = decodeReply<{ update: ChannelUpdate }>(raw, updateResultSchema);
  expect(reply.ok).toBe(false);
  if (reply.ok) return;
  expect(reply.error.code).toBe("STALE_NONCE");
  expect(reply.error.latestUpdate).toEqual(client.view.state?.latestUpdate as ChannelUpdate);
  expect(client.view.state?.nonce).toBe(2);
});
