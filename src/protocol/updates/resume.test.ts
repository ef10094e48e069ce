import { beforeEach, describe, expect, test } from "bun:test";
import { hashlock, hashlockLockHash } from "../definitions";
import { channelStateHash } from "../hashing";
import { expectRejected } from "../testing/expectations";
import {
  context,
  ETH,
  exchange,
  HASHLOCK_ADDRESS,
  NOW,
  type Party,
  party,
  setupChannel,
  TOKEN,
} from "../testing/twoParties";
import type { FullChannelState } from "../types";
import type { ChainDisputeOutcome } from "./context";
import { respondToUpdate } from "./pipeline";
import { proposeUpdate } from "./propose";

let node: Party;
let user: Party;

/** ETH and a token deposited; one ETH hashlock from the user to the node, active. */
beforeEach(async () => {
  node = party(`0x${"11".repeat(32)}`);
  user = party(`0x${"22".repeat(32)}`);
  await setupChannel(node, user);
  for (const assetId of [ETH, TOKEN]) {
    await exchange(
      user,
      node,
      { type: "deposit", assetId },
      { chainDeposits: { totalDepositsAlice: 10n, totalDepositsBob: 5n } },
    );
  }
  await exchange(user, node, {
    type: "create",
    assetId: ETH,
    amount: 2n,
    transferDefinition: HASHLOCK_ADDRESS,
    transferInitialState: hashlock.encodeState({
      lockHash: hashlockLockHash(`0x${"ab".repeat(32)}`),
      expiry: 0n,
    }),
    transferTimeout: 3600,
  });
});

const state = () => node.view.state as FullChannelState;
const transferId = () => [...node.view.transfers.keys()][0] as string;

/** The chain after a dispute of the latest state: ETH defunded (with a late deposit counted). */
function outcome(overrides: Partial<ChainDisputeOutcome> = {}): ChainDisputeOutcome {
  return {
    round: 3,
    channelStateHash: channelStateHash(state()),
    defundExpiry: NOW - 1,
    chainTime: NOW,
    defunds: [{ assetId: ETH, defundNonce: 1n, totalDepositsAlice: 10n, totalDepositsBob: 7n }],
    disputedTransferIds: [transferId()],
    undecidedTransferIds: [],
    ...overrides,
  };
}

async function resume(chainDispute: ChainDisputeOutcome) {
  return exchange(user, node, { type: "resume" }, { chainDispute });
}

describe("resume: the channel after a finished dispute (DESIGN §4.7)", () => {
  test("what the chain paid out leaves; the rest carries over", async () => {
    const before = state();
    await resume(outcome());
    const after = state();
    expect(after.nonce).toBe(before.nonce + 1);
    // ETH: paid out on-chain. Balances gone, deposits processed as the defund counted them,
    // the next defund nonce: no state before this one can defund ETH again.
    expect(after.balances[0]?.amount).toEqual([0n, 0n]);
    expect(after.processedDepositsA[0]).toBe(10n);
    expect(after.processedDepositsB[0]).toBe(7n);
    expect(after.defundNonces[0]).toBe(2n);
    // The token was not defunded: untouched.
    expect(after.balances[1]).toEqual(before.balances[1] as (typeof before.balances)[number]);
    expect(after.defundNonces[1]).toBe(1n);
    // The disputed transfer is settled on-chain: it leaves the channel.
    expect(node.view.transfers.size).toBe(0);
    expect(user.view.transfers.size).toBe(0);
    expect(user.view.state).toEqual(after);
  });

  test("an asset the state lacked but the round defunded joins at defund nonce 2", async () => {
    const other = "0x00000000000000000000000000000000000000D2";
    await resume(
      outcome({
        defunds: [
          { assetId: other, defundNonce: 1n, totalDepositsAlice: 0n, totalDepositsBob: 4n },
        ],
        disputedTransferIds: [],
      }),
    );
    const index = state().assetIds.indexOf(other);
    expect(index).toBe(2);
    expect(state().defundNonces[index]).toBe(2n);
    expect(state().processedDepositsB[index]).toBe(4n);
    expect(state().balances[index]?.amount).toEqual([0n, 0n]);
  });

  test("refused before the defund window ends, from another state, or with other numbers", async () => {
    const propose = (chainDispute: ChainDisputeOutcome) =>
      proposeUpdate(user.view, { type: "resume" }, user.signer, context({ chainDispute }));
    await expectRejected(() => propose(outcome({ chainTime: NOW - 2 })), "INVALID_RESUME");
    // A transfer still being decided on-chain: not yet.
    await expectRejected(
      () => propose(outcome({ undecidedTransferIds: [transferId()] })),
      "INVALID_RESUME",
    );
    await expectRejected(
      () => propose(outcome({ channelStateHash: `0x${"99".repeat(32)}` })),
      "INVALID_RESUME",
    );
    await expectRejected(
      () =>
        propose(
          outcome({
            defunds: [
              { assetId: ETH, defundNonce: 2n, totalDepositsAlice: 10n, totalDepositsBob: 7n },
            ],
          }),
        ),
      "INVALID_RESUME",
    );
    // The proposer claims totals the responder's chain does not show.
    const { update } = await propose(outcome());
    const lying = {
      ...update,
      details: {
        ...(update.details as { defunds: unknown[] }),
        defunds: [{ assetId: ETH, totalDepositsAlice: 10n, totalDepositsBob: 99n }],
      },
    };
    await expectRejected(
      () =>
        respondToUpdate(
          node.view,
          lying as typeof update,
          node.signer,
          context({ chainDispute: outcome() }),
        ),
      "INVALID_RESUME",
    );
  });
});
