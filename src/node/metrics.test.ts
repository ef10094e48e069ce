import { describe, expect, test } from "bun:test";
import { createMetrics } from "./metrics";

const asset = "0x0000000000000000000000000000000000000000";
const token = "0x5fbdb2315678afecb367f032d93f642f64180aa3";

describe("node metrics", () => {
  test("gauges read their sources at scrape time; nothing before sources are set", async () => {
    const metrics = createMetrics();
    const before = await metrics.registry.metrics();
    expect(before).toMatch(/^connext_channels Nan$/m);
    expect(before).not.toContain("connext_payments{");

    let channels = 3;
    metrics.setSources({
      paymentsByStatus: async () => ({ completed: 5, pending: 2 }),
      channelCount: async () => channels,
      collateral: async () => ({ [asset]: 10n ** 18n, [token]: 250n }),
    });
    let text = await metrics.registry.metrics();
    expect(text).toContain('connext_payments{status="completed"} 5');
    expect(text).toContain('connext_payments{status="pending"} 2');
    expect(text).toContain("connext_channels 3");
    expect(text).toContain(`connext_collateral{asset="${asset}"} 1000000000000000000`);
    expect(text).toContain(`connext_collateral{asset="${token}"} 250`);

    channels = 4;
    text = await metrics.registry.metrics();
    expect(text).toContain("connext_channels 4");
  });

  test("a status or asset that disappears from its source disappears from the gauge", async () => {
    const metrics = createMetrics();
    let counts: Record<string, number> = { pending: 1, failed: 1 };
    metrics.setSources({
      paymentsByStatus: async () => counts,
      channelCount: async () => 0,
      collateral: async () => ({}),
    });
    expect(await metrics.registry.metrics()).toContain('connext_payments{status="failed"} 1');
    counts = { pending: 1 };
    expect(await metrics.registry.metrics()).not.toContain('status="failed"');
  });

  test("a failing source empties its gauge and is counted; the scrape still succeeds", async () => {
    const metrics = createMetrics();
    metrics.setSources({
      paymentsByStatus: async () => ({ completed: 1 }),
      channelCount: async () => {
        throw new Error("database down");
      },
      collateral: async () => ({ [asset]: 1n }),
    });
    const text = await metrics.registry.metrics();
    expect(text).toContain('connext_payments{status="completed"} 1');
    expect(text).toMatch(/^connext_channels Nan$/m);
    expect(text).toContain('connext_metrics_source_errors_total{source="channelCount"} 1');
    expect(await metrics.registry.metrics()).toContain(
      'connext_metrics_source_errors_total{source="channelCount"} 2',
    );
  });

  test("update latency by type and role, and the default process metrics", async () => {
    const metrics = createMetrics();
    metrics.updateLatency.observe({ type: "create", role: "proposer" }, 0.03);
    metrics.updateLatency.observe({ type: "resolve", role: "responder" }, 2);
    const text = await metrics.registry.metrics();
    expect(text).toContain(
      'connext_update_latency_seconds_bucket{le="0.05",type="create",role="proposer"} 1',
    );
    expect(text).toContain(
      'connext_update_latency_seconds_count{type="resolve",role="responder"} 1',
    );
    expect(text).toContain("process_cpu_user_seconds_total");
    expect(text).toContain("nodejs_heap_size_total_bytes");
  });

  test("payers' channels the node disputed (SECURITY rule 23): 0 until one is", async () => {
    const metrics = createMetrics();
    expect(await metrics.registry.metrics()).toMatch(/^connext_payer_disputes_total 0$/m);
    metrics.payerDisputes.inc();
    expect(await metrics.registry.metrics()).toMatch(/^connext_payer_disputes_total 1$/m);
  });

  test("two instances keep separate registries", async () => {
    const one = createMetrics();
    const two = createMetrics();
    one.updateLatency.observe({ type: "setup", role: "proposer" }, 1);
    expect(await one.registry.metrics()).toContain("connext_update_latency_seconds_count{");
    expect(await two.registry.metrics()).not.toContain("connext_update_latency_seconds_count{");
  });
});
