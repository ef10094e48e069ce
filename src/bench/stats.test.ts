import { describe, expect, test } from "bun:test";
import {
  cpuMs,
  cryptoLimit,
  formatTable,
  mebibytes,
  memoryGrowth,
  ofLimit,
  percentile,
  perPayment,
  ROUTED_HEADER,
  routedRow,
  SOAK_HEADER,
  soakRow,
  summaryRow,
  threadRow,
} from "./stats";

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

const MIB = 2 ** 20;

describe("CPU, memory and the crypto limit", () => {
  test("cpuUsage microseconds, user + system, as milliseconds", () => {
    expect(cpuMs({ user: 1_500, system: 500 })).toBe(2);
  });

  test("per payment: two decimals, a dash without payments or a measure", () => {
    expect(perPayment(250, 100)).toBe("2.50");
    expect(perPayment(250, 0)).toBe("—");
    expect(perPayment(undefined, 100)).toBe("—");
  });

  test("mebibytes", () => {
    expect(mebibytes(300 * MIB)).toBe("300");
    expect(mebibytes(1.25 * MIB, 1)).toBe("1.3");
  });

  test("the crypto limit: cores over 8 signs and 8 recoveries", () => {
    // 8 × 0.25 + 8 × 0.5 = 6 ms of one core per payment; 2 cores: 333.3/s
    expect(cryptoLimit(2, 0.25, 0.5)).toBeCloseTo(2000 / 6, 9);
    expect(ofLimit(50, 200)).toBe("25.0 %");
    expect(ofLimit(50, 0)).toBe("—");
  });

  test("a routed row: the summary's cells, then node and client CPU per payment, RSS, share", () => {
    const row = routedRow(
      {
        pairs: 4,
        completed: 200,
        wallMs: 10_000,
        latenciesMs: [10, 20, 30],
        failures: new Map(),
        clientCpuMs: 3_000,
      },
      { cpuMs: 4_000, rssBytes: 412 * MIB, heapUsedBytes: 80 * MIB },
      80,
    );
    expect(row).toEqual([
      "4",
      "200",
      "10.00",
      "20.0",
      "20.0",
      "30.0",
      "0",
      "20.00",
      "15.00",
      "412",
      "25.0 %",
    ]);
    expect(row.length).toBe(ROUTED_HEADER.length);
  });

  test("a soak minute's row and the memory growth line", () => {
    const row = soakRow(
      {
        minute: 3,
        wallMs: 60_000,
        offered: 1_200,
        completed: 1_194,
        latenciesMs: [40, 50, 60],
        failures: new Map([["pending", 6]]),
        clientCpuMs: 11_940,
      },
      { cpuMs: 23_880, rssBytes: 400 * MIB, heapUsedBytes: 60 * MIB, gcMs: 123.4 },
    );
    expect(row).toEqual([
      "3",
      "20.0",
      "19.9",
      "50.0",
      "60.0",
      "6",
      "400",
      "60",
      "123",
      "20.00",
      "10.00",
    ]);
    expect(row.length).toBe(SOAK_HEADER.length);
    expect(
      memoryGrowth(
        { cpuMs: 0, rssBytes: 400 * MIB, heapUsedBytes: 60 * MIB },
        { cpuMs: 0, rssBytes: 410 * MIB, heapUsedBytes: 57 * MIB },
        5,
      ),
    ).toBe(
      "memory, minute 1 → minute 5: node RSS 400.0 → 410.0 MiB (+10.0 MiB, +2.5 %), " +
        "heap used 60.0 → 57.0 MiB (−3.0 MiB, −5.0 %)",
    );
  });
});
