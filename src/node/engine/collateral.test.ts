import { describe, expect, test } from "bun:test";
import pino from "pino";
import type { ChannelView, UpdateDraft } from "../../protocol";
import { MerkleTree } from "../../protocol";
import type { ChannelService } from "./channelService";
import { Collateral } from "./collateral";
import type { InboundDemand } from "./collateralDemand";
import { NodeError } from "./errors";

const ETH = "0x0000000000000000000000000000000000000000";
const USER = "0x52908400098527886E0F7030069857D2E4169EE7";
const NODE = "0x8617E340B3D01FA5F11F306F4090FD50E238070D";
const TARGET = 1_000n;

/**
 * One user's channel in memory, as the node's ChannelService shows it, with the chain's
 * deposit totals beside it: a deposit update credits what the chain shows beyond processed.
 */
function world(options: { userDeposits?: bigint; nodeBalance?: bigint; demand?: InboundDemand }) {
  const chain = { alice: options.nodeBalance ?? 0n, bob: options.userDeposits ?? 0n };
  const state = {
    channelAddress: "0x00000000000000000000000000000000000000C1",
    assetIds: [ETH],
    balances: [{ to: [NODE, USER], amount: [chain.alice, chain.bob] }],
    processedDepositsA: [chain.alice],
    processedDepositsB: [chain.bob],
  };
  const view = () =>
    ({ state, transfers: new Map(), tree: new MerkleTree() }) as unknown as ChannelView;
  const deposits: bigint[] = [];
  const demand = { current: options.demand ?? { waiting: 0n, completed: 0n } };
  let now = 1_800_000_000_000;
  const channels = {
    currentView: async () => view(),
    propose: async (_user: string, draft: (v: ChannelView) => Promise<UpdateDraft | undefined>) => {
      const wanted = await draft(view());
      if (wanted?.type !== "deposit") return undefined;
      const balance = state.balances[0] as { amount: bigint[] };
      balance.amount[0] =
        (balance.amount[0] as bigint) + chain.alice - (state.processedDepositsA[0] as bigint);
      balance.amount[1] =
        (balance.amount[1] as bigint) + chain.bob - (state.processedDepositsB[0] as bigint);
      state.processedDepositsA[0] = chain.alice;
      state.processedDepositsB[0] = chain.bob;
      return {};
    },
  };
  const collateral = new Collateral({
    node: NODE,
    channels: channels as unknown as ChannelService,
    policies: { [ETH]: { target: TARGET, reclaimThreshold: 5_000n } },
    readDeposits: async () => ({ totalDepositsAlice: chain.alice, totalDepositsBob: chain.bob }),
    depositAlice: async ({ amount }) => {
      // Mined a little later, so concurrent callers overlap.
      await Bun.sleep(5);
      deposits.push(amount);
      chain.alice += amount;
      return { transactionHash: `0x${"ab".repeat(32)}` };
    },
    inboundDemand: async () => demand.current,
    notify: () => {},
    logger: pino({ level: "silent" }),
    rules: { clock: () => now, requestIntervalSeconds: 60 },
  });
  return {
    collateral,
    deposits,
    chain,
    demand,
    nodeBalance: () => Collateral.nodeBalance(view(), ETH),
    advance: (ms: number) => (now += ms),
  };
}

async function refusal(run: () => Promise<unknown>): Promise<NodeError> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(NodeError);
    return error as NodeError;
  }
  throw new Error("expected a NodeError");
}

describe("ensure: collateral for a routed payment follows demand", () => {
  test("a fresh payee's 1-wei payment brings 1 wei, not the target", async () => {
    const w = world({ demand: { waiting: 1n, completed: 0n } });
    await w.collateral.ensure(USER, ETH, 1n);
    expect(w.deposits).toEqual([1n]);
    expect(w.nodeBalance()).toBe(1n);
  });

  test("headroom grows with completed inbound volume, capped at the target", async () => {
    const w = world({ demand: { waiting: 10n, completed: 100n } });
    await w.collateral.ensure(USER, ETH, 10n);
    expect(w.deposits).toEqual([210n]);
    const busy = world({ demand: { waiting: 10n, completed: 100_000n } });
    await busy.collateral.ensure(USER, ETH, 10n);
    expect(busy.deposits).toEqual([TARGET]);
  });

  test("a payment above the target gets exactly its amount", async () => {
    const w = world({ nodeBalance: 300n, demand: { waiting: 1_500n, completed: 100_000n } });
    await w.collateral.ensure(USER, ETH, 1_500n);
    expect(w.deposits).toEqual([1_200n]);
  });

  test("enough already: nothing deposited", async () => {
    const w = world({ nodeBalance: 50n, demand: { waiting: 50n, completed: 0n } });
    await w.collateral.ensure(USER, ETH, 50n);
    expect(w.deposits).toEqual([]);
  });

  test("concurrent payments share one top-up that covers all of them", async () => {
    const w = world({ demand: { waiting: 12n, completed: 0n } });
    await Promise.all([w.collateral.ensure(USER, ETH, 5n), w.collateral.ensure(USER, ETH, 7n)]);
    expect(w.deposits).toEqual([12n]);
  });

  test("a deposit made but not reconciled counts", async () => {
    const w = world({ demand: { waiting: 30n, completed: 0n } });
    w.chain.alice = 20n; // the node went down before reconciling its last top-up
    await w.collateral.ensure(USER, ETH, 30n);
    expect(w.deposits).toEqual([10n]);
    expect(w.nodeBalance()).toBe(30n);
  });
});

describe("request: a user's own collateral request", () => {
  test("a fresh key gets nothing deposited, then is rate-limited", async () => {
    const w = world({});
    expect((await refusal(() => w.collateral.request(USER, ETH))).code).toBe(
      "COLLATERAL_NOT_JUSTIFIED",
    );
    expect((await refusal(() => w.collateral.request(USER, ETH))).code).toBe("RATE_LIMITED");
    w.advance(60_000);
    expect((await refusal(() => w.collateral.request(USER, ETH))).code).toBe(
      "COLLATERAL_NOT_JUSTIFIED",
    );
    expect(w.deposits).toEqual([]);
  });

  test("up to the user's own deposits, capped at the target, once per minute", async () => {
    const w = world({ userDeposits: 400n });
    await w.collateral.request(USER, ETH);
    expect(w.deposits).toEqual([400n]);
    expect((await refusal(() => w.collateral.request(USER, ETH))).code).toBe("RATE_LIMITED");
    w.advance(60_000);
    await w.collateral.request(USER, ETH); // already there: nothing more
    expect(w.deposits).toEqual([400n]);
    w.chain.bob += 4_600n;
    await w.collateral.reconcile(USER, ETH);
    w.advance(60_000);
    await w.collateral.request(USER, ETH);
    expect(w.deposits).toEqual([400n, 600n]);
    expect(w.nodeBalance()).toBe(TARGET);
  });

  test("an asset the node does not carry is refused without using the slot", async () => {
    const w = world({ userDeposits: 400n });
    const token = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
    expect((await refusal(() => w.collateral.request(USER, token))).code).toBe("UNSUPPORTED_ASSET");
    await w.collateral.request(USER, ETH);
    expect(w.deposits).toEqual([400n]);
  });
});
