import type { FullTransferState, UpdateType } from "../types";
import type { AppliedUpdate } from "../updates/context";
import type { TransferMoment } from "./plugin";

/** The transfers each update type moves, in the order it moves them. */
const MOVED: Record<
  UpdateType,
  (applied: AppliedUpdate) => readonly [TransferMoment["event"], FullTransferState][]
> = {
  setup: () => [],
  deposit: () => [],
  create: (applied) => (applied.transfer ? [["created", applied.transfer]] : []),
  resolve: (applied) => (applied.transfer ? [["resolved", applied.transfer]] : []),
  resume: (applied) => (applied.dropped ?? []).map((gone) => ["dropped", gone] as const),
};

/**
 * What a stored update did to transfers, seen from `me`: the input of every definition's
 * reactions, so no shell needs to ask what type an update was.
 *
 * @example
 * for (const moment of transferMoments(applied, node, proposedByUs)) pluginOf(...).node?.react(moment);
 */
export function transferMoments(
  applied: AppliedUpdate,
  me: string,
  ours: boolean,
): TransferMoment[] {
  const self = me.toLowerCase();
  return MOVED[applied.state.latestUpdate.type](applied).map(([event, transfer]) => ({
    event,
    transfer,
    initiator: transfer.initiator.toLowerCase() === self,
    ours,
  }));
}
