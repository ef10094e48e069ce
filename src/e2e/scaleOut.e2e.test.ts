import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseEther, ZeroAddress } from "ethers";
import pino from "pino";
import postgres from "postgres";
import type { ConnextClient } from "../client";
import { type RunningNode, startNode } from "../node/node";
import { expectChannelsAgree, waitFor } from "./expectations";
import { ADMIN_TOKEN, productionBackendMissing, type Stack, startStack } from "./stack";

/**
 * DESIGN §3, scale-out: two node processes with one key share one PostgreSQL and one NATS.
 * Users' requests are spread by the queue group and every channel is serialised by a lease
 * in PostgreSQL, so concurrent payments through both processes never interleave a channel.
 */
const missing = productionBackendMissing();
if (missing) console.warn(`\n!!! ${missing}\n!!! The scale-out suite is SKIPPED.\n`);

describe.skipIf(missing !== undefined)("two node processes on one PostgreSQL and one NATS", () => {
  let stack: Stack;
  let second: RunningNode;
  let clients: ConnextClient[];
  const ETH = ZeroAddress;

  beforeAll(async () => {
    stack = await startStack({ backend: "production" });
    second = await startNode({ ...stack.settings, port: 0 }, pino({ level: "warn" }), {
      depositPollMs: 500,
    });
    clients = await Promise.all([1, 2, 3, 4].map((i) => stack.client(i)));
    for (const client of clients) await client.deposit({ assetId: ETH, amount: parseEther("1") });
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await second?.stop();
    await stack?.stop();
  });

  test("concurrent payments in a ring all complete, and every channel agrees", async () => {
    const amount = parseEther("0.001");
    const rounds = 15;
    // Each client pays the next one, all at once: every channel is touched from both sides.
    await Promise.all(
      clients.map(async (payer, i) => {
        const payee = clients[(i + 1) % clients.length] as ConnextClient;
        for (let round = 0; round < rounds; round++) {
          const result = await payer.transfer({
            recipient: payee.identifier,
            assetId: ETH,
            amount,
          });
          expect(result.status).toBe("completed");
        }
      }),
    );
    // In a ring everybody paid and received the same: balances are back where they started.
    for (const client of clients) {
      await waitFor(() => client.getBalance(ETH).user === parseEther("1"), 20_000);
      await waitFor(() => client.getTransfers().length === 0, 20_000);
      await expectChannelsAgree(stack, client);
    }
  }, 120_000);

  test("both processes served requests", async () => {
    const served = await Promise.all(
      [stack.node.httpUrl, second.httpUrl].map(async (url) => {
        const text = await (await fetch(`${url}/metrics`)).text();
        const match = text.match(
          /connext_update_latency_seconds_count\{type="create",role="responder"\} (\d+)/,
        );
        return Number(match?.[1] ?? 0);
      }),
    );
    expect(served[0]).toBeGreaterThan(0);
    expect(served[1]).toBeGreaterThan(0);
  });

  test("a collateral policy set through one process's admin API applies in the other at once", async () => {
    const token = "0x00000000000000000000000000000000000000a1";
    const admin = (url: string, path: string, init: RequestInit = {}) =>
      fetch(`${url}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      });
    const put = await admin(stack.node.httpUrl, `/admin/collateral/${token}`, {
      method: "PUT",
      body: JSON.stringify({ target: "1000", reclaimThreshold: "5000" }),
    });
    expect(put.status).toBe(200);
    // The other process stores nothing and restarts nothing: it was told through PostgreSQL.
    const policyInSecond = async () => {
      const entries = (await (await admin(second.httpUrl, "/admin/collateral")).json()) as {
        assetId: string;
        target: string;
      }[];
      return entries.find((entry) => entry.assetId.toLowerCase() === token)?.target;
    };
    const deadline = Date.now() + 20_000;
    while ((await policyInSecond()) !== "1000" && Date.now() < deadline) await Bun.sleep(50);
    expect(await policyInSecond()).toBe("1000");
    // …and carries the asset for its users: its config lists it.
    const config = (await (await fetch(`${second.httpUrl}/config`)).json()) as {
      supportedAssets: string[];
    };
    expect(config.supportedAssets.map((asset) => asset.toLowerCase())).toContain(token);

    const removed = await admin(second.httpUrl, `/admin/collateral/${token}`, { method: "DELETE" });
    expect(removed.status).toBe(200);
    const gone = Date.now() + 20_000;
    const inFirst = async () =>
      (
        (await (await admin(stack.node.httpUrl, "/admin/collateral")).json()) as {
          assetId: string;
        }[]
      )
        .map((entry) => entry.assetId.toLowerCase())
        .includes(token);
    while ((await inFirst()) && Date.now() < gone) await Bun.sleep(50);
    expect(await inFirst()).toBe(false);
  });

  test("a user asking both processes for collateral at once gets one deposit, not one each", async () => {
    const user = await stack.client(6);
    await user.deposit({ assetId: ETH, amount: parseEther("1") });
    const channel = (user.channelAddress as string).toLowerCase();
    // The queue group spreads these over both processes (each with its own rate limiter):
    // the top-up's lease in PostgreSQL lets one deposit through, the other counts it.
    const asked = await Promise.allSettled(
      Array.from({ length: 6 }, () => user.requestCollateral(ETH)),
    );
    expect(asked.some((outcome) => outcome.status === "fulfilled")).toBe(true);
    await waitFor(() => user.getBalance(ETH).node === parseEther("1"), 30_000);
    const sql = postgres(stack.settings.databaseUrl as string, { max: 1, onnotice: () => {} });
    try {
      const deposits = await sql`select id from onchain_transactions
        where lower(channel_address) = ${channel} and purpose = 'deposit'`;
      expect(deposits).toHaveLength(1);
    } finally {
      await sql.end({ timeout: 1 });
    }
    // Nothing more arrives later either.
    await Bun.sleep(2_000);
    expect(user.getBalance(ETH).node).toBe(parseEther("1"));
    await user.close();
  }, 120_000);

  test("a collateral target set through one process is the one the other tops up to", async () => {
    const setTarget = await fetch(`${stack.node.httpUrl}/admin/collateral/${ETH}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({
        target: parseEther("0.3").toString(),
        reclaimThreshold: parseEther("50").toString(),
      }),
    });
    expect(setTarget.status).toBe(200);
    const targetInSecond = async () => {
      const entries = (await (
        await fetch(`${second.httpUrl}/admin/collateral`, {
          headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        })
      ).json()) as { assetId: string; target: string }[];
      return entries.find((entry) => entry.assetId === ETH)?.target;
    };
    const deadline = Date.now() + 20_000;
    while ((await targetInSecond()) !== parseEther("0.3").toString() && Date.now() < deadline) {
      await Bun.sleep(50);
    }
    // Only the second process serves from here: the request below is surely its.
    await stack.node.stop();
    const user = await stack.client(5, { nodeUrl: second.httpUrl });
    await user.deposit({ assetId: ETH, amount: parseEther("1") });
    // Its own 1 ETH justifies 1 ETH of collateral, capped by the target: the new one.
    await user.requestCollateral(ETH);
    await waitFor(() => user.getBalance(ETH).node === parseEther("0.3"), 30_000);
  }, 120_000);
});
