import type { ChannelUpdate, ChannelView } from "../protocol";
import type { ClientEventMap } from "./events";

type Balance = { user: bigint; node: bigint };

export type DepositEvent =
  | { event: "deposit.confirmed"; payload: ClientEventMap["deposit.confirmed"] }
  | { event: "collateral.received"; payload: ClientEventMap["collateral.received"] };

/**
 * What a reconciled deposit tells the application, side by side: our own deposit grew our
 * balance (`deposit.confirmed`); the node's collateral grew its side (`collateral.received`),
 * which is the node's money, ready to pay us, never ours. One update can reconcile both.
 * The node is the channel's alice, we are its bob.
 */
export function depositEvents(
  before: ChannelView,
  update: ChannelUpdate<"deposit">,
  balance: Balance,
): DepositEvent[] {
  const { assetId } = update;
  const state = before.state;
  const index = state?.assetIds.findIndex((a) => a.toLowerCase() === assetId.toLowerCase()) ?? -1;
  const processedNode = index === -1 ? 0n : (state?.processedDepositsA[index] ?? 0n);
  const processedUser = index === -1 ? 0n : (state?.processedDepositsB[index] ?? 0n);
  const ours = update.details.totalDepositsBob - processedUser;
  const node = update.details.totalDepositsAlice - processedNode;
  const events: DepositEvent[] = [];
  if (ours > 0n) {
    events.push({ event: "deposit.confirmed", payload: { assetId, amount: ours, balance } });
  }
  if (node > 0n) {
    events.push({ event: "collateral.received", payload: { assetId, amount: node, balance } });
  }
  return events;
}
