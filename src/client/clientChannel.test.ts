import { expect, test } from "bun:test";
import {
  acceptCountersigned,
  adoptApplied,
  type ChainDisputeOutcome,
  type ChannelUpdate,
  channelStateHash,
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
import { ClientChannel, type ClientChannelDeps } from "./clientChannel";
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

function clientFor(
  node: Party,
  onRequest: (method: string, payload: string) => Promise<string>,
  overrides: Partial<ClientChannelDeps> = {},
) {
  const user = party(USER_KEY);
  return new ClientChannel({
    signer: user.signer,
    node: node.signer.address,
    network: NETWORK,
    store: new MemoryStore(),
    lookupDefinition: context().lookupDefinition,
    readDeposits: async () => DEPOSITS,
    readDisputeOutcome: async () => {
      throw new Error("no dispute in this test");
    },
    request: async (method, payload) => new TextEncoder().encode(await onRequest(method, payload)),
    check: () => {},
    applied: () => {},
    now: () => NOW,
    ...overrides,
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

/** A finished dispute of the node's current state, as `readDisputeOutcome` would read it. */
function finishedDispute(node: Party): ChainDisputeOutcome {
  return {
    round: 1,
    channelStateHash: channelStateHash(node.view.state as NonNullable<Party["view"]["state"]>),
    defundExpiry: NOW - 10,
    chainTime: NOW,
    defunds: [],
    disputedTransferIds: [],
    undecidedTransferIds: [],
  };
}

/** The node proposes `draft` to the client; the client's reply (adopted by the node if ok). */
async function nodeSends(
  node: Party,
  client: ClientChannel,
  draft: Parameters<typeof proposeUpdate>[1],
  extra: Parameters<typeof context>[0] = {},
) {
  const ctx = context({ chainDeposits: DEPOSITS, ...extra });
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
  if (reply.ok) {
    node.view = adoptApplied(
      node.view,
      acceptCountersigned(node.view, update, reply.result.update, ctx),
    );
  }
  return reply;
}

test("in dispute, the client proposes and answers nothing but a resume, then works again", async () => {
  const node = party(NODE_KEY);
  let resumable = false;
  const client = clientFor(node, (_method, payload) => nodeAnswers(node, payload), {
    readDisputeOutcome: async () => finishedDispute(node),
    beforeResume: async () => {
      if (!resumable) throw new ProtocolError("CHANNEL_IN_DISPUTE", "our side is not done");
    },
  });
  await client.propose(() => ({
    type: "setup",
    counterparty: node.signer.address,
    timeout: 86_400,
    networkContext: NETWORK,
  }));
  await client.propose(() => ({ type: "deposit", assetId: ETH }));
  await client.enterDispute();
  expect(client.inDispute).toBe(true);

  // Ours: refused before anything is signed or sent.
  await expect(client.propose(() => ({ type: "deposit", assetId: ETH }))).rejects.toMatchObject({
    code: "CHANNEL_IN_DISPUTE",
  });
  // Theirs: refused, the state unchanged.
  const deposit = await nodeSends(
    node,
    client,
    { type: "deposit", assetId: ETH },
    { chainDeposits: { totalDepositsAlice: 30n, totalDepositsBob: 100n } },
  );
  expect(deposit.ok ? "countersigned" : deposit.error.code).toBe("CHANNEL_IN_DISPUTE");
  expect(client.view.state?.nonce).toBe(2);
  // The node's resume, while our own side of the dispute is not done: refused too.
  const early = await nodeSends(
    node,
    client,
    { type: "resume" },
    { chainDispute: finishedDispute(node) },
  );
  expect(early.ok ? "countersigned" : early.error.code).toBe("CHANNEL_IN_DISPUTE");

  // Once it is, the resume is countersigned (checked against the chain's outcome).
  resumable = true;
  const resumed = await nodeSends(
    node,
    client,
    { type: "resume" },
    { chainDispute: finishedDispute(node) },
  );
  expect(resumed.ok).toBe(true);
  expect(client.view.state?.latestUpdate.type).toBe("resume");
  expect(client.view.state?.nonce).toBe(3);

  client.leaveDispute();
  await client.propose(() => ({
    type: "create",
    assetId: ETH,
    amount: 10n,
    transferDefinition: HASHLOCK_ADDRESS,
    transferInitialState: hashlock.encodeState({ lockHash: `0x${"44".repeat(32)}`, expiry: 0n }),
    transferTimeout: 3600,
  }));
  expect(client.view.state?.nonce).toBe(4);
});

test("in dispute, the client's own resume is proposed with the chain's outcome", async () => {
  const node = party(NODE_KEY);
  let outcome: ChainDisputeOutcome | undefined;
  const client = clientFor(
    node,
    async (_method, payload) => {
      const { update } = decodeUpdateMessage(payload);
      if (update.type !== "resume") return nodeAnswers(node, payload);
      // The node checks a resume against its own read of the chain.
      const reply = await respondToUpdate(
        node.view,
        update,
        node.signer,
        context({ chainDispute: outcome }),
      );
      node.view = adoptApplied(node.view, reply.applied);
      return okReply({ update: reply.update });
    },
    { readDisputeOutcome: async () => outcome as ChainDisputeOutcome },
  );
  await client.propose(() => ({
    type: "setup",
    counterparty: node.signer.address,
    timeout: 86_400,
    networkContext: NETWORK,
  }));
  await client.enterDispute();
  outcome = finishedDispute(node);
  await client.propose(() => ({ type: "resume" }));
  expect(client.view.state).toEqual(node.view.state);
  expect(client.view.state?.latestUpdate.type).toBe("resume");
});

test("a burst of syncs costs the node two: the one running and one after it for all the rest", async () => {
  const node = party(NODE_KEY);
  let syncs = 0;
  let answer: () => void = () => {};
  const client = clientFor(node, async (method, payload) => {
    if (method !== "sync") return nodeAnswers(node, payload);
    syncs++;
    await new Promise<void>((resolve) => {
      answer = resolve;
    });
    return okReply({});
  });
  const first = client.sync();
  const rest = Array.from({ length: 50 }, () => client.sync());
  expect(syncs).toBe(1);
  answer();
  await first;
  // The next one starts only after the first has answered: what the rest were told about
  // may have happened after the first was sent.
  while (syncs < 2) await Bun.sleep(1);
  answer();
  await Promise.all(rest);
  expect(syncs).toBe(2);
  // Later calls sync again.
  const later = client.sync();
  while (syncs < 3) await Bun.sleep(1);
  answer();
  await later;
  expect(syncs).toBe(3);
});

test("a draft the node's proposal overtakes is drafted again, on the new view, before anything is signed", async () => {
  const node = party(NODE_KEY);
  const requests: string[] = [];
  const client = clientFor(node, async (method, payload) => {
    requests.push(method);
    return nodeAnswers(node, payload);
  });
  await client.propose(() => ({
    type: "setup",
    counterparty: node.signer.address,
    timeout: 86_400,
    networkContext: NETWORK,
  }));
  await client.propose(() => ({ type: "deposit", assetId: ETH }));
  requests.length = 0;

  const draftedOn: number[] = [];
  const applied = await client.propose(async (view) => {
    draftedOn.push(view.state?.nonce ?? 0);
    if (draftedOn.length === 1) {
      // While we draft, the node's own deposit lands at the nonce we were drafting for.
      DEPOSITS.totalDepositsAlice = 20n;
      await nodeProposes(node, client, { type: "deposit", assetId: ETH });
    }
    return {
      type: "create",
      assetId: ETH,
      amount: 10n,
      transferDefinition: HASHLOCK_ADDRESS,
      transferInitialState: hashlock.encodeState({ lockHash: `0x${"55".repeat(32)}`, expiry: 0n }),
      transferTimeout: 3600,
    };
  });
  DEPOSITS.totalDepositsAlice = 0n;
  expect(draftedOn).toEqual([2, 3]);
  // One proposal sent, at nonce 4: nothing was built on the view the node moved past.
  expect(requests).toEqual(["update"]);
  expect(applied?.state.nonce).toBe(4);
  expect(client.view.state).toEqual(node.view.state);
});

test("a lost store is rebuilt from the node's restore once the step checked it; a forged one changes nothing", async () => {
  const node = party(NODE_KEY);
  let forged = false;
  const serve = async (method: string, payload: string) => {
    if (method !== "restore") return nodeAnswers(node, payload);
    const state = node.view.state as NonNullable<Party["view"]["state"]>;
    const channel = forged ? { ...state, merkleRoot: `0x${"12".repeat(32)}` } : state;
    const activeTransfers = [...node.view.transfers.values()];
    return okReply({
      protocolVersion: PROTOCOL_VERSION,
      channel,
      activeTransfers,
      offset: 0,
      totalTransfers: activeTransfers.length,
    });
  };
  const first = clientFor(node, serve);
  await first.propose(() => ({
    type: "setup",
    counterparty: node.signer.address,
    timeout: 86_400,
    networkContext: NETWORK,
  }));
  await first.propose(() => ({ type: "deposit", assetId: ETH }));

  const stored: number[] = [];
  const fresh = clientFor(node, serve, { applied: (applied) => stored.push(applied.state.nonce) });
  expect(await fresh.load()).toBe(false);
  forged = true;
  await expect(fresh.restore()).rejects.toBeInstanceOf(ProtocolError);
  expect(fresh.view.state).toBeUndefined();
  forged = false;
  expect(await fresh.restore()).toBe(true);
  expect(fresh.view.state).toEqual(node.view.state);
  // A restore replaces the channel: no update was applied.
  expect(stored).toEqual([]);
});

test("the applied callback is told the dispute round a stored resume ends", async () => {
  const node = party(NODE_KEY);
  const told: (number | undefined)[] = [];
  const client = clientFor(node, (_method, payload) => nodeAnswers(node, payload), {
    readDisputeOutcome: async () => finishedDispute(node),
    applied: (applied, _before, _ours, resumedRound) => {
      told.push(resumedRound);
      // Told once the channel holds the update.
      expect(client.view.state?.nonce).toBe(applied.state.nonce);
    },
  });
  await client.propose(() => ({
    type: "setup",
    counterparty: node.signer.address,
    timeout: 86_400,
    networkContext: NETWORK,
  }));
  await client.enterDispute();
  const resumed = await nodeSends(
    node,
    client,
    { type: "resume" },
    { chainDispute: finishedDispute(node) },
  );
  expect(resumed.ok).toBe(true);
  expect(told).toEqual([undefined, 1]);
});
