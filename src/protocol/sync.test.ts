import { beforeEach, describe, expect, test } from "bun:test";
import { hashlock, hashlockLockHash } from "./definitions";
import { PROTOCOL_VERSION, type RestoreMessage } from "./schemas";
import { applyDoublySigned, validateRestore } from "./sync";
import { expectCode } from "./testing/expectations";
import {
  context,
  ETH,
  exchange,
  HASHLOCK_ADDRESS,
  type Party,
  party,
  setupChannel,
} from "./testing/twoParties";
import type { ChannelUpdate, FullChannelState } from "./types";
import { adoptApplied } from "./updates/pipeline";

let node: Party;
let user: Party;

/** Setup, a deposit and two transfers: a channel with history and active transfers. */
beforeEach(async () => {
  node = party(`0x${"11".repeat(32)}`);
  user = party(`0x${"22".repeat(32)}`);
  await setupChannel(node, user);
  await exchange(
    user,
    node,
    { type: "deposit", assetId: ETH },
    {
      chainDeposits: { totalDepositsAlice: 100n, totalDepositsBob: 100n },
    },
  );
  for (const [from, to, amount] of [
    [user, node, 5n],
    [node, user, 7n],
  ] as const) {
    await exchange(from, to, {
      type: "create",
      assetId: ETH,
      amount,
      transferDefinition: HASHLOCK_ADDRESS,
      transferInitialState: hashlock.encodeState({
        lockHash: hashlockLockHash(`0x${"0a".repeat(32)}`),
        expiry: 0n,
      }),
      transferTimeout: 3600,
    });
  }
});

function restoreFromNode(): RestoreMessage {
  return {
    protocolVersion: PROTOCOL_VERSION,
    channel: node.view.state as FullChannelState,
    activeTransfers: [...node.view.transfers.values()],
  };
}

describe("validateRestore", () => {
  test("a client that lost its store gets back the node's exact channel", () => {
    const view = validateRestore(
      restoreFromNode(),
      { identity: user.signer.address, state: undefined },
      context(),
    );
    expect(view.state).toEqual(node.view.state as FullChannelState);
    expect(view.tree.root()).toBe(node.view.tree.root());
    expect([...view.transfers.keys()]).toEqual([...node.view.transfers.keys()]);
  });

  test("refuses a dropped transfer, a forged signature, an older state and a stranger's channel", () => {
    const ours = { identity: user.signer.address, state: undefined };
    const message = restoreFromNode();
    expectCode(
      () =>
        validateRestore(
          { ...message, activeTransfers: message.activeTransfers.slice(1) },
          ours,
          context(),
        ),
      "MERKLE_MISMATCH",
    );
    const forged = {
      ...message,
      channel: {
        ...message.channel,
        balances: [
          {
            ...(message.channel.balances[0] as FullChannelState["balances"][number]),
            amount: [1n, 180n] as [bigint, bigint],
          },
        ],
      },
    };
    expectCode(() => validateRestore(forged, ours, context()), "WRONG_SIGNER");
    const newer = { ...(user.view.state as FullChannelState), nonce: 99 };
    expectCode(
      () => validateRestore(message, { identity: user.signer.address, state: newer }, context()),
      "STALE_NONCE",
    );
    const otherRegistry = {
      ...message,
      channel: {
        ...message.channel,
        networkContext: {
          ...message.channel.networkContext,
          transferRegistryAddress: `0x${"98".repeat(20)}`,
        },
      },
    };
    expectCode(() => validateRestore(otherRegistry, ours, context()), "WRONG_NETWORK");
    expectCode(
      () =>
        validateRestore(message, { identity: `0x${"99".repeat(20)}`, state: undefined }, context()),
      "WRONG_PARTICIPANTS",
    );
  });
});

describe("applyDoublySigned", () => {
  test("a party one update behind catches up from the previous doubly-signed update", async () => {
    const behind = user.view;
    const latest = await exchange(
      user,
      node,
      { type: "deposit", assetId: ETH },
      {
        chainDeposits: { totalDepositsAlice: 100n, totalDepositsBob: 150n },
      },
    );
    const caughtUp = adoptApplied(
      behind,
      applyDoublySigned(
        behind,
        latest,
        context({
          chainDeposits: { totalDepositsAlice: 100n, totalDepositsBob: 150n },
        }),
      ),
    );
    expect(caughtUp.state).toEqual(node.view.state as FullChannelState);
  });

  test("refuses an update with only one signature or a wrong one", async () => {
    const behind = user.view;
    const ctx = context({ chainDeposits: { totalDepositsAlice: 100n, totalDepositsBob: 150n } });
    const latest = await exchange(user, node, { type: "deposit", assetId: ETH }, ctx);
    const { aliceSignature: _dropped, ...half } = latest;
    expectCode(() => applyDoublySigned(behind, half as ChannelUpdate, ctx), "INVALID_SIGNATURE");
    expectCode(
      () => applyDoublySigned(behind, { ...latest, aliceSignature: latest.bobSignature }, ctx),
      "WRONG_SIGNER",
    );
  });
});
