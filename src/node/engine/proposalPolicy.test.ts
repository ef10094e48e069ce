import { beforeEach, describe, expect, test } from "bun:test";
import {
  type ChannelUpdate,
  hashlock,
  hashlockLockHash,
  isProtocolError,
  minimumPayerExpiry,
} from "../../protocol";
import {
  context,
  ETH,
  exchange,
  HASHLOCK_ADDRESS,
  NETWORK,
  NOW,
  type Party,
  party,
  setupChannel,
  TOKEN,
  WITHDRAW_ADDRESS,
} from "../../protocol/testing/twoParties";
import { proposeUpdate, type UpdateDraft } from "../../protocol/updates/propose";
import { withdrawalDraft } from "../../protocol/withdrawals";
import { isNodeError } from "./errors";
import { type ProposalPolicyOptions, proposalPolicy } from "./proposalPolicy";
import { DEFAULT_ROUTING_RULES } from "./routingRules";

/**
 * What the node requires of a user's proposal beyond the protocol (DESIGN §4.6), checked
 * without a chain: the channel is built with the protocol's own functions, the node's view of
 * the world (payees' channels, disputes, payments) is plain data.
 */
const NODE_KEY = `0x${"11".repeat(32)}`;
const USER_KEY = `0x${"22".repeat(32)}`;
const PAYEE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const TIMEOUT = 86_400;
const { claimBufferSeconds, maxExpirySeconds, expiryGraceSeconds } = DEFAULT_ROUTING_RULES;

let node: Party;
let user: Party;
let world: {
  now: number;
  payees: Map<string, number>;
  disputed: Set<string>;
  payments: Set<string>;
  withdrawalChecks: number;
};

function policy() {
  const options: ProposalPolicyOptions = {
    node: node.signer.address,
    network: NETWORK,
    hashlockAddress: HASHLOCK_ADDRESS,
    withdrawAddress: WITHDRAW_ADDRESS,
    supportedAssets: new Set([ETH]),
    rules: DEFAULT_ROUTING_RULES,
    now: () => world.now,
    channelTimeout: async (who) => world.payees.get(who.toLowerCase()),
    inDispute: (who) => world.disputed.has(who.toLowerCase()),
    paymentExists: async (paymentId) => world.payments.has(paymentId),
    withdrawals: {
      check: () => {
        world.withdrawalChecks++;
      },
    },
  };
  return proposalPolicy(options);
}

beforeEach(async () => {
  node = party(NODE_KEY);
  user = party(USER_KEY);
  world = {
    now: NOW,
    payees: new Map([[PAYEE.toLowerCase(), TIMEOUT]]),
    disputed: new Set(),
    payments: new Set(),
    withdrawalChecks: 0,
  };
  await setupChannel(node, user, TIMEOUT);
  const chainDeposits = { totalDepositsAlice: 10n ** 18n, totalDepositsBob: 10n ** 18n };
  for (const assetId of [ETH, TOKEN]) {
    await exchange(user, node, { type: "deposit", assetId }, { chainDeposits });
  }
});

/** The earliest expiry the node takes for a payment from `user` to PAYEE now. */
function earliest(): bigint {
  return minimumPayerExpiry(world.now, TIMEOUT, TIMEOUT, claimBufferSeconds);
}

function payment(
  overrides: {
    assetId?: string;
    expiry?: bigint;
    transferTimeout?: number;
    recipient?: string;
    paymentId?: string;
    routing?: boolean;
    definition?: string;
    amount?: bigint;
  } = {},
): UpdateDraft {
  const expiry = overrides.expiry ?? earliest() + 3600n;
  return {
    type: "create",
    assetId: overrides.assetId ?? ETH,
    amount: overrides.amount ?? 1000n,
    transferDefinition: overrides.definition ?? HASHLOCK_ADDRESS,
    transferInitialState: hashlock.encodeState({
      lockHash: hashlockLockHash(`0x${"ab".repeat(32)}`),
      expiry,
    }),
    transferTimeout: overrides.transferTimeout ?? Number(expiry) - world.now,
    meta:
      overrides.routing === false
        ? {}
        : {
            routing: {
              paymentId: overrides.paymentId ?? `0x${"01".repeat(32)}`,
              recipient: overrides.recipient ?? PAYEE,
            },
          },
  };
}

/** The user's proposal of `draft`, signed as it would reach the node. */
async function proposed(draft: UpdateDraft, by: Party = user): Promise<ChannelUpdate> {
  const { update } = await proposeUpdate(by.view, draft, by.signer, context({ now: world.now }));
  return update;
}

/** The code the policy refuses `update` with (undefined: accepted). */
async function verdict(update: ChannelUpdate): Promise<string | undefined> {
  try {
    await policy()(node.view, update);
    return undefined;
  } catch (error) {
    if (isNodeError(error) || isProtocolError(error)) return error.code;
    throw error;
  }
}

describe("a routed payment", () => {
  test("with an expiry that leaves the node room to claim on-chain: accepted", async () => {
    expect(await verdict(await proposed(payment()))).toBeUndefined();
    expect(await verdict(await proposed(payment({ expiry: earliest() })))).toBeUndefined();
  });

  test("an expiry too soon, too late, or a transfer timeout that does not cover it: refused", async () => {
    expect(await verdict(await proposed(payment({ expiry: earliest() - 1n })))).toBe(
      "EXPIRY_TOO_SOON",
    );
    const latest = BigInt(world.now + maxExpirySeconds);
    expect(await verdict(await proposed(payment({ expiry: latest })))).toBeUndefined();
    expect(
      await verdict(
        await proposed(payment({ expiry: latest + 1n, transferTimeout: maxExpirySeconds })),
      ),
    ).toBe("EXPIRY_TOO_LATE");
    const expiry = earliest() + 3600n;
    const short = Number(expiry) - world.now - 1;
    expect(await verdict(await proposed(payment({ expiry, transferTimeout: short })))).toBe(
      "EXPIRY_UNSAFE",
    );
  });

  test("to itself, to the node, or to someone without a channel: UNKNOWN_RECIPIENT", async () => {
    for (const recipient of [
      user.signer.address,
      node.signer.address,
      "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
    ]) {
      expect(await verdict(await proposed(payment({ recipient })))).toBe("UNKNOWN_RECIPIENT");
    }
  });

  test("into a channel in dispute, or with a payment id already used: refused", async () => {
    world.disputed.add(PAYEE.toLowerCase());
    expect(await verdict(await proposed(payment()))).toBe("CHANNEL_IN_DISPUTE");
    world.disputed.clear();
    world.payments.add(`0x${"01".repeat(32)}`);
    expect(await verdict(await proposed(payment()))).toBe("PAYMENT_EXISTS");
  });

  test("an asset the node does not carry, or a hashlock without routing: refused", async () => {
    expect(await verdict(await proposed(payment({ assetId: TOKEN })))).toBe("UNSUPPORTED_ASSET");
    expect(await verdict(await proposed(payment({ routing: false })))).toBe("UNSUPPORTED_TRANSFER");
  });
});

describe("a payee's claim of the node's mirror", () => {
  /** A mirror the node forwarded to the user, expiring `in` seconds from now. */
  async function mirror(inSeconds: number): Promise<string> {
    const update = await exchange(node, user, {
      type: "create",
      assetId: ETH,
      amount: 500n,
      transferDefinition: HASHLOCK_ADDRESS,
      transferInitialState: hashlock.encodeState({
        lockHash: hashlockLockHash(`0x${"cd".repeat(32)}`),
        expiry: BigInt(world.now + inSeconds),
      }),
      transferTimeout: inSeconds + 60,
    });
    return (update as ChannelUpdate<"create">).details.transferId;
  }

  function resolve(transferId: string, preImage: string): UpdateDraft {
    return {
      type: "resolve",
      transferId,
      transferResolver: hashlock.encodeResolver({ preImage }),
    };
  }

  test("taken until the grace before its expiry, refused within it (CLAIM_TOO_LATE)", async () => {
    const transferId = await mirror(3600);
    const claim = resolve(transferId, `0x${"cd".repeat(32)}`);
    world.now += 3600 - expiryGraceSeconds - 1;
    expect(await verdict(await proposed(claim))).toBeUndefined();
    world.now += 1;
    expect(await verdict(await proposed(claim))).toBe("CLAIM_TOO_LATE");
  });

  test("a cancel is welcome at any time", async () => {
    const transferId = await mirror(3600);
    world.now += 3600 - 1;
    expect(await verdict(await proposed(resolve(transferId, `0x${"0".repeat(64)}`)))).toBe(
      undefined,
    );
  });
});

describe("a user's withdrawal", () => {
  test("must name the node as responder and pass the withdrawal limits", async () => {
    const state = user.view.state as NonNullable<typeof user.view.state>;
    const draft = (responder: string) =>
      withdrawalDraft(
        { ...user.view, state },
        {
          assetId: ETH,
          amount: 100n,
          recipient: user.signer.address,
          responder,
          definition: WITHDRAW_ADDRESS,
        },
        user.signer,
      );
    expect(await verdict(await proposed(await draft(node.signer.address)))).toBeUndefined();
    expect(world.withdrawalChecks).toBe(1);
    expect(await verdict(await proposed(await draft(PAYEE)))).toBe("WITHDRAW_MISMATCH");
    expect(world.withdrawalChecks).toBe(1);
  });
});
