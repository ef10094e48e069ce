import { describe, expect, test } from "bun:test";
import { Wallet } from "ethers";
import { isClientError } from "./errors";
import { PAYEE_TTL_SECONDS, PAYEES_KEPT, PayeeDirectory } from "./payeeDirectory";

const payee = Wallet.createRandom();
const other = Wallet.createRandom();

function directory(
  answers: (user: string) => { publicKey: string; channelTimeout?: number } | undefined,
  kept?: number,
) {
  let now = 1_000;
  const asked: string[] = [];
  const payees = new PayeeDirectory({
    api: {
      identity: async (user: string) => {
        asked.push(user);
        return answers(user);
      },
    },
    now: () => now,
    ...(kept ? { kept } : {}),
  });
  const advance = (seconds: number) => {
    now += seconds;
  };
  return { payees, asked, advance };
}

async function codeOf(work: Promise<unknown>): Promise<string | undefined> {
  try {
    await work;
    return undefined;
  } catch (error) {
    if (isClientError(error)) return error.code;
    throw error;
  }
}

describe("PayeeDirectory", () => {
  test("asks the node once per payee within the TTL, whatever the address case", async () => {
    const { payees, asked, advance } = directory(() => ({
      publicKey: payee.signingKey.publicKey,
      channelTimeout: 86_400,
    }));
    const first = await payees.lookUp(payee.address, true);
    expect(first).toEqual({ publicKey: payee.signingKey.publicKey, channelTimeout: 86_400 });
    expect(await payees.lookUp(payee.address.toLowerCase(), true)).toEqual(first);
    expect(asked).toHaveLength(1);
    advance(PAYEE_TTL_SECONDS);
    await payees.lookUp(payee.address, true);
    expect(asked).toHaveLength(2);
  });

  test("keeps nothing the node answered wrongly or incompletely", async () => {
    let answer: { publicKey: string; channelTimeout?: number } | undefined;
    const { payees, asked } = directory(() => answer);
    expect(await codeOf(payees.lookUp(payee.address, true))).toBe("UNKNOWN_RECIPIENT");
    answer = { publicKey: other.signingKey.publicKey, channelTimeout: 86_400 };
    expect(await codeOf(payees.lookUp(payee.address, true))).toBe("RECIPIENT_KEY_MISMATCH");
    // No channel yet: usable when the caller sets the expiry, but asked again next time.
    answer = { publicKey: payee.signingKey.publicKey };
    expect(await payees.lookUp(payee.address, false)).toMatchObject({ channelTimeout: 0 });
    expect(await codeOf(payees.lookUp(payee.address, true))).toBe("UNKNOWN_RECIPIENT");
    answer = { publicKey: payee.signingKey.publicKey, channelTimeout: 3_600 };
    await payees.lookUp(payee.address, true);
    await payees.lookUp(payee.address, true);
    expect(asked).toHaveLength(5);
  });

  test("keeps a bounded number of payees, the first kept going first", async () => {
    expect(PAYEES_KEPT).toBe(1_000);
    const wallets = Array.from({ length: 3 }, () => Wallet.createRandom());
    const keys = new Map(wallets.map((w) => [w.address.toLowerCase(), w.signingKey.publicKey]));
    const { payees, asked } = directory(
      (user) => ({ publicKey: keys.get(user.toLowerCase()) as string, channelTimeout: 60 }),
      2,
    );
    const [a, b, c] = wallets.map((w) => w.address) as [string, string, string];
    await payees.lookUp(a, true);
    await payees.lookUp(b, true);
    await payees.lookUp(a, true); // kept: not asked, and still the first kept
    expect(asked).toHaveLength(2);
    await payees.lookUp(c, true); // a goes
    await payees.lookUp(b, true);
    await payees.lookUp(c, true);
    expect(asked).toHaveLength(3);
    await payees.lookUp(a, true);
    expect(asked).toHaveLength(4);
  });
});
