import { ProtocolError } from "./errors";

/**
 * Hashlock expiries derived from the channels' dispute timeouts (DESIGN §4.6). Whoever learns
 * a pre-image must still be able to claim its transfer on-chain before the expiry, alone:
 * dispute the channel, wait out the consensus window, then dispute and defund the transfer
 * with the pre-image. Node and client compute every expiry bound with these functions, so
 * both sides agree on what is safe.
 */

/** Seconds allowed for the claim's transactions to be mined (the confirmation buffer). */
export const DEFAULT_CLAIM_BUFFER_SECONDS = 15 * 60;

/** The longest a routed payment may stay locked, by default: a week. */
export const DEFAULT_MAX_PAYMENT_EXPIRY_SECONDS = 7 * 24 * 60 * 60;

/**
 * Seconds from a standing start to a hashlock claimed on-chain in a channel with this dispute
 * timeout: a full consensus window, then the transfer's dispute and defund, within the buffer.
 */
export function onchainClaimSeconds(channelTimeout: number, bufferSeconds: number): number {
  return channelTimeout + bufferSeconds;
}

/**
 * Whether a party that reveals a pre-image now could still claim the transfer on-chain before
 * `expiry` should its counterparty refuse to countersign the resolve.
 *
 * @example
 * if (!claimableOnchain(expiry, now, channel.timeout, buffer)) return; // let it expire instead
 */
export function claimableOnchain(
  expiry: bigint,
  now: number,
  channelTimeout: number,
  bufferSeconds: number,
): boolean {
  return expiry >= BigInt(now + onchainClaimSeconds(channelTimeout, bufferSeconds));
}

/**
 * The last moment an on-chain claim of a hashlock expiring at `expiry`, started from a standing
 * start (no dispute on record yet), still completes before the expiry: the last `now` for which
 * `claimableOnchain` holds. A party holding the pre-image whose counterparty has not settled
 * off-chain by then must dispute the channel then, or lose the transfer.
 *
 * @example
 * if (now >= latestOnchainClaimStart(expiry, channel.timeout, buffer)) await dispute(channel);
 */
export function latestOnchainClaimStart(
  expiry: bigint,
  channelTimeout: number,
  bufferSeconds: number,
): bigint {
  return expiry - BigInt(onchainClaimSeconds(channelTimeout, bufferSeconds));
}

/**
 * The mirror's expiry: the payer's, less the node's own on-chain claim of the payer's transfer,
 * so a pre-image revealed at the very end of the mirror still pays the node. It is the last
 * moment the node can start that claim (`latestOnchainClaimStart` of the payer's transfer).
 */
export function mirrorExpiryFor(
  payerExpiry: bigint,
  payerChannelTimeout: number,
  bufferSeconds: number,
): bigint {
  return latestOnchainClaimStart(payerExpiry, payerChannelTimeout, bufferSeconds);
}

/**
 * The earliest payer expiry the node can route: the mirror must leave the payee room to claim
 * on-chain, and the payer's transfer must leave the node the same room after the mirror.
 */
export function minimumPayerExpiry(
  now: number,
  payerChannelTimeout: number,
  payeeChannelTimeout: number,
  bufferSeconds: number,
): bigint {
  return BigInt(
    now +
      onchainClaimSeconds(payerChannelTimeout, bufferSeconds) +
      onchainClaimSeconds(payeeChannelTimeout, bufferSeconds),
  );
}

/**
 * The shortest transfer timeout a hashlock may carry: a transfer disputed right away must stay
 * defundable with its pre-image until the expiry, or a counterparty could dispute early and
 * take the initial balance back before the pre-image is known.
 */
export function minimumHashlockTransferTimeout(expiry: bigint, now: number): number {
  const remaining = expiry - BigInt(now);
  return remaining > 0n ? expiryNumber(remaining) : 0;
}

/**
 * An expiry (or any count of seconds) as a safe integer; larger values are refused instead of
 * losing precision (`Number(2n ** 60n)` is not 2^60).
 */
export function expiryNumber(seconds: bigint): number {
  if (seconds < 0n || seconds > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ProtocolError("INVALID_TRANSFER_TIMEOUT", `${seconds} s is out of range`);
  }
  return Number(seconds);
}
