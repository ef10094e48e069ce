import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { bytesToHex } from "../bytes";
import { hashlock, hashlockLockHash } from "../definitions";
import { isProtocolError } from "../errors";
import { channelStateHash } from "../hashing";
import { decodeUpdateMessage, encodeMessage, PROTOCOL_VERSION } from "../schemas";
import { mutate } from "../testing/mutations";
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
import type { ChannelUpdate, FullChannelState } from "../types";
import type { ChainDisputeOutcome } from "./context";
import { respondToUpdate } from "./pipeline";
import { proposeUpdate, type UpdateDraft } from "./propose";

const NODE_KEY = `0x${"11".repeat(32)}`;
const USER_KEY = `0x${"22".repeat(32)}`;
const ASSETS = [ETH, TOKEN];

/** A channel both parties follow, with what "the chain" holds and the pre-images in play. */
interface World {
  node: Party;
  user: Party;
  chain: Map<string, { alice: bigint; bob: bigint }>;
  preImages: Map<string, string>;
}

async function newWorld(): Promise<World> {
  const world = {
    node: party(NODE_KEY),
    user: party(USER_KEY),
    chain: new Map(),
    preImages: new Map(),
  };
  await setupChannel(world.node, world.user);
  return world;
}

type Action =
  | { kind: "deposit"; byNode: boolean; asset: number; alice: bigint; bob: bigint }
  | { kind: "create"; byNode: boolean; asset: number; amount: bigint; seed: number }
  | { kind: "resolve"; pick: number; pay: boolean };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  fc.record({
    kind: fc.constant("deposit" as const),
    byNode: fc.boolean(),
    asset: fc.nat(1),
    alice: fc.bigInt({ min: 0n, max: 10n ** 20n }),
    bob: fc.bigInt({ min: 0n, max: 10n ** 20n }),
  }),
  fc.record({
    kind: fc.constant("create" as const),
    byNode: fc.boolean(),
    asset: fc.nat(1),
    amount: fc.bigInt({ min: 1n, max: 10n ** 20n }),
    seed: fc.integer({ min: 1 }),
  }),
  fc.record({ kind: fc.constant("resolve" as const), pick: fc.nat(), pay: fc.boolean() }),
);

/** Runs one action if it applies to the current channel; returns whether it ran. */
async function act(world: World, action: Action): Promise<boolean> {
  const { node, user } = world;
  const state = node.view.state as FullChannelState;
  if (action.kind === "deposit") {
    const assetId = ASSETS[action.asset] as string;
    const totals = world.chain.get(assetId) ?? { alice: 0n, bob: 0n };
    const next = { alice: totals.alice + action.alice, bob: totals.bob + action.bob };
    if (action.alice === 0n && action.bob === 0n) return false;
    world.chain.set(assetId, next);
    const [proposer, responder] = action.byNode ? [node, user] : [user, node];
    await exchange(
      proposer,
      responder,
      { type: "deposit", assetId },
      {
        chainDeposits: { totalDepositsAlice: next.alice, totalDepositsBob: next.bob },
      },
    );
    return true;
  }
  if (action.kind === "create") {
    const assetId = ASSETS[action.asset] as string;
    const index = state.assetIds.indexOf(assetId);
    const available =
      index === -1 ? 0n : (state.balances[index]?.amount[action.byNode ? 0 : 1] as bigint);
    if (available === 0n) return false;
    const preImage = bytesToHex(new Uint8Array(32).fill(action.seed % 255 || 1)).replace(
      /..$/,
      (action.seed % 251).toString(16).padStart(2, "0"),
    );
    const [proposer, responder] = action.byNode ? [node, user] : [user, node];
    const update = await exchange(proposer, responder, {
      type: "create",
      assetId,
      amount: 1n + (action.amount % available),
      transferDefinition: HASHLOCK_ADDRESS,
      transferInitialState: hashlock.encodeState({
        lockHash: hashlockLockHash(preImage),
        expiry: 0n,
      }),
      transferTimeout: 3600,
    });
    world.preImages.set((update as ChannelUpdate<"create">).details.transferId, preImage);
    return true;
  }
  const active = [...node.view.transfers.values()];
  if (active.length === 0) return false;
  const transfer = active[action.pick % active.length] as (typeof active)[number];
  const preImage = action.pay
    ? (world.preImages.get(transfer.transferId) as string)
    : `0x${"0".repeat(64)}`;
  const [proposer, responder] =
    transfer.responder === node.signer.address ? [node, user] : [user, node];
  await exchange(proposer, responder, {
    type: "resolve",
    transferId: transfer.transferId,
    transferResolver: hashlock.encodeResolver({ preImage }),
  });
  return true;
}

/** Per asset: balances plus locked amounts equal the reconciled deposits. */
function expectConserved(world: World) {
  const state = world.node.view.state as FullChannelState;
  state.assetIds.forEach((assetId, i) => {
    const balance = state.balances[i] as { amount: [bigint, bigint] };
    expect(balance.amount[0] >= 0n && balance.amount[1] >= 0n).toBe(true);
    let locked = 0n;
    for (const transfer of world.node.view.transfers.values()) {
      if (transfer.assetId === assetId)
        locked += transfer.balance.amount[0] + transfer.balance.amount[1];
    }
    const processed =
      (state.processedDepositsA[i] as bigint) + (state.processedDepositsB[i] as bigint);
    expect(balance.amount[0] + balance.amount[1] + locked).toBe(processed);
  });
}

describe("random sequences of valid updates", () => {
  test("keep both views identical and every asset conserved", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(actionArb, { minLength: 1, maxLength: 20 }), async (actions) => {
        const world = await newWorld();
        for (const action of actions) {
          await act(world, action);
          expect(world.user.view.state).toEqual(world.node.view.state as FullChannelState);
          expect([...world.user.view.transfers.keys()]).toEqual([
            ...world.node.view.transfers.keys(),
          ]);
          expect(world.user.view.tree.root()).toBe(world.node.view.tree.root());
          expectConserved(world);
        }
      }),
      { numRuns: 60 },
    );
  });
});

/** A world with some history, and a valid proposal of each type from the user to the node. */
async function proposals(): Promise<{
  world: World;
  drafts: Record<ChannelUpdate["type"], UpdateDraft>;
  chain: { totalDepositsAlice: bigint; totalDepositsBob: bigint };
  dispute: ChainDisputeOutcome;
}> {
  const world = await newWorld();
  await act(world, { kind: "deposit", byNode: false, asset: 0, alice: 50n, bob: 40n });
  await act(world, { kind: "create", byNode: false, asset: 0, amount: 7n, seed: 5 });
  await act(world, { kind: "create", byNode: true, asset: 0, amount: 9n, seed: 6 });
  const incoming = [...world.node.view.transfers.values()].find(
    (t) => t.responder === world.user.signer.address,
  );
  const chain = { totalDepositsAlice: 50n, totalDepositsBob: 45n };
  // A finished dispute of the node's latest state: ETH defunded, the incoming transfer disputed.
  const dispute: ChainDisputeOutcome = {
    round: 1,
    channelStateHash: channelStateHash(world.node.view.state as FullChannelState),
    defundExpiry: NOW - 1,
    chainTime: NOW,
    defunds: [{ assetId: ETH, defundNonce: 1n, ...chain }],
    disputedTransferIds: [String(incoming?.transferId).toLowerCase()],
    undecidedTransferIds: [],
  };
  return {
    world,
    chain,
    dispute,
    drafts: {
      setup: {
        type: "setup",
        counterparty: world.node.signer.address,
        timeout: 86_400,
        networkContext: context().network,
      },
      deposit: { type: "deposit", assetId: ETH },
      create: {
        type: "create",
        assetId: ETH,
        amount: 3n,
        transferDefinition: HASHLOCK_ADDRESS,
        transferInitialState: hashlock.encodeState({
          lockHash: hashlockLockHash(`0x${"77".repeat(32)}`),
          expiry: 0n,
        }),
        transferTimeout: 3600,
      },
      resolve: {
        type: "resolve",
        transferId: incoming?.transferId as string,
        transferResolver: hashlock.encodeResolver({
          preImage: world.preImages.get(incoming?.transferId as string) as string,
        }),
      },
      resume: { type: "resume" },
    },
  };
}

describe("every single-field mutation of a valid signed update is rejected", () => {
  for (const type of ["setup", "deposit", "create", "resolve", "resume"] as const) {
    test(`${type}: 10,000 mutations, none accepted`, async () => {
      const { world, drafts, chain, dispute } = await proposals();
      // A setup goes to a fresh node; the others to the node of the channel above.
      const [proposer, responder] =
        type === "setup" ? [party(USER_KEY), party(NODE_KEY)] : [world.user, world.node];
      const ctx = context({ chainDeposits: chain, chainDispute: dispute });
      const { update } = await proposeUpdate(proposer.view, drafts[type], proposer.signer, ctx);
      const raw = encodeMessage({ protocolVersion: PROTOCOL_VERSION, update });
      const before = {
        state: structuredClone(responder.view.state),
        root: responder.view.tree.root(),
        size: responder.view.transfers.size,
      };
      // The unmutated message is accepted: the rejections below are the mutations' doing.
      await respondToUpdate(responder.view, decodeUpdateMessage(raw).update, responder.signer, ctx);

      await fc.assert(
        fc.asyncProperty(
          fc.record({ target: fc.nat(), kind: fc.nat(), a: fc.nat(), b: fc.nat() }),
          async (mutation) => {
            const mutated = mutate(raw, mutation);
            if (mutated.raw === raw) return;
            try {
              const message = decodeUpdateMessage(mutated.raw);
              await respondToUpdate(responder.view, message.update, responder.signer, ctx);
            } catch (error) {
              if (isProtocolError(error)) return;
              throw new Error(`${mutated.description}: not a ProtocolError: ${String(error)}`);
            }
            throw new Error(`accepted a mutated ${type} update: ${mutated.description}`);
          },
        ),
        { numRuns: 10_000 },
      );
      // Pure functions: nothing the rejected messages did reached the responder's channel.
      expect(responder.view.state).toEqual(before.state as FullChannelState);
      expect(responder.view.tree.root()).toBe(before.root);
      expect(responder.view.transfers.size).toBe(before.size);
    });
  }
});
