import { afterAll, beforeAll, expect, test } from "bun:test";
import { parseEther } from "ethers";
import type { ConnextClient } from "../../client/client";
import { RawUser, RefusedError } from "../rawUser";
import { type RpcCounter, startRpcCounter } from "../rpcCounter";
import { type Stack, startStack } from "../stack";

/**
 * Issue 11, attack 8 (sync amplification): every `sync` used to start another catch-up for
 * the user, with chain reads for every asset: 3,000 messages cost ≈ 24,000 RPC calls and a
 * backlog of minutes. Now a user has at most one catch-up at a time (the rest coalesce into
 * one more, at most one every 2 s) and deposit reads are shared per block. The test floods
 * the node with 3,000 syncs from one raw user, counts the node's chain reads through a proxy,
 * and pays between two honest clients meanwhile.
 */
const ETH = "0x0000000000000000000000000000000000000000";
/** The calls a catch-up's deposit reads make; the watchers' polling uses others. */
const READS = ["eth_call", "eth_getCode", "eth_getBalance"];
const SYNCS = 3_000;

let counter: RpcCounter;
let anvilUrl = "";
let stack: Stack;
let flooder: RawUser;
let payer: ConnextClient;
let payee: ConnextClient;

beforeAll(async () => {
  counter = startRpcCounter(() => anvilUrl);
  stack = await startStack({
    nodeRpcUrl: (url) => {
      anvilUrl = url;
      return counter.url;
    },
  });
  flooder = await RawUser.connect(stack, 7);
  await flooder.deposit(parseEther("1"));
  // The honest pair's payments during the flood are timed by the flood alone: the payee's side
  // holds collateral from the start (no on-chain top-up inside a payment), and a slow payment
  // is still awaited to its end rather than reported pending.
  payer = await stack.client(3, { completionTimeoutMs: 60_000 });
  payee = await stack.client(4);
  await payer.deposit({ assetId: ETH, amount: parseEther("1") });
  await payee.deposit({ assetId: ETH, amount: parseEther("0.01") });
  await payee.requestCollateral(ETH);
  await payer.transfer({ recipient: payee.identifier, assetId: ETH, amount: 1n });
}, 120_000);

afterAll(async () => {
  await flooder?.close();
  await stack?.stop();
  await counter?.stop();
});

test("3,000 syncs from one user cost the node a handful of chain reads; others pay as usual", async () => {
  const readsBefore = counter.total(READS);
  const started = performance.now();
  let sent = 0;
  const refusals = new Map<string, number>();
  const flood = (async () => {
    // 100 in flight at a time, as fast as the node answers: those past the node's 32 per
    // user are refused at once (RATE_LIMITED), the rest served.
    while (sent < SYNCS) {
      const batch = Math.min(100, SYNCS - sent);
      sent += batch;
      const results = await Promise.allSettled(Array.from({ length: batch }, () => flooder.sync()));
      for (const result of results) {
        if (result.status === "fulfilled") continue;
        if (!(result.reason instanceof RefusedError)) throw result.reason;
        const { code } = result.reason.error;
        refusals.set(code, (refusals.get(code) ?? 0) + 1);
      }
    }
  })();

  const latencies: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const result = await payer.transfer({ recipient: payee.identifier, assetId: ETH, amount: 1n });
    latencies.push(performance.now() - t0);
    expect(result.status).toBe("completed");
  }
  await flood;
  const floodSeconds = (performance.now() - started) / 1000;
  // Let the last coalesced catch-up run.
  await Bun.sleep(2_500);
  const reads = counter.total(READS) - readsBefore;
  console.log(
    `sync flood: ${SYNCS} syncs in ${floodSeconds.toFixed(1)} s, ${reads} chain reads by the node (calls: ${JSON.stringify(counter.counts())}); honest payments meanwhile: ${latencies.map((ms) => ms.toFixed(0)).join(", ")} ms; refused at once: ${JSON.stringify(Object.fromEntries(refusals))}`,
  );
  expect([...refusals.keys()].every((code) => code === "RATE_LIMITED")).toBe(true);
  // Two catch-ups a second at most over the flood (each ≤ 2 assets × 3 reads, most of them
  // served from the per-block cache), plus what the honest payments read.
  expect(reads).toBeLessThan(50 + Math.ceil(floodSeconds) * 6);
  expect(reads).toBeLessThan(SYNCS / 10);
  // The flooder's channel is intact: its syncs still answer with its latest update.
  expect((await flooder.sync())?.nonce).toBe(flooder.state.nonce);
}, 180_000);
