import { describe, expect, test } from "bun:test";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  comparisonRows,
  formatDifference,
  type GasComparison,
  markdownTable,
  runGasComparison,
} from "./compare";
import { AMOUNTS, disputedBalances, STEPS } from "./scenario";
import { loadVectorArtifacts, VectorArtifactError, vectorPackageDir } from "./vectorArtifacts";

// A smoke test of `npm run bench:gas`: the whole comparison once on anvil. Every step of both
// systems must succeed (each driver also checks the exitable amounts and that both channels end
// empty); the figures themselves are the benchmark's business, not this test's.

describe("gas comparison with Connext Vector", () => {
  test("every step runs on both systems and uses gas", async () => {
    const comparison: GasComparison = await runGasComparison();
    for (const step of STEPS) {
      expect(comparison.ours.get(step.key) ?? 0n).toBeGreaterThan(21_000n - 1n);
      expect(comparison.vector.get(step.key) ?? 0n).toBeGreaterThan(21_000n - 1n);
    }
    const rows = comparisonRows(comparison);
    expect(rows).toHaveLength(STEPS.length + 2);
    for (const row of rows) {
      expect(row.ours).toBeGreaterThan(0n);
      expect(row.vector).toBeGreaterThan(0n);
    }
    expect(markdownTable(rows).split("\n")).toHaveLength(rows.length + 2);
  }, 30_000);

  test("Vector's artifacts are checked: what is missing is named", () => {
    // A copy of the package's artifacts whose mastercopy lacks disputeTransfer.
    const real = vectorPackageDir();
    const copy = mkdtempSync(join(tmpdir(), "vector-artifacts-"));
    try {
      cpSync(join(real, "package.json"), join(copy, "package.json"));
      cpSync(join(real, "artifacts/src.sol"), join(copy, "artifacts/src.sol"), { recursive: true });
      const path = join(copy, "artifacts/src.sol/ChannelMastercopy.sol/ChannelMastercopy.json");
      const artifact = JSON.parse(readFileSync(path, "utf8"));
      artifact.abi = artifact.abi.filter(
        (item: { name?: string }) => item.name !== "disputeTransfer",
      );
      writeFileSync(path, JSON.stringify(artifact));
      expect(() => loadVectorArtifacts(copy)).toThrow(
        /ChannelMastercopy: missing function disputeTransfer\(/,
      );
      expect(() => loadVectorArtifacts(join(copy, "nowhere"))).toThrow(VectorArtifactError);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  test("the story's amounts add up", () => {
    const balances = disputedBalances();
    const native = AMOUNTS.aliceDeposit + AMOUNTS.bobDepositNative - AMOUNTS.withdrawal;
    expect(balances.native[0] + balances.native[1] + AMOUNTS.hashlock).toBe(native);
    expect(balances.exitNative[0] + balances.exitNative[1]).toBe(native);
    expect(balances.token[0] + balances.token[1]).toBe(AMOUNTS.bobDepositToken);
  });

  test("differences are signed and relative to Vector's", () => {
    expect(formatDifference(90n, 100n)).toBe("−10 (−10.0 %)");
    expect(formatDifference(1_100n, 1_000n)).toBe("+100 (+10.0 %)");
    expect(formatDifference(5n, 5n)).toBe("±0 (±0.0 %)");
  });
});
