import { describe, expect, test } from "bun:test";
import { isClientError } from "../errors";
import type { NodeConfig } from "../nodeApi";
import { withdrawalFee, withdrawalTermsOf } from "./terms";

const ETH = "0x0000000000000000000000000000000000000000";
const TOKEN = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

function config(withdrawals?: NodeConfig["withdrawals"]): NodeConfig {
  return { withdrawals } as NodeConfig;
}

function code(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return isClientError(error) ? error.code : "not a ClientError";
  }
  return undefined;
}

describe("withdrawal terms from GET /config (issue 11, item 6)", () => {
  const advertised = config({
    perHour: 10,
    assets: { [TOKEN.toLowerCase()]: { minimum: "1000", fee: "50" } },
  });

  test("per asset, whatever the address's case; none for an asset or a node that names none", () => {
    expect(withdrawalTermsOf(advertised, TOKEN)).toEqual({ minimum: 1000n, fee: 50n, perHour: 10 });
    expect(withdrawalTermsOf(advertised, ETH)).toEqual({ minimum: 0n, fee: 0n, perHour: 10 });
    expect(withdrawalTermsOf(config(), TOKEN)).toEqual({ minimum: 0n, fee: 0n });
  });

  test("the fee a withdrawal pays, refused below the minimum or above maxFee (default a tenth)", () => {
    const terms = withdrawalTermsOf(advertised, TOKEN);
    expect(withdrawalFee(TOKEN, 1000n, terms)).toBe(50n);
    expect(code(() => withdrawalFee(TOKEN, 999n, terms))).toBe("WITHDRAWAL_TOO_SMALL");
    expect(code(() => withdrawalFee(TOKEN, 1000n, terms, 49n))).toBe("WITHDRAWAL_FEE_TOO_HIGH");
    expect(withdrawalFee(TOKEN, 1000n, terms, 50n)).toBe(50n);
    // A node that raises its fee past a tenth of the amount is refused by default.
    const greedy = { minimum: 0n, fee: 101n };
    expect(code(() => withdrawalFee(TOKEN, 1000n, greedy))).toBe("WITHDRAWAL_FEE_TOO_HIGH");
    expect(withdrawalFee(ETH, 1n, { minimum: 0n, fee: 0n })).toBe(0n);
  });
});
