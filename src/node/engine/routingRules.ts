import {
  DEFAULT_CLAIM_BUFFER_SECONDS,
  DEFAULT_MAX_PAYMENT_EXPIRY_SECONDS,
  DEFAULT_POLICY,
  type ProtocolPolicy,
} from "../../protocol";

/**
 * The node's routing bounds (DESIGN §4.6): how much room every expiry leaves for an on-chain
 * claim, how long a payment may lock collateral, and the clock skew tolerated around an
 * expiry. Derived expiries use the channels' own dispute timeouts on top of these.
 */
export interface RoutingRules {
  /** Seconds for a claim's transactions to be mined, on top of a consensus window. */
  claimBufferSeconds: number;
  /** The latest payer expiry accepted, in seconds from now. */
  maxExpirySeconds: number;
  /**
   * Seconds past a mirror's expiry before it counts as dead: the chain's clock may lag ours,
   * and a payee could still claim on-chain in that gap.
   */
  expiryGraceSeconds: number;
}

export const DEFAULT_ROUTING_RULES: RoutingRules = {
  claimBufferSeconds: DEFAULT_CLAIM_BUFFER_SECONDS,
  maxExpirySeconds: DEFAULT_MAX_PAYMENT_EXPIRY_SECONDS,
  expiryGraceSeconds: 120,
};

/**
 * The channel timeouts the node accepts at setup: long enough to answer a dispute, short
 * enough that a payment between two such channels fits in `maxExpirySeconds` (it needs both
 * channels' timeouts plus a buffer each, and an hour for the payee to claim off-chain).
 */
export function nodeProtocolPolicy(rules: RoutingRules): ProtocolPolicy {
  const routable = Math.floor((rules.maxExpirySeconds - 2 * rules.claimBufferSeconds - 3600) / 2);
  return {
    ...DEFAULT_POLICY,
    maxChannelTimeout: Math.max(
      DEFAULT_POLICY.minChannelTimeout,
      Math.min(DEFAULT_POLICY.maxChannelTimeout, routable),
    ),
  };
}
