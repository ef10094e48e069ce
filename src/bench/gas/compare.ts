import { JsonRpcProvider, parseEther } from "ethers";
import { deployContracts, devAccount, TestToken__factory } from "../../contracts-bindings";
import { type Anvil, startAnvil } from "../../node/chain/anvil";
import { runOurs } from "./ours";
import { type GasSetup, STEPS, type StepGas, type StepKey } from "./scenario";
import { runVector } from "./vector";
import { loadVectorArtifacts } from "./vectorArtifacts";

/**
 * go-nitro's published figures for a unilateral exit, for reference only: a two-party channel,
 * one asset, no transfer in flight (issue 10 §6).
 */
export const GO_NITRO = { challenge: 113_146, transferAllAssets: 82_026, total: 195_172 } as const;

export interface GasComparison {
  ours: StepGas;
  vector: StepGas;
  vectorVersion: string;
}

/**
 * Runs the whole comparison on a fresh anvil: our contracts, then Vector's, on the same chain
 * with the same accounts and the same ERC-20. Anvil is stopped afterwards, also on failure.
 * Vector's artifacts are checked before anything starts.
 */
export async function runGasComparison(): Promise<GasComparison> {
  const artifacts = loadVectorArtifacts();
  const anvil: Anvil = await startAnvil();
  const provider = new JsonRpcProvider(anvil.rpcUrl, undefined, {
    staticNetwork: true,
    cacheTimeout: -1,
  });
  try {
    const deployer = devAccount(0, provider);
    const [alice, bob] = [devAccount(1, provider), devAccount(2, provider)];
    // The shared ERC-20: our TestToken. Both parties hold some before either system runs, so
    // that no step of either run pays for a token balance going from zero to non-zero (the
    // second run would otherwise find balances the first one created).
    const { testToken } = await deployContracts(deployer, { testToken: true });
    if (!testToken) throw new Error("deployContracts did not deploy the test token");
    const token = TestToken__factory.connect(testToken, deployer);
    for (const holder of [alice, bob]) {
      await (await token.mint(holder.address, parseEther("1000"))).wait();
    }
    const setup: GasSetup = {
      provider,
      chainId: anvil.chainId,
      deployer,
      alice,
      bob,
      token: testToken,
    };
    const ours = await runOurs(setup);
    const vector = await runVector(setup, artifacts);
    return { ours, vector, vectorVersion: artifacts.version };
  } finally {
    provider.destroy();
    await anvil.stop();
  }
}

export interface ComparisonRow {
  label: string;
  ours: bigint;
  vector: bigint;
  /** A total rather than a step. */
  total?: boolean;
  key?: StepKey;
}

/** One row per step, then the unilateral exit's total and the total of everything. */
export function comparisonRows(comparison: GasComparison): ComparisonRow[] {
  const gas = (map: StepGas, key: StepKey) => map.get(key) ?? 0n;
  const rows: ComparisonRow[] = STEPS.map((step) => ({
    key: step.key,
    label: step.label,
    ours: gas(comparison.ours, step.key),
    vector: gas(comparison.vector, step.key),
  }));
  const sum = (keys: readonly StepKey[], map: StepGas) =>
    keys.reduce((total, key) => total + gas(map, key), 0n);
  const exitKeys = STEPS.filter((step) => step.exit).map((step) => step.key);
  const allKeys = STEPS.map((step) => step.key);
  rows.push({
    label: "unilateral exit, total (dispute → exits)",
    ours: sum(exitKeys, comparison.ours),
    vector: sum(exitKeys, comparison.vector),
    total: true,
  });
  rows.push({
    label: "everything, total",
    ours: sum(allKeys, comparison.ours),
    vector: sum(allKeys, comparison.vector),
    total: true,
  });
  return rows;
}

/** The steps where ours costs more than Vector's. */
export function stepsAboveVector(comparison: GasComparison): StepKey[] {
  return STEPS.map((step) => step.key).filter(
    (key) => (comparison.ours.get(key) ?? 0n) > (comparison.vector.get(key) ?? 0n),
  );
}

/** Our exit without the transfer's two steps, the closest to go-nitro's figure. */
export function oursWithoutTransfer(comparison: GasComparison): bigint {
  return STEPS.filter(
    (step) => step.exit && step.key !== "disputeTransfer" && step.key !== "defundTransfer",
  ).reduce((total, step) => total + (comparison.ours.get(step.key) ?? 0n), 0n);
}

const number = new Intl.NumberFormat("en-US");

export function formatGas(gas: bigint | number): string {
  return number.format(gas);
}

/** `−1,234 (−5.6 %)`: ours minus Vector's, and relative to Vector's. */
export function formatDifference(ours: bigint, vector: bigint): string {
  const difference = ours - vector;
  const sign = difference > 0n ? "+" : difference < 0n ? "−" : "±";
  const magnitude = difference < 0n ? -difference : difference;
  const percent = vector === 0n ? 0 : (Number(magnitude) / Number(vector)) * 100;
  return `${sign}${formatGas(magnitude)} (${sign}${percent.toFixed(1)} %)`;
}

export const TABLE_HEADER = ["step", "ours", "Vector", "difference"];

export function tableCells(rows: ComparisonRow[]): string[][] {
  return rows.map((row) => [
    row.label,
    formatGas(row.ours),
    formatGas(row.vector),
    formatDifference(row.ours, row.vector),
  ]);
}

/** The rows as a Markdown table, totals in bold (for the README). */
export function markdownTable(rows: ComparisonRow[]): string {
  const cells = tableCells(rows).map((cellsOfRow, i) =>
    rows[i]?.total ? cellsOfRow.map((cell) => `**${cell}**`) : cellsOfRow,
  );
  const line = (items: string[]) => `| ${items.join(" | ")} |`;
  return [
    line(TABLE_HEADER),
    line(TABLE_HEADER.map((_, i) => (i === 0 ? "---" : "---:"))),
    ...cells.map(line),
  ].join("\n");
}

/** The go-nitro reference line, with our figure that comes closest to it. */
export function goNitroLine(comparison: GasComparison): string {
  return (
    `go-nitro (published, for reference: two parties, one asset, no transfer in flight): ` +
    `unilateral exit ${formatGas(GO_NITRO.total)} = challenge ${formatGas(GO_NITRO.challenge)} ` +
    `+ transferAllAssets ${formatGas(GO_NITRO.transferAllAssets)}; ours without the transfer's ` +
    `two steps (two assets, four exits): ${formatGas(oursWithoutTransfer(comparison))}`
  );
}
