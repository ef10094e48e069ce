// `npm run bench:gas`: gas per on-chain operation, our contracts beside Connext Vector's
// (deployed from the artifacts in the @connext/vector-contracts package), on one anvil, with
// the same accounts and amounts (issue 10 §6). `--markdown` also prints the table for README.
import {
  comparisonRows,
  formatGas,
  goNitroLine,
  markdownTable,
  runGasComparison,
  stepsAboveVector,
  TABLE_HEADER,
  tableCells,
} from "./gas/compare";
import { STEPS } from "./gas/scenario";
import { VectorArtifactError } from "./gas/vectorArtifacts";
import { formatTable } from "./stats";

async function anvilVersion(): Promise<string> {
  try {
    const { findAnvil } = await import("../node/chain/anvil");
    const proc = Bun.spawnSync([findAnvil(), "--version"]);
    const line = new TextDecoder().decode(proc.stdout).split("\n")[0]?.trim() ?? "";
    return line.replace(/^anvil\s+Version:\s*/i, "anvil ") || "anvil";
  } catch {
    return "anvil";
  }
}

async function main(): Promise<number> {
  const markdown = process.argv.includes("--markdown");
  console.log("gas benchmark: our contracts and Connext Vector's on one anvil…");
  const comparison = await runGasComparison();
  const rows = comparisonRows(comparison);
  const date = new Date().toISOString().slice(0, 10);
  const above = stepsAboveVector(comparison);
  const labelOf = (key: string) => STEPS.find((step) => step.key === key)?.label ?? key;

  console.log(
    `\ngas used per transaction (receipts) — ${date}, ${await anvilVersion()}, ` +
      `@connext/vector-contracts ${comparison.vectorVersion}\n`,
  );
  console.log(formatTable(TABLE_HEADER, tableCells(rows)));
  console.log(`\n${goNitroLine(comparison)}`);
  console.log(
    above.length === 0
      ? "every step at or below Vector's"
      : `above Vector's: ${above.map((key) => `${labelOf(key)} (${formatGas((comparison.ours.get(key) ?? 0n) - (comparison.vector.get(key) ?? 0n))} more)`).join("; ")}`,
  );
  if (markdown) console.log(`\n${markdownTable(rows)}`);
  return 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(
    error instanceof VectorArtifactError ? error.message : ((error as Error).stack ?? error),
  );
  process.exitCode = 1;
}
