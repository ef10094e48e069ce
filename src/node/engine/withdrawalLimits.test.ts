import { beforeEach, describe, expect, test } from "bun:test";
import { type ChannelUpdate, withdraw } from "../../protocol";
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
import { proposeUpdate } from "../../protocol/updates/propose";
import { withdrawalDraft } from "../../protocol/withdrawals";
import { NodeError } from "./errors";
import { proposalPolicy } from "./proposalPolicy";
import { DEFAULT_ROUTING_RULES } from "./routingRules";
import { DEFAULT_WITHDRAWALS_PER_HOUR, WithdrawalLimits } from "./withdrawalLimits";

const MINIMUM = 1_000n;
const FEE = 100n;
const OTHER_USER = "0x00000000000000000000000000000000000000b0";

let node: Party;
let user: Party;
let clockMs: number;

beforeEach(async () => {
  node = party(`0x${"11".repeat(32)}`);
  user = party(`0x${"22".repeat(32)}`);
  clockMs = NOW * 1000;
  await setupChannel(node, user);
  await exchange(
    user,
    node,
    { type: "deposit", assetId: ETH },
    { chainDeposits: { totalDepositsAlice: 0n, totalDepositsBob: 1_000_000n } },
  );
});

function limits(perHour = 3) {
  return new WithdrawalLimits({
    policies: { [ETH]: { minimum: MINIMUM, fee: FEE } },
    perHour,
    clock: () => clockMs,
  });
}

/** The user's signed Withdraw create paying `amount` with `fee` on top, as sent to the node. */
async function withdrawal(amount: bigint, fee: bigint): Promise<ChannelUpdate<"create">> {
  const view = user.view as typeof user.view & { state: NonNullable<typeof user.view.state> };
  const draft = await withdrawalDraft(
    view,
    {
      assetId: ETH,
      amount,
      fee,
      recipient: user.signer.address,
      responder: node.signer.address,
      definition: WITHDRAW_ADDRESS,
    },
    user.signer,
  );
  const { update } = await proposeUpdate(user.view, draft, user.signer, context());
  return update as ChannelUpdate<"create">;
}

async function refusal(run: () => unknown): Promise<NodeError> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(NodeError);
    return error as NodeError;
  }
  throw new Error("expected a refusal");
}

describe("WithdrawalLimits (issue 11, item 6)", () => {
  test("below the minimum: WITHDRAWAL_TOO_SMALL whatever the fee, and no slot is taken", async () => {
    const rules = limits(1);
    for (const [amount, fee] of [
      [1n, 0n],
      [1n, FEE],
      [MINIMUM - 1n, FEE * 10n],
    ] as const) {
      const update = await withdrawal(amount, fee);
      const tooSmall = await refusal(() => rules.check(user.signer.address, update));
      expect(tooSmall.code).toBe("WITHDRAWAL_TOO_SMALL");
      expect(tooSmall.context).toMatchObject({ minimum: String(MINIMUM), amount: String(amount) });
    }
    // The hour's one slot is still there.
    rules.check(user.signer.address, await withdrawal(MINIMUM, FEE));
  });

  test("less than the fee: WITHDRAWAL_FEE_REQUIRED saying the fee, no slot taken; the fee or more passes", async () => {
    const rules = limits(2);
    for (const fee of [0n, FEE - 1n]) {
      const refused = await refusal(async () =>
        rules.check(user.signer.address, await withdrawal(MINIMUM, fee)),
      );
      expect(refused.code).toBe("WITHDRAWAL_FEE_REQUIRED");
      expect(refused.context).toMatchObject({ fee: String(FEE), offered: String(fee) });
    }
    rules.check(user.signer.address, await withdrawal(MINIMUM, FEE));
    rules.check(user.signer.address, await withdrawal(MINIMUM, FEE * 2n));
  });

  test("per user, `perHour` in any hour: RATE_LIMITED says when the next opens; other users are not held up", async () => {
    const rules = limits(3);
    const allowed = await withdrawal(MINIMUM, FEE);
    rules.check(user.signer.address, allowed);
    clockMs += 600_000;
    rules.check(user.signer.address, allowed);
    rules.check(user.signer.address.toLowerCase(), allowed);
    clockMs += 600_000;
    const limited = await refusal(() => rules.check(user.signer.address, allowed));
    expect(limited.code).toBe("RATE_LIMITED");
    expect(limited.message).toBe("3 withdrawals per 3600 s: try again in 2400 s");
    expect(limited.context).toEqual({ retryAfterSeconds: 2400 });
    rules.check(OTHER_USER, allowed);
    // An hour after the first, one slot opens again (and only one).
    clockMs += 2_400_000;
    rules.check(user.signer.address, allowed);
    expect((await refusal(() => rules.check(user.signer.address, allowed))).code).toBe(
      "RATE_LIMITED",
    );
  });

  test("perHour 0 lifts the limit; 10 an hour by default", async () => {
    const allowed = await withdrawal(MINIMUM, FEE);
    const unlimited = limits(0);
    for (let i = 0; i < 50; i++) unlimited.check(user.signer.address, allowed);
    expect(DEFAULT_WITHDRAWALS_PER_HOUR).toBe(10);
    const byDefault = new WithdrawalLimits({ clock: () => clockMs });
    for (let i = 0; i < 10; i++) byDefault.check(user.signer.address, allowed);
    expect((await refusal(() => byDefault.check(user.signer.address, allowed))).code).toBe(
      "RATE_LIMITED",
    );
  });

  test("an asset without a policy has no minimum and no fee, only the rate", async () => {
    const rules = limits(1);
    expect(rules.terms(TOKEN)).toEqual({ minimum: 0n, fee: 0n });
    expect(rules.terms(ETH)).toEqual({ minimum: MINIMUM, fee: FEE });
    const dust = { ...(await withdrawal(1n, 0n)), assetId: TOKEN };
    rules.check(user.signer.address, dust);
    expect((await refusal(() => rules.check(user.signer.address, dust))).code).toBe("RATE_LIMITED");
  });

  test("advertised: wei as decimal strings, keyed by lowercase asset, with the hourly rate", () => {
    const rules = new WithdrawalLimits({
      policies: { [TOKEN.toLowerCase()]: { minimum: 10n ** 18n, fee: 10n ** 17n } },
      perHour: 4,
    });
    // Looked up whatever the address's case.
    expect(rules.terms(TOKEN)).toEqual({ minimum: 10n ** 18n, fee: 10n ** 17n });
    expect(rules.advertised()).toEqual({
      perHour: 4,
      assets: {
        [TOKEN.toLowerCase()]: { minimum: "1000000000000000000", fee: "100000000000000000" },
      },
    });
  });
});

describe("the node's proposal policy on a user's withdrawal", () => {
  function policy(rules: WithdrawalLimits) {
    return proposalPolicy({
      node: node.signer.address,
      network: NETWORK,
      hashlockAddress: HASHLOCK_ADDRESS,
      withdrawAddress: WITHDRAW_ADDRESS,
      supportedAssets: new Set([ETH]),
      rules: DEFAULT_ROUTING_RULES,
      now: () => NOW,
      channelTimeout: async () => undefined,
      inDispute: () => false,
      paymentExists: async () => false,
      withdrawals: rules,
    });
  }

  test("refuses dust and a missing fee with their codes, then the rate; a commitment that does not match takes no slot", async () => {
    const rules = limits(1);
    const check = policy(rules);
    const view = node.view;
    expect((await refusal(async () => check(view, await withdrawal(1n, 0n)))).code).toBe(
      "WITHDRAWAL_TOO_SMALL",
    );
    expect((await refusal(async () => check(view, await withdrawal(MINIMUM, 0n)))).code).toBe(
      "WITHDRAWAL_FEE_REQUIRED",
    );
    // A commitment that pays the fee out as well: refused before any limit is looked at.
    const honest = await withdrawal(MINIMUM, FEE);
    const state = withdraw.decodeState(honest.details.transferInitialState);
    const mismatched = {
      ...honest,
      details: {
        ...honest.details,
        transferInitialState: withdraw.encodeState({ ...state, fee: FEE + 1n }),
      },
    };
    expect((await refusal(() => check(view, mismatched))).code).toBe("WITHDRAW_MISMATCH");
    await check(view, honest);
    expect((await refusal(() => check(view, honest))).code).toBe("RATE_LIMITED");
  });
});
