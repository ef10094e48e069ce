import { describe, expect, test } from "bun:test";
import { formatTable, percentile, summaryRow, threadRow } from "./stats";

describe("percentile", () => {
  test("nearest rank", () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile(values, 0)).toBe(1);
    expect(percentile([7], 99)).toBe(7);
  });

  test("NaN for no values", () => {
    expect(percentile([], 50)).toBeNaN();
  });
});

describe("table", () => {
  test("columns are padded to the widest cell", () => {
    expect(formatTable(["a", "bb"], [["ccc", "d"]])).toBe("a    bb\nccc  d");
  });

  test("a run's row: rate over wall time, failures summed", () => {
    const row = summaryRow({
      pairs: 4,
      completed: 200,
      wallMs: 10_000,
      latenciesMs: [10, 20, 30],
      failures: new Map([
        ["pending", 2],
        ["NODE_UNREACHABLE", 1],
      ]),
    });
    expect(row).toEqual(["4", "200", "10.00", "20.0", "20.0", "30.0", "3"]);
  });

  test("a thread-bench row: the mode second, the rate over the routed rate last", () => {
    const summary = {
      pairs: 1,
      completed: 5_000,
      wallMs: 10_000,
      latenciesMs: [1, 2, 3],
      failures: new Map<string, number>(),
    };
    expect(threadRow("sequential", summary, 25)).toEqual([
      "1",
      "sequential",
      "5000",
      "10.00",
      "500.0",
      "2.0",
      "3.0",
      "0",
      "20.0×",
    ]);
    expect(threadRow("routed", summary, 500).at(-1)).toBe("");
  });
});
