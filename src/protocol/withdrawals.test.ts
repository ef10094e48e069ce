import { beforeEach, describe, expect, test } from "bun:test";
import { withdraw } from "./definitions";
import { withdrawDigest } from "./hashing";
import {
  context,
  ETH,
  exchange,
  NETWORK,
  type Party,
  party,
  setupChannel,
  WITHDRAW_ADDRESS,
} from "./testing/twoParties";
import type { ChannelUpdate } from "./types";
import { proposeUpdate } from "./updates/propose";
import { withdrawalDraft, withdrawalMismatch, withdrawnAmount } from "./withdrawals";

const NODE_KEY = `0x${"11".repeat(32)}`;
const USER_KEY = `0x${"22".repeat(32)}`;

let node: Party;
let user: Party;

beforeEach(async () => {
  node = party(NODE_KEY);
  user = party(USER_KEY);
  await setupChannel(node, user);
  await exchange(
    user,
    node,
    { type: "deposit", assetId: ETH },
    { chainDeposits: { totalDepositsAlice: 100n, totalDepositsBob: 50n } },
  );
});

/** The user's signed create of a withdrawal of `amount` with `fee`, not sent anywhere. */
async function proposedWithdrawal(amount: bigint, fee?: bigint) {
  const view = user.view as typeof user.view & { state: NonNullable<typeof user.view.state> };
  const draft = await withdrawalDraft(
    view,
    {
      assetId: ETH,
      amount,
      ...(fee !== undefined ? { fee } : {}),
      recipient: user.signer.address,
      responder: node.signer.address,
      definition: WITHDRAW_ADDRESS,
    },
    user.signer,
  );
  const { update } = await proposeUpdate(user.view, draft, user.signer, context());
  return update as ChannelUpdate<"create">;
}

/** `update` with its commitment re-signed for another amount (what a cheat would send). */
async function withCommitmentOf(update: ChannelUpdate<"create">, amount: bigint) {
  const state = withdraw.decodeState(update.details.transferInitialState);
  const data = withdrawDigest(
    {
      channelAddress: update.channelAddress,
      assetId: ETH,
      recipient: user.signer.address,
      amount,
      nonce: state.nonce,
    },
    NETWORK.chainId,
  );
  const transferInitialState = withdraw.encodeState({
    ...state,
    data,
    initiatorSignature: await user.signer.signDigest(data),
  });
  return { ...update, details: { ...update.details, transferInitialState } };
}

describe("a withdrawal with a fee (issue 11, item 6)", () => {
  test("locks the amount plus the fee; the commitment pays the amount; the resolve leaves the fee to the node", async () => {
    const update = await proposedWithdrawal(20n, 3n);
    expect(update.details.transferBalance.amount).toEqual([23n, 0n]);
    const state = withdraw.decodeState(update.details.transferInitialState);
    expect(state.fee).toBe(3n);
    expect(withdrawnAmount(23n, state.fee)).toBe(20n);
    expect(withdrawalMismatch(update, NETWORK.chainId)).toBeUndefined();
    expect(state.data).toBe(
      withdrawDigest(
        {
          channelAddress: update.channelAddress,
          assetId: ETH,
          recipient: user.signer.address,
          amount: 20n,
          nonce: state.nonce,
        },
        NETWORK.chainId,
      ),
    );

    // Through the channel: the user is down 23, the node up 3, 20 leaves on-chain.
    const view = user.view as typeof user.view & { state: NonNullable<typeof user.view.state> };
    const draft = await withdrawalDraft(
      view,
      {
        assetId: ETH,
        amount: 20n,
        fee: 3n,
        recipient: user.signer.address,
        responder: node.signer.address,
        definition: WITHDRAW_ADDRESS,
      },
      user.signer,
    );
    await exchange(user, node, draft);
    const transferId = [...node.view.transfers.keys()][0] as string;
    await exchange(node, user, {
      type: "resolve",
      transferId,
      transferResolver: withdraw.encodeResolver({
        responderSignature: await node.signer.signDigest(state.data),
      }),
    });
    for (const { view: v } of [node, user])
      expect(v.state?.balances[0]?.amount).toEqual([103n, 27n]);
  });

  test("without a fee the commitment pays the whole locked amount, as before", async () => {
    const update = await proposedWithdrawal(20n);
    expect(update.details.transferBalance.amount).toEqual([20n, 0n]);
    expect(withdraw.decodeState(update.details.transferInitialState).fee).toBe(0n);
    expect(withdrawalMismatch(update, NETWORK.chainId)).toBeUndefined();
  });

  test("a commitment of the whole locked amount with a fee would pay the fee twice: a mismatch", async () => {
    const update = await withCommitmentOf(await proposedWithdrawal(20n, 3n), 23n);
    expect(withdrawalMismatch(update, NETWORK.chainId)).toBe(
      `the commitment is not a withdrawal of 20 ${ETH} to ${user.signer.address}`,
    );
  });

  test("a fee that leaves nothing to pay out is a mismatch", async () => {
    const update = await proposedWithdrawal(20n, 3n);
    const state = withdraw.decodeState(update.details.transferInitialState);
    const allFee = {
      ...update,
      details: {
        ...update.details,
        transferInitialState: withdraw.encodeState({ ...state, fee: 23n }),
      },
    };
    expect(withdrawalMismatch(allFee, NETWORK.chainId)).toBe(
      "a withdrawal must pay out something: it locks 23 with a fee of 23",
    );
  });
});
