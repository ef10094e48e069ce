import { describe, expect, test } from "bun:test";
import type { ChannelUpdate, ChannelView } from "../protocol";
import { depositEvents } from "./depositEvents";

const ETH = "0x0000000000000000000000000000000000000000";
const TOKEN = "0x00000000000000000000000000000000000000E1";
const balance = { user: 7n, node: 9n };

/** A channel that processed `node` and `user` deposits of ETH so far. */
function viewWith(node: bigint, user: bigint): ChannelView {
  return {
    state: { assetIds: [ETH], processedDepositsA: [node], processedDepositsB: [user] },
  } as unknown as ChannelView;
}

function deposit(assetId: string, alice: bigint, bob: bigint): ChannelUpdate<"deposit"> {
  return {
    type: "deposit",
    assetId,
    details: { totalDepositsAlice: alice, totalDepositsBob: bob },
  } as ChannelUpdate<"deposit">;
}

describe("what a reconciled deposit tells the application", () => {
  test("the node's collateral is collateral.received, never our deposit", () => {
    expect(depositEvents(viewWith(1n, 5n), deposit(ETH, 4n, 5n), balance)).toEqual([
      { event: "collateral.received", payload: { assetId: ETH, amount: 3n, balance } },
    ]);
  });

  test("our own deposit is deposit.confirmed, with what it added", () => {
    expect(depositEvents(viewWith(1n, 5n), deposit(ETH, 1n, 8n), balance)).toEqual([
      { event: "deposit.confirmed", payload: { assetId: ETH, amount: 3n, balance } },
    ]);
  });

  test("both at once are both reported; a new asset counts from zero", () => {
    expect(depositEvents(viewWith(1n, 5n), deposit(TOKEN, 2n, 3n), balance)).toEqual([
      { event: "deposit.confirmed", payload: { assetId: TOKEN, amount: 3n, balance } },
      { event: "collateral.received", payload: { assetId: TOKEN, amount: 2n, balance } },
    ]);
  });
});
