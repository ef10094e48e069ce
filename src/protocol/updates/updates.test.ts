import { beforeEach, describe, expect, test } from "bun:test";
import { hashlock, hashlockLockHash, withdraw } from "../definitions";
import { channelStateDigest, withdrawDigest } from "../hashing";
import { EMPTY_ROOT } from "../merkle";
import { expectRejected } from "../testing/expectations";
import {
  context,
  ETH,
  exchange,
  HASHLOCK_ADDRESS,
  NETWORK,
  NOW,
  type Party,
  party,
  setupChannel,
  WITHDRAW_ADDRESS,
} from "../testing/twoParties";
import type { ChannelUpdate } from "../types";
import { DEFAULT_POLICY } from "./context";
import { acceptCountersigned, respondToUpdate } from "./pipeline";
import { proposeUpdate } from "./propose";

const NODE_KEY = `0x${"11".repeat(32)}`;
const USER_KEY = `0x${"22".repeat(32)}`;
const PRE_IMAGE = `0x${"ab".repeat(32)}`;

let node: Party;
let user: Party;

beforeEach(() => {
  node = party(NODE_KEY);
  user = party(USER_KEY);
});

/** Both parties deposited: node 10, user 5 of ETH, reconciled. */
async function fundedChannel() {
  await setupChannel(node, user);
  await exchange(
    user,
    node,
    { type: "deposit", assetId: ETH },
    { chainDeposits: { totalDepositsAlice: 10n, totalDepositsBob: 5n } },
  );
}

function hashlockDraft(amount: bigint, expiry = 0n) {
  return {
    type: "create" as const,
    assetId: ETH,
    amount,
    transferDefinition: HASHLOCK_ADDRESS,
    transferInitialState: hashlock.encodeState({ lockHash: hashlockLockHash(PRE_IMAGE), expiry }),
    transferTimeout: 3600,
  };
}

describe("setup", () => {
  test("fixes the parties, timeout and network; both sides hold the same signed state", async () => {
    const update = await setupChannel(node, user);
    const state = node.view.state;
    expect(state).toEqual(user.view.state as NonNullable<typeof state>);
    expect(state?.alice).toBe(node.signer.address);
    expect(state?.bob).toBe(user.signer.address);
    expect(state?.nonce).toBe(1);
    expect(state?.merkleRoot).toBe(EMPTY_ROOT);
    expect(update.aliceSignature).toBeDefined();
    expect(update.bobSignature).toBeDefined();
  });

  test("refuses a second setup, another network and a timeout out of bounds", async () => {
    await setupChannel(node, user);
    await expectRejected(() => setupChannel(node, user), "CHANNEL_ALREADY_SETUP");
    const other = party(`0x${"33".repeat(32)}`);
    const draft = { type: "setup" as const, counterparty: other.signer.address, timeout: 86_400 };
    await expectRejected(
      () =>
        exchange(party(`0x${"44".repeat(32)}`), other, {
          ...draft,
          networkContext: { ...NETWORK, chainId: 5 },
        }),
      "WRONG_NETWORK",
    );
    await expectRejected(
      () =>
        exchange(party(`0x${"44".repeat(32)}`), other, {
          ...draft,
          timeout: 5,
          networkContext: NETWORK,
        }),
      "INVALID_TIMEOUT",
    );
  });
});

describe("deposit", () => {
  test("credits unprocessed deposits of both sides", async () => {
    await fundedChannel();
    for (const view of [node.view, user.view]) {
      expect(view.state?.assetIds).toEqual([ETH]);
      expect(view.state?.balances[0]?.amount).toEqual([10n, 5n]);
      expect(view.state?.processedDepositsA).toEqual([10n]);
      expect(view.state?.processedDepositsB).toEqual([5n]);
      expect(view.state?.nonce).toBe(2);
    }
  });

  test("the responder refuses totals above what its chain shows, and nothing to reconcile", async () => {
    await setupChannel(node, user);
    const ctx = context({ chainDeposits: { totalDepositsAlice: 10n, totalDepositsBob: 5n } });
    const { update } = await proposeUpdate(
      user.view,
      { type: "deposit", assetId: ETH },
      user.signer,
      ctx,
    );
    const nodeSees = context({ chainDeposits: { totalDepositsAlice: 10n, totalDepositsBob: 4n } });
    await expectRejected(
      () => respondToUpdate(node.view, update, node.signer, nodeSees),
      "INVALID_DEPOSIT",
    );
    await expectRejected(
      () =>
        exchange(
          user,
          node,
          { type: "deposit", assetId: ETH },
          { chainDeposits: { totalDepositsAlice: 0n, totalDepositsBob: 0n } },
        ),
      "INVALID_DEPOSIT",
    );
  });
});

describe("create and resolve", () => {
  test("a hashlock locks the initiator's amount and pays the responder on the pre-image", async () => {
    await fundedChannel();
    await exchange(user, node, hashlockDraft(3n));
    expect(user.view.state?.balances[0]?.amount).toEqual([10n, 2n]);
    expect(user.view.transfers.size).toBe(1);
    expect(node.view.state?.merkleRoot).toBe(user.view.tree.root());
    expect(node.view.state?.merkleRoot).not.toBe(EMPTY_ROOT);

    const [transferId] = [...node.view.transfers.keys()];
    await exchange(node, user, {
      type: "resolve",
      transferId: transferId as string,
      transferResolver: hashlock.encodeResolver({ preImage: PRE_IMAGE }),
    });
    for (const view of [node.view, user.view]) {
      expect(view.state?.balances[0]?.amount).toEqual([13n, 2n]);
      expect(view.transfers.size).toBe(0);
      expect(view.state?.merkleRoot).toBe(EMPTY_ROOT);
    }
  });

  test("refuses locking more than the initiator has, unknown definitions, bad timeouts and rejected states", async () => {
    await fundedChannel();
    await expectRejected(() => exchange(user, node, hashlockDraft(6n)), "INSUFFICIENT_BALANCE");
    await expectRejected(
      () =>
        exchange(user, node, { ...hashlockDraft(1n), transferDefinition: `0x${"99".repeat(20)}` }),
      "UNKNOWN_DEFINITION",
    );
    await expectRejected(
      () => exchange(user, node, { ...hashlockDraft(1n), transferTimeout: 1 }),
      "INVALID_TRANSFER_TIMEOUT",
    );
    await expectRejected(
      () => exchange(user, node, hashlockDraft(1n, BigInt(NOW - 1))),
      "TRANSFER_REJECTED",
    );
  });

  test("a channel holds at most the policy's active transfers; the responder holds to its own cap", async () => {
    await fundedChannel();
    const capped = { policy: { ...DEFAULT_POLICY, maxActiveTransfers: 2 } };
    await exchange(user, node, hashlockDraft(1n), capped);
    await exchange(user, node, hashlockDraft(1n), capped);
    await expectRejected(
      () => exchange(user, node, hashlockDraft(1n), capped),
      "TOO_MANY_TRANSFERS",
    );
    // A proposer with a looser cap is still refused by a responder that holds to 2.
    const loose = context({ policy: { ...DEFAULT_POLICY, maxActiveTransfers: 10 } });
    const { update } = await proposeUpdate(user.view, hashlockDraft(1n), user.signer, loose);
    await expectRejected(
      () => respondToUpdate(node.view, update, node.signer, context(capped)),
      "TOO_MANY_TRANSFERS",
    );
    // Resolving one makes room again.
    const transferId = [...node.view.transfers.keys()][0] as string;
    await exchange(node, user, {
      type: "resolve",
      transferId,
      transferResolver: hashlock.encodeResolver({ preImage: PRE_IMAGE }),
    });
    await exchange(user, node, hashlockDraft(1n), capped);
    expect(node.view.transfers.size).toBe(2);
  });

  test("only the responder resolves, and a wrong pre-image is refused", async () => {
    await fundedChannel();
    await exchange(user, node, hashlockDraft(3n));
    const transferId = [...node.view.transfers.keys()][0] as string;
    const resolver = hashlock.encodeResolver({ preImage: PRE_IMAGE });
    await expectRejected(
      () => exchange(user, node, { type: "resolve", transferId, transferResolver: resolver }),
      "UPDATE_MISMATCH",
    );
    const wrong = hashlock.encodeResolver({ preImage: `0x${"cd".repeat(32)}` });
    await expectRejected(
      () => exchange(node, user, { type: "resolve", transferId, transferResolver: wrong }),
      "RESOLVE_REJECTED",
    );
  });
});

describe("the responder re-derives everything the proposer claims", () => {
  async function proposedCreate(): Promise<ChannelUpdate<"create">> {
    await fundedChannel();
    const { update } = await proposeUpdate(user.view, hashlockDraft(3n), user.signer, context());
    return update as ChannelUpdate<"create">;
  }

  const respond = (update: ChannelUpdate) =>
    respondToUpdate(node.view, update, node.signer, context());

  test("stale and future nonces", async () => {
    const update = await proposedCreate();
    await expectRejected(() => respond({ ...update, nonce: 2 }), "STALE_NONCE");
    await expectRejected(() => respond({ ...update, nonce: 4 }), "NONCE_GAP");
  });

  test("a resulting balance, merkle root or transfer id that is not what the rules give", async () => {
    const update = await proposedCreate();
    await expectRejected(
      () => respond({ ...update, balance: { ...update.balance, amount: [10n, 3n] } }),
      "BALANCE_MISMATCH",
    );
    await expectRejected(
      () =>
        respond({ ...update, details: { ...update.details, merkleRoot: `0x${"01".repeat(32)}` } }),
      "MERKLE_MISMATCH",
    );
    await expectRejected(
      () =>
        respond({ ...update, details: { ...update.details, transferId: `0x${"02".repeat(32)}` } }),
      "UPDATE_MISMATCH",
    );
  });

  test("a signature by anyone but the proposer, or over another state", async () => {
    const update = await proposedCreate();
    const outsider = party(`0x${"55".repeat(32)}`);
    const digest = channelStateDigest(
      { ...(user.view.state as NonNullable<typeof user.view.state>), nonce: 99 },
      NETWORK.chainId,
    );
    await expectRejected(
      async () => respond({ ...update, bobSignature: await outsider.signer.signDigest(digest) }),
      "WRONG_SIGNER",
    );
    await expectRejected(
      async () => respond({ ...update, bobSignature: await user.signer.signDigest(digest) }),
      "WRONG_SIGNER",
    );
    const { bobSignature: _dropped, ...unsigned } = update;
    await expectRejected(() => respond(unsigned), "INVALID_SIGNATURE");
  });

  test("an update for another channel or between other parties", async () => {
    const update = await proposedCreate();
    await expectRejected(
      () => respond({ ...update, channelAddress: `0x${"77".repeat(20)}` }),
      "WRONG_CHANNEL",
    );
    await expectRejected(
      () => respond({ ...update, fromIdentifier: `0x${"78".repeat(20)}` }),
      "WRONG_PARTICIPANTS",
    );
  });
});

describe("the proposer checks the countersigned reply", () => {
  test("refuses a reply that changed the proposal, lacks the signature or is signed by another", async () => {
    await fundedChannel();
    const ctx = context();
    const { update } = await proposeUpdate(user.view, hashlockDraft(3n), user.signer, ctx);
    const reply = (await respondToUpdate(node.view, update, node.signer, ctx)).update;
    const accept = async (countersigned: ChannelUpdate) =>
      acceptCountersigned(user.view, update, countersigned, ctx);

    expect((await accept(reply)).state.nonce).toBe(3);
    await expectRejected(
      () => accept({ ...reply, balance: { ...reply.balance, amount: [7n, 3n] } }),
      "UPDATE_MISMATCH",
    );
    await expectRejected(
      () => accept({ ...reply, bobSignature: reply.aliceSignature }),
      "UPDATE_MISMATCH",
    );
    const { aliceSignature: _dropped, ...unsigned } = reply;
    await expectRejected(() => accept(unsigned), "INVALID_SIGNATURE");
    const outsider = party(`0x${"66".repeat(32)}`);
    const forged = await outsider.signer.signDigest(`0x${"12".repeat(32)}`);
    await expectRejected(() => accept({ ...reply, aliceSignature: forged }), "WRONG_SIGNER");
  });
});

describe("withdraw transfers", () => {
  test("the commitment both sign takes the amount out of the channel; the responder keeps the fee", async () => {
    await fundedChannel();
    const state = user.view.state as NonNullable<typeof user.view.state>;
    const data = withdrawDigest(
      {
        channelAddress: state.channelAddress,
        assetId: ETH,
        recipient: user.signer.address,
        amount: 3n,
        nonce: 3n,
      },
      NETWORK.chainId,
    );
    await exchange(user, node, {
      type: "create",
      assetId: ETH,
      amount: 4n,
      transferDefinition: WITHDRAW_ADDRESS,
      transferInitialState: withdraw.encodeState({
        initiatorSignature: await user.signer.signDigest(data),
        initiator: user.signer.address,
        responder: node.signer.address,
        data,
        nonce: 3n,
        fee: 1n,
      }),
      transferTimeout: 3600,
    });
    const transferId = [...node.view.transfers.keys()][0] as string;
    await exchange(node, user, {
      type: "resolve",
      transferId,
      transferResolver: withdraw.encodeResolver({
        responderSignature: await node.signer.signDigest(data),
      }),
    });
    for (const view of [node.view, user.view])
      expect(view.state?.balances[0]?.amount).toEqual([11n, 1n]);
  });
});

describe("no one signs away its own balance (DESIGN §6)", () => {
  test("a create that would lock the responder's funds is refused", async () => {
    await fundedChannel();
    const ctx = context();
    const { update } = await proposeUpdate(user.view, hashlockDraft(2n), user.signer, ctx);
    const create = update as ChannelUpdate<"create">;
    const locksResponder = {
      ...create,
      details: {
        ...create.details,
        transferBalance: {
          ...create.details.transferBalance,
          amount: [2n, 1n] as [bigint, bigint],
        },
      },
    };
    await expectRejected(
      () => respondToUpdate(node.view, locksResponder, node.signer, ctx),
      "TRANSFER_REJECTED",
    );
  });
});
