import type { Refusal } from "./types";

/**
 * The retry and catch-up rule both sides follow (DESIGN §4.4). A proposal refused with
 * STALE_NONCE or NONCE_GAP was built on a channel the counterparty had moved past. The
 * proposer catches up from the doubly-signed update the refusal carries (it must be the next
 * one, and both signatures and every rule are checked), or restores when it is further behind
 * and may restore; then it drafts again, on the new state, only if the channel now holds a
 * doubly-signed update at the refused proposal's nonce: every retry follows real progress,
 * and the refused proposal is settled by an update at its nonce before another is signed.
 * At most MAX_RETRIES retries, so a counterparty that keeps moving on cannot keep us busy.
 */
export const MAX_RETRIES = 5;

const RETRIABLE = new Set(["STALE_NONCE", "NONCE_GAP"]);

/** What a proposer does after a refusal, given its nonce and where the refused proposal stood. */
export type AfterRefusal =
  | { action: "giveUp"; exhausted: boolean }
  | { action: "catchUp" }
  | { action: "restore" }
  | { action: "retry" };

export function afterRefusal(
  refusal: Refusal,
  attempt: number,
  ourNonce: number,
  proposalNonce: number,
  canRestore: boolean,
): AfterRefusal {
  if (!RETRIABLE.has(refusal.code)) return { action: "giveUp", exhausted: false };
  if (attempt >= MAX_RETRIES) return { action: "giveUp", exhausted: true };
  const theirs = refusal.latestUpdate?.nonce ?? 0;
  if (theirs === ourNonce + 1) return { action: "catchUp" };
  if (theirs > ourNonce + 1 && canRestore) return { action: "restore" };
  return afterCatchUp(ourNonce, proposalNonce);
}

/** Once caught up (or not): draft again only on top of an update at the refused nonce. */
export function afterCatchUp(ourNonce: number, proposalNonce: number): AfterRefusal {
  return ourNonce >= proposalNonce ? { action: "retry" } : { action: "giveUp", exhausted: false };
}
