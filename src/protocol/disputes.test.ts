import { beforeEach, describe, expect, test } from "bun:test";
import { hashlock, hashlockLockHash } from "./definitions";
import {
  type ChainAsset,
  type ChainDispute,
  type ChainTransfer,
  type DisputeInputs,
  planDispute,
} from "./disputes";
import { channelStateHash } from "./hashing";
import {
  ETH,
  exchange,
  HASHLOCK_ADDRESS,
  NOW,
  type Party,
  party,
  setupChannel,
} from "./testing/twoParties";
import type { FullChannelState } from "./types";

const PRE_IMAGE = `0x${"ab".repeat(32)}`;
const TIMEOUT = 3600;

let node: Party;
let user: Party;

/** A channel with deposits and one hashlock from the user to the node (the node responds). */
beforeEach(async () => {
  node = party(`0x${"11".repeat(32)}`);
  user = party(`0x${"22".repeat(32)}`);
  await setupChannel(node, user, TIMEOUT);
  await exchange(
    user,
    node,
    { type: "deposit", assetId: ETH },
    { chainDeposits: { totalDepositsAlice: 10n, totalDepositsBob: 5n } },
  );
  await exchange(user, node, {
    type: "create",
    assetId: ETH,
    amount: 2n,
    transferDefinition: HASHLOCK_ADDRESS,
    transferInitialState: hashlock.encodeState({
      lockHash: hashlockLockHash(PRE_IMAGE),
      expiry: BigInt(NOW + 10 * TIMEOUT),
    }),
    transferTimeout: 10 * TIMEOUT,
  });
});

function state(): FullChannelState {
  return node.view.state as FullChannelState;
}

function transferId(): string {
  return [...node.view.transfers.keys()][0] as string;
}

function dispute(overrides: Partial<ChainDispute> = {}): ChainDispute {
  return {
    channelStateHash: channelStateHash(state()),
    nonce: state().nonce,
    merkleRoot: state().merkleRoot,
    consensusExpiry: NOW + TIMEOUT,
    defundExpiry: NOW + 2 * TIMEOUT,
    ...overrides,
  };
}

function inputs(overrides: Partial<DisputeInputs> = {}): DisputeInputs {
  const asset: ChainAsset = { defundNonce: 0n, defundedThisRound: false, hasDeposits: true };
  return {
    me: node.signer.address,
    view: node.view as DisputeInputs["view"],
    chainTime: NOW,
    dispute: dispute(),
    assets: new Map([[ETH.toLowerCase(), asset]]),
    transfers: new Map(),
    resolvers: new Map(),
    exitable: new Map(),
    ...overrides,
  };
}

const steps = (overrides: Partial<DisputeInputs>) => planDispute(inputs(overrides)).steps;

describe("what a party does while its channel is in dispute", () => {
  test("no dispute on record: nothing", () => {
    expect(planDispute(inputs({ dispute: dispute({ consensusExpiry: 0 }) }))).toEqual({
      status: "none",
      steps: [],
    });
  });

  test("a stale state on record is answered with ours inside the consensus window", () => {
    expect(steps({ dispute: dispute({ nonce: state().nonce - 1 }) })).toEqual([
      { step: "disputeChannel" },
    ]);
    // Our own latest state on record: nothing to answer.
    expect(steps({})).toEqual([]);
  });

  test("after the consensus window: defund the channel first, then dispute its transfers", () => {
    const defundPhase = { chainTime: NOW + TIMEOUT };
    expect(steps(defundPhase)).toEqual([{ step: "defundChannel", assetIds: [ETH], indices: [0] }]);
    const defunded = new Map([
      [ETH.toLowerCase(), { defundNonce: 1n, defundedThisRound: true, hasDeposits: true }],
    ]);
    const [disputeStep] = steps({ ...defundPhase, assets: defunded });
    expect(disputeStep).toMatchObject({ step: "disputeTransfer" });
    // An asset defunded in an earlier round: its transfers cannot be disputed any more.
    const earlier = new Map([
      [ETH.toLowerCase(), { defundNonce: 1n, defundedThisRound: false, hasDeposits: true }],
    ]);
    expect(steps({ ...defundPhase, assets: earlier })).toEqual([]);
  });

  test("a disputed transfer is defunded with our resolver before its expiry, by anyone after", () => {
    const disputed: ChainTransfer = {
      disputed: true,
      defunded: false,
      disputeExpiry: NOW + 3 * TIMEOUT,
    };
    const base = {
      chainTime: NOW + TIMEOUT,
      assets: new Map([
        [ETH.toLowerCase(), { defundNonce: 1n, defundedThisRound: true, hasDeposits: true }],
      ]),
      transfers: new Map([[transferId(), disputed]]),
    };
    // Without a resolver, the node waits for the transfer's dispute to expire.
    expect(steps(base)).toEqual([]);
    const resolver = hashlock.encodeResolver({ preImage: PRE_IMAGE });
    expect(steps({ ...base, resolvers: new Map([[transferId(), resolver]]) })).toEqual([
      { step: "defundTransfer", transfer: node.view.transfers.get(transferId()), resolver },
    ] as never);
    expect(steps({ ...base, chainTime: NOW + 3 * TIMEOUT })).toEqual([
      { step: "defundTransfer", transfer: node.view.transfers.get(transferId()) },
    ] as never);
    // The user's side holds no resolver for the node's transfer: it can only wait.
    expect(
      planDispute({
        ...inputs(base),
        me: user.signer.address,
        view: user.view as DisputeInputs["view"],
        resolvers: new Map([[transferId(), resolver]]),
      }).steps,
    ).toEqual([]);
  });

  test("what the chain holds for us is exited; nothing left is done", () => {
    const settled = {
      chainTime: NOW + 2 * TIMEOUT,
      assets: new Map([
        [ETH.toLowerCase(), { defundNonce: 1n, defundedThisRound: true, hasDeposits: true }],
      ]),
      transfers: new Map([
        [transferId(), { disputed: true, defunded: true, disputeExpiry: NOW + 3 * TIMEOUT }],
      ]),
    };
    expect(steps({ ...settled, exitable: new Map([[ETH.toLowerCase(), 12n]]) })).toEqual([
      { step: "exit", assetId: ETH.toLowerCase() },
    ]);
    expect(planDispute(inputs(settled)).status).toBe("done");
  });

  test("a state on record that is not ours and can no longer be replaced is reported", () => {
    const foreign = dispute({ channelStateHash: `0x${"99".repeat(32)}`, nonce: 1 });
    expect(planDispute(inputs({ dispute: foreign, chainTime: NOW + TIMEOUT }))).toEqual({
      status: "foreign-state",
      steps: [],
    });
  });
});
