import { describe, expect, test } from "bun:test";
import { channelStateHash } from "../hashing";
import { privateKeySigner } from "../signatures";
import { type Driven, driven, feed, STEP_CONTEXT, take } from "../testing/conversation";
import { ETH, HASHLOCK_ADDRESS, NETWORK, NOW } from "../testing/twoParties";
import type { ChannelUpdate } from "../types";
import { MAX_RETRIES } from "./retry";
import { step } from "./step";
import type { Event } from "./types";

const NODE_KEY = `0x${"11".repeat(32)}`;
const USER_KEY = `0x${"22".repeat(32)}`;
const NODE = privateKeySigner(NODE_KEY).address;
const USER = privateKeySigner(USER_KEY).address;
function must<T>(value: T | undefined): T {
  if (value === undefined) throw new Error("expected a value");
  return value;
}

const DEPOSIT = { type: "deposit", assetId: ETH } as const;

function parties(): { node: Driven; user: Driven } {
  const node = driven({ key: NODE_KEY, me: NODE, peer: USER, alice: NODE, canRestore: false });
  const user = driven({ key: USER_KEY, me: USER, peer: NODE, alice: NODE, canRestore: true });
  return { node, user };
}

/** Carries `from`'s sent proposal to `to`, and `to`'s reply back. */
function deliver(from: Driven, to: Driven): void {
  const [sent] = take(from, "send");
  if (!sent) throw new Error("nothing sent");
  feed(to, { type: "message", message: sent.message, now: to.now });
  const [answer] = take(to, "reply");
  if (!answer) throw new Error("no reply");
  feed(from, { type: "reply", reply: answer.reply, now: from.now });
}

function propose(
  party: Driven,
  draft: Parameters<NonNullable<Driven["draft"]>>[0] extends never
    ? never
    : Extract<Event, { type: "propose" }>["draft"],
): void {
  party.draft = () => draft;
  feed(party, { type: "propose", draft, now: party.now });
}

/** A set-up channel with the user's deposit of 100 reconciled on both sides. */
function setUp(): { node: Driven; user: Driven } {
  const { node, user } = parties();
  propose(user, { type: "setup", counterparty: NODE, timeout: 86_400, networkContext: NETWORK });
  deliver(user, node);
  user.deposits = node.deposits = { totalDepositsAlice: 0n, totalDepositsBob: 100n };
  propose(user, DEPOSIT);
  deliver(user, node);
  take(user, "done");
  take(user, "persist");
  take(node, "persist");
  return { node, user };
}

function outcome(party: Driven) {
  const done = take(party, "done");
  expect(done).toHaveLength(1);
  return (done[0] as Extract<(typeof done)[number], { kind: "done" }>).outcome;
}

function createDraft(lock: string) {
  return {
    type: "create" as const,
    assetId: ETH,
    amount: 10n,
    transferDefinition: HASHLOCK_ADDRESS,
    transferInitialState: `0x${lock.repeat(32)}${"0".repeat(64)}`,
    transferTimeout: 3600,
  };
}

describe("our proposal, stage by stage", () => {
  test("reads the deposit totals, signs, sends, stores the countersigned update, reports it", () => {
    const { node, user } = setUp();
    let at = step(user.conversation, { type: "propose", draft: DEPOSIT, now: NOW }, STEP_CONTEXT);
    expect(at.waitingFor).toBe("chainFacts");
    expect(at.effects).toEqual([
      {
        kind: "readDeposits",
        thread: "ours",
        channelAddress: user.conversation.channelAddress,
        assetId: ETH,
      },
    ]);
    const facts = { chainDeposits: { totalDepositsAlice: 0n, totalDepositsBob: 150n } };
    at = step(at.channel, { type: "chainFacts", thread: "ours", facts }, STEP_CONTEXT);
    expect(at.waitingFor).toBe("signature");
    const sign = at.effects[0] as Extract<(typeof at.effects)[number], { kind: "sign" }>;
    const signature = `0x${"00".repeat(65)}`;
    // Any signature: the step only carries it; the counterparty's check would refuse a bad one.
    at = step(at.channel, { type: "signed", thread: "ours", signature }, STEP_CONTEXT);
    expect(sign.kind).toBe("sign");
    expect(at.waitingFor).toBe("reply");
    const sent = at.effects[0] as Extract<(typeof at.effects)[number], { kind: "send" }>;
    expect(sent.message.update.nonce).toBe(3);
    expect(sent.message.previousUpdate?.nonce).toBe(2);
    expect(at.channel.live.map((proposal) => proposal.nonce)).toEqual([3]);
    // The view moves only once the write is stored.
    expect(at.channel.view).toBe(user.conversation.view);
    void node;
  });

  test("a full round trip leaves both sides on the same state", () => {
    const { node, user } = setUp();
    expect(user.conversation.view.state).toEqual(node.conversation.view.state);
    expect(user.conversation.view.state?.nonce).toBe(2);
    expect(user.conversation.view.state?.balances[0]?.amount).toEqual([0n, 100n]);
    expect(user.conversation.live).toEqual([]);
  });

  test("nothing is adopted, and nothing reported, before the write is stored", () => {
    const { node, user } = setUp();
    propose(user, createDraft("33"));
    const [sent] = take(user, "send");
    feed(node, { type: "message", message: must(sent).message, now: NOW });
    const [answer] = take(node, "reply");
    const at = step(
      user.conversation,
      { type: "reply", reply: must(answer).reply, now: NOW },
      STEP_CONTEXT,
    );
    expect(at.waitingFor).toBe("persisted");
    expect(at.effects.map((effect) => effect.kind)).toEqual(["persist"]);
    expect(at.channel.view.state?.nonce).toBe(2);
    const stored = step(at.channel, { type: "persisted", thread: "ours" }, STEP_CONTEXT);
    expect(stored.channel.view.state?.nonce).toBe(3);
    expect(stored.effects.map((effect) => effect.kind)).toEqual(["done"]);
  });

  test("a draft that finds nothing to do ends the proposal", () => {
    const { user } = setUp();
    const at = step(
      { ...user.conversation, ours: { stage: "draft", attempt: 1 } },
      { type: "abandon" },
      STEP_CONTEXT,
    );
    expect(at.channel.ours).toBeUndefined();
    expect(at.effects).toEqual([{ kind: "done", outcome: { ok: false, abandoned: true } }]);
  });

  test("a draft the rules refuse is refused by us, nothing signed", () => {
    const { user } = setUp();
    const at = step(
      user.conversation,
      { type: "propose", draft: { ...createDraft("33"), amount: 1_000n }, now: NOW },
      STEP_CONTEXT,
    );
    expect(at.effects).toEqual([
      {
        kind: "done",
        outcome: expect.objectContaining({
          ok: false,
          by: "us",
          refusal: expect.objectContaining({ code: "INSUFFICIENT_BALANCE" }),
        }),
      },
    ]);
  });
});

describe("a draft and the view it was built on", () => {
  test("a draft built on a view the channel has moved past is asked for again, on the new view", () => {
    const { user } = setUp();
    const stale = step(
      user.conversation,
      { type: "propose", draft: createDraft("33"), now: NOW, draftedOn: 1 },
      STEP_CONTEXT,
    );
    expect(stale.waitingFor).toBe("draft");
    expect(stale.effects).toEqual([{ kind: "draft", view: user.conversation.view, attempt: 0 }]);
    expect(stale.channel.ours).toEqual({ stage: "draft", attempt: 0 });
    expect(stale.channel.live).toEqual([]);
    // Drafted again on the view it was given: built and signed.
    const again = step(
      stale.channel,
      { type: "propose", draft: createDraft("33"), now: NOW, draftedOn: 2 },
      STEP_CONTEXT,
    );
    expect(again.waitingFor).toBe("signature");
    expect(again.effects.map((effect) => effect.kind)).toEqual(["sign"]);
  });

  test("a retry's draft keeps its attempt when asked for again", () => {
    const { user } = setUp();
    const at = step(
      { ...user.conversation, ours: { stage: "draft", attempt: 3 } },
      { type: "propose", draft: createDraft("33"), now: NOW, draftedOn: 0 },
      STEP_CONTEXT,
    );
    expect(at.effects).toEqual([{ kind: "draft", view: user.conversation.view, attempt: 3 }]);
  });
});

describe("timeouts and out-of-order replies", () => {
  test("a reply that times out ends the proposal; it stays live until the nonce moves past it", () => {
    const { node, user } = setUp();
    propose(user, createDraft("33"));
    const [sent] = take(user, "send");
    feed(user, { type: "replyTimedOut" });
    const result = outcome(user);
    expect(result).toMatchObject({ ok: false, refusal: { code: "PEER_UNAVAILABLE" } });
    expect(user.conversation.live.map((p) => p.nonce)).toEqual([3]);
    // A late reply to it changes nothing: the thread is over.
    feed(node, { type: "message", message: must(sent).message, now: NOW });
    const [late] = take(node, "reply");
    const before = user.conversation;
    feed(user, { type: "reply", reply: must(late).reply, now: NOW });
    expect(user.conversation).toBe(before);
    // The node's own next update moves past it.
    node.deposits = { totalDepositsAlice: 5n, totalDepositsBob: 100n };
    user.deposits = node.deposits;
    propose(node, DEPOSIT);
    deliver(node, user);
    expect(user.conversation.view.state?.nonce).toBe(4);
    expect(user.conversation.live).toEqual([]);
  });

  test("our countersigned update, adopted first from their next proposal, settles the late reply", () => {
    const { node, user } = setUp();
    propose(user, createDraft("33"));
    const [sent] = take(user, "send");
    feed(node, { type: "message", message: must(sent).message, now: NOW });
    const [answer] = take(node, "reply");
    // The node's next proposal carries our nonce-3 update as its previous one, and wins the race.
    node.deposits = user.deposits = { totalDepositsAlice: 5n, totalDepositsBob: 100n };
    propose(node, DEPOSIT);
    deliver(node, user);
    expect(user.conversation.view.state?.nonce).toBe(4);
    const persisted = take(user, "persist");
    feed(user, { type: "reply", reply: must(answer).reply, now: NOW });
    expect(take(user, "persist")).toEqual([]);
    const result = outcome(user);
    expect(result.ok && result.applied.state.nonce).toBe(3);
    expect(persisted.map((p) => p.cause)).toEqual(["caughtUp", "answered"]);
  });

  test("a late reply that is not the update we hold is UPDATE_MISMATCH", () => {
    const { node, user } = setUp();
    propose(user, createDraft("33"));
    const [sent] = take(user, "send");
    feed(node, { type: "message", message: must(sent).message, now: NOW });
    const [answer] = take(node, "reply");
    node.deposits = user.deposits = { totalDepositsAlice: 5n, totalDepositsBob: 100n };
    propose(node, DEPOSIT);
    deliver(node, user);
    const reply = must(answer).reply as { ok: true; update: ChannelUpdate };
    const forged = { ...reply.update, aliceSignature: `0x${"ab".repeat(65)}` };
    feed(user, { type: "reply", reply: { ok: true, update: forged }, now: NOW });
    expect(outcome(user)).toMatchObject({ ok: false, refusal: { code: "UPDATE_MISMATCH" } });
  });
});

describe("races and catching up", () => {
  test("alice wins a same-nonce race: bob answers hers, then re-proposes on top", () => {
    const { node, user } = setUp();
    propose(user, createDraft("33"));
    const [ours] = take(user, "send");
    // The node proposes nonce 3 too, and it reaches the user first.
    node.deposits = user.deposits = { totalDepositsAlice: 50n, totalDepositsBob: 100n };
    propose(node, DEPOSIT);
    deliver(node, user);
    expect(outcome(node).ok).toBe(true);
    // The node refuses the user's nonce 3 as stale, with its latest; the user drafts again.
    feed(node, { type: "message", message: must(ours).message, now: NOW });
    const [refusal] = take(node, "reply");
    expect(must(refusal).reply).toMatchObject({ ok: false, error: { code: "STALE_NONCE" } });
    feed(user, { type: "reply", reply: must(refusal).reply, now: NOW });
    expect(user.conversation.ours).toMatchObject({ stage: "reply", attempt: 1 });
    deliver(user, node);
    const result = outcome(user);
    expect(result.ok && result.applied.state.nonce).toBe(4);
    expect(user.conversation.view.state).toEqual(node.conversation.view.state);
    expect(user.conversation.view.state?.balances[0]?.amount).toEqual([50n, 90n]);
  });

  test("a responder one behind catches up from the previous update the proposal carries", () => {
    const { node, user } = setUp();
    const behind = node.conversation;
    propose(user, createDraft("33"));
    deliver(user, node);
    outcome(user);
    node.conversation = behind; // the node lost its write of nonce 3
    propose(user, createDraft("44"));
    deliver(user, node);
    const result = outcome(user);
    expect(result.ok && result.applied.state.nonce).toBe(4);
    expect(node.conversation.view.state).toEqual(user.conversation.view.state);
    expect(take(node, "persist").map((p) => p.cause)).toEqual(["answered", "caughtUp", "answered"]);
  });

  test("a proposer one behind catches up from the refusal and drafts again", () => {
    const { node, user } = setUp();
    node.deposits = user.deposits = { totalDepositsAlice: 5n, totalDepositsBob: 100n };
    const behind = user.conversation;
    propose(node, DEPOSIT);
    deliver(node, user);
    outcome(node);
    user.conversation = behind; // the user lost the node's nonce 3
    propose(user, createDraft("33"));
    deliver(user, node); // refused STALE_NONCE carrying nonce 3: caught up, drafted, sent
    deliver(user, node);
    const result = outcome(user);
    expect(result.ok && result.applied.state.nonce).toBe(4);
    expect(user.conversation.view.state).toEqual(node.conversation.view.state);
  });

  test("a responder refuses a stale proposal with its latest update", () => {
    const { node, user } = setUp();
    const at = step(
      node.conversation,
      {
        type: "message",
        message: { protocolVersion: "1", update: must(user.conversation.view.state).latestUpdate },
        now: NOW,
      },
      STEP_CONTEXT,
    );
    expect(at.effects).toEqual([
      {
        kind: "reply",
        reply: {
          ok: false,
          error: expect.objectContaining({
            code: "STALE_NONCE",
            latestUpdate: node.conversation.view.state?.latestUpdate,
          }),
        },
      },
    ]);
  });

  test("a proposal from anyone but the counterparty is WRONG_PARTICIPANTS", () => {
    const { node, user } = setUp();
    propose(user, createDraft("33"));
    const [sent] = take(user, "send");
    const at = step(
      user.conversation,
      { type: "message", message: must(sent).message, now: NOW },
      STEP_CONTEXT,
    );
    expect(at.effects[0]).toMatchObject({
      kind: "reply",
      reply: { ok: false, error: { code: "WRONG_PARTICIPANTS" } },
    });
    void node;
  });
});

describe("restore", () => {
  function restoreMessage(from: Driven) {
    const view = from.conversation.view;
    return {
      protocolVersion: "1" as const,
      channel: must(view.state),
      activeTransfers: [...view.transfers.values()],
    };
  }

  test("a proposer further behind restores, then drafts again", () => {
    const { node, user } = setUp();
    const behind = user.conversation;
    for (const total of [5n, 6n]) {
      node.deposits = user.deposits = { totalDepositsAlice: total, totalDepositsBob: 100n };
      propose(node, DEPOSIT);
      deliver(node, user);
      outcome(node);
    }
    user.conversation = behind;
    propose(user, createDraft("33"));
    deliver(user, node);
    expect(take(user, "restore")).toEqual([{ kind: "restore", thread: "ours" }]);
    feed(user, { type: "restored", thread: "ours", message: restoreMessage(node), now: NOW });
    expect(user.conversation.view.state?.nonce).toBe(4);
    deliver(user, node);
    const result = outcome(user);
    expect(result.ok && result.applied.state.nonce).toBe(5);
  });

  test("the node, which has no one to restore from, gives up", () => {
    const { node, user } = setUp();
    const behind = node.conversation;
    for (const lock of ["33", "44"]) {
      propose(user, createDraft(lock));
      deliver(user, node);
      outcome(user);
    }
    node.conversation = behind;
    node.deposits = user.deposits = { totalDepositsAlice: 5n, totalDepositsBob: 100n };
    propose(node, DEPOSIT);
    const [sent] = take(node, "send");
    // The user refuses it as stale (its latest is two ahead): nothing to catch up from.
    feed(user, {
      type: "message",
      message: { ...must(sent).message, previousUpdate: undefined } as never,
      now: NOW,
    });
    const [refusal] = take(user, "reply");
    feed(node, { type: "reply", reply: must(refusal).reply, now: NOW });
    expect(outcome(node)).toMatchObject({
      ok: false,
      by: "peer",
      refusal: { code: "STALE_NONCE" },
    });
  });

  test("a sync one behind adopts the update; further behind restores", () => {
    const { node, user } = setUp();
    const behind = user.conversation;
    for (const total of [5n, 6n]) {
      node.deposits = user.deposits = { totalDepositsAlice: total, totalDepositsBob: 100n };
      propose(node, DEPOSIT);
      deliver(node, user);
      outcome(node);
    }
    const latest = node.conversation.view.state?.latestUpdate as ChannelUpdate;
    const [third] = take(user, "persist");
    // One behind: adopted.
    user.conversation = { ...behind, view: third?.view ?? behind.view };
    feed(user, { type: "peerLatest", update: latest, now: NOW });
    expect(take(user, "persist").map((p) => p.cause)).toEqual(["caughtUp"]);
    expect(take(user, "synced")).toHaveLength(1);
    expect(user.conversation.view.state?.nonce).toBe(4);
    // Two behind: a restore.
    user.conversation = behind;
    feed(user, { type: "peerLatest", update: latest, now: NOW });
    expect(take(user, "restore")).toEqual([{ kind: "restore", thread: "sync" }]);
    feed(user, { type: "restored", thread: "sync", message: restoreMessage(node), now: NOW });
    expect(take(user, "persist").map((p) => p.cause)).toEqual(["restored"]);
    expect(user.conversation.view.state).toEqual(node.conversation.view.state);
  });

  test("a restore the shell fetched on its own (its store lost) is adopted like a sync's", () => {
    const { node } = setUp();
    const fresh = driven({ key: USER_KEY, me: USER, peer: NODE, alice: NODE, canRestore: true });
    expect(fresh.conversation.view.state).toBeUndefined();
    feed(fresh, { type: "restored", thread: "sync", message: restoreMessage(node), now: NOW });
    expect(take(fresh, "persist").map((p) => p.cause)).toEqual(["restored"]);
    expect(take(fresh, "synced")).toEqual([{ kind: "synced" }]);
    expect(fresh.conversation.view.state).toEqual(node.conversation.view.state);
    expect(fresh.conversation.sync).toBeUndefined();
  });

  test("a restore that does not check out is refused, nothing adopted", () => {
    const { node, user } = setUp();
    const message = restoreMessage(node);
    const broken = {
      ...message,
      channel: { ...message.channel, merkleRoot: `0x${"12".repeat(32)}` },
    };
    feed(user, { type: "restored", thread: "sync", message: broken, now: NOW });
    expect(take(user, "synced")[0]?.refusal).toBeDefined();
    expect(user.conversation.view).toBe(
      node.conversation.view === user.conversation.view
        ? node.conversation.view
        : user.conversation.view,
    );
  });
});

describe("the retry rule", () => {
  test(`gives up after ${MAX_RETRIES} retries, and on a refusal that is not about the nonce`, () => {
    const { node, user } = setUp();
    propose(user, createDraft("33"));
    const ours = user.conversation.ours as Extract<
      NonNullable<typeof user.conversation.ours>,
      { stage: "reply" }
    >;
    const stale = {
      ok: false as const,
      error: {
        code: "STALE_NONCE",
        message: "stale",
        latestUpdate: must(node.conversation.view.state).latestUpdate,
      },
    };
    const exhausted = step(
      { ...user.conversation, ours: { ...ours, attempt: MAX_RETRIES } },
      { type: "reply", reply: stale, now: NOW },
      STEP_CONTEXT,
    );
    expect(exhausted.effects[0]).toMatchObject({
      kind: "done",
      outcome: { ok: false, exhausted: true },
    });
    const rejected = step(
      user.conversation,
      {
        type: "reply",
        reply: { ok: false, error: { code: "TRANSFER_REJECTED", message: "no" } },
        now: NOW,
      },
      STEP_CONTEXT,
    );
    expect(rejected.effects[0]).toMatchObject({
      kind: "done",
      outcome: { ok: false, by: "peer", exhausted: false, refusal: { code: "TRANSFER_REJECTED" } },
    });
    // A stale refusal that moves us nowhere: no retry (nothing new to build on).
    const nowhere = step(
      user.conversation,
      { type: "reply", reply: stale, now: NOW },
      STEP_CONTEXT,
    );
    expect(nowhere.effects[0]).toMatchObject({
      kind: "done",
      outcome: { ok: false, exhausted: false },
    });
  });
});

describe("a channel in dispute", () => {
  test("signs nothing but a resume: ours refused, theirs refused, a resume asks for the outcome", () => {
    const { node, user } = setUp();
    feed(user, { type: "disputeStarted" });
    feed(node, { type: "disputeStarted" });
    propose(user, DEPOSIT);
    expect(outcome(user)).toMatchObject({
      ok: false,
      by: "us",
      refusal: { code: "CHANNEL_IN_DISPUTE" },
    });
    expect(take(user, "send")).toEqual([]);

    feed(node, { type: "disputeEnded" });
    node.deposits = user.deposits = { totalDepositsAlice: 5n, totalDepositsBob: 100n };
    propose(node, DEPOSIT);
    feed(node, { type: "disputeStarted" });
    deliver(node, user);
    expect(outcome(node)).toMatchObject({ ok: false, refusal: { code: "CHANNEL_IN_DISPUTE" } });

    const resume = step(
      user.conversation,
      { type: "propose", draft: { type: "resume" }, now: NOW },
      STEP_CONTEXT,
    );
    expect(resume.waitingFor).toBe("chainFacts");
    expect(resume.effects[0]).toMatchObject({
      kind: "readDisputeOutcome",
      thread: "ours",
      assetIds: [ETH],
    });
    feed(user, { type: "disputeEnded" });
    expect(user.conversation.disputed).toBe(false);
  });
});

describe("their resume", () => {
  test("its check names the dispute round it ends; other proposals' checks name none", () => {
    const { node, user } = setUp();
    node.deposits = user.deposits = { totalDepositsAlice: 5n, totalDepositsBob: 100n };
    propose(node, DEPOSIT);
    const [deposit] = take(node, "send");
    const checked = step(
      user.conversation,
      { type: "message", message: must(deposit).message, now: NOW },
      STEP_CONTEXT,
    );
    expect(checked.effects).toEqual([
      { kind: "check", view: user.conversation.view, update: must(deposit).message.update },
    ]);
    feed(node, { type: "abort", thread: "ours" });

    const state = must(node.conversation.view.state);
    node.dispute = {
      round: 2,
      channelStateHash: channelStateHash(state),
      defundExpiry: NOW - 10,
      chainTime: NOW,
      defunds: [],
      disputedTransferIds: [],
      undecidedTransferIds: [],
    };
    feed(user, { type: "disputeStarted" });
    propose(node, { type: "resume" });
    const [resume] = take(node, "send");
    expect(must(resume).message.update.type).toBe("resume");
    const at = step(
      user.conversation,
      { type: "message", message: must(resume).message, now: NOW },
      STEP_CONTEXT,
    );
    expect(at.waitingFor).toBe("check");
    expect(at.effects).toEqual([
      {
        kind: "check",
        view: user.conversation.view,
        update: must(resume).message.update,
        resumesRound: 2,
      },
    ]);
  });
});

describe("every event in every waiting state", () => {
  const NOISE: Event[] = [
    { type: "abandon" },
    { type: "checked" },
    { type: "chainFacts", thread: "ours", facts: {} },
    { type: "chainFacts", thread: "theirs", facts: {} },
    { type: "signed", thread: "ours", signature: "0x" },
    { type: "signed", thread: "theirs", signature: "0x" },
    { type: "persisted", thread: "ours" },
    { type: "persisted", thread: "theirs" },
    { type: "persisted", thread: "sync" },
    { type: "reply", reply: { ok: false, error: { code: "STALE_NONCE", message: "" } }, now: NOW },
    { type: "replyTimedOut" },
    { type: "restored", thread: "ours", message: undefined, now: NOW },
    { type: "abort", thread: "theirs" },
    { type: "abort", thread: "sync" },
  ];

  /** Each stage our proposal waits in, reached by driving a real deposit up to it. */
  function stages() {
    const { user } = setUp();
    const facts = { chainDeposits: { totalDepositsAlice: 0n, totalDepositsBob: 120n } };
    const chain = step(
      user.conversation,
      { type: "propose", draft: DEPOSIT, now: NOW },
      STEP_CONTEXT,
    );
    const sign = step(chain.channel, { type: "chainFacts", thread: "ours", facts }, STEP_CONTEXT);
    const reply = step(
      sign.channel,
      { type: "signed", thread: "ours", signature: "0x1" },
      STEP_CONTEXT,
    );
    return { chainFacts: chain, signature: sign, reply };
  }

  for (const [name, at] of Object.entries(stages())) {
    test(`waiting for ${name}: only its own answer moves it`, () => {
      expect(at.waitingFor).toBe(name as never);
      for (const event of NOISE) {
        const own =
          (name === "chainFacts" && event.type === "chainFacts" && event.thread === "ours") ||
          (name === "signature" && event.type === "signed" && event.thread === "ours") ||
          (name === "reply" && (event.type === "reply" || event.type === "replyTimedOut"));
        if (own) continue;
        const next = step(at.channel, event, STEP_CONTEXT);
        expect({ event: event.type, effects: next.effects }).toEqual({
          event: event.type,
          effects: [],
        });
        expect(next.channel.ours).toBe(at.channel.ours);
      }
      const aborted = step(at.channel, { type: "abort", thread: "ours" }, STEP_CONTEXT);
      expect(aborted.channel.ours).toBeUndefined();
    });
  }

  test("an idle conversation ignores every answer it did not ask for", () => {
    const { user } = setUp();
    for (const event of NOISE) {
      const next = step(user.conversation, event, STEP_CONTEXT);
      expect(next.effects).toEqual([]);
      expect(next.channel.view).toBe(user.conversation.view);
    }
  });

  test("a second proposal to answer while one is being answered is ignored", () => {
    const { node, user } = setUp();
    propose(user, createDraft("33"));
    const [sent] = take(user, "send");
    const checking = step(
      node.conversation,
      { type: "message", message: must(sent).message, now: NOW },
      STEP_CONTEXT,
    );
    expect(checking.waitingFor).toBe("check");
    const again = step(
      checking.channel,
      { type: "message", message: must(sent).message, now: NOW },
      STEP_CONTEXT,
    );
    expect(again.effects).toEqual([]);
    expect(again.channel).toBe(checking.channel);
  });
});
