import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEther, ZeroAddress } from "ethers";
import { ConnextClient, MemoryStore } from "../../client";
import { devAccount } from "../../contracts-bindings";
import { type Anvil, startAnvil } from "../chain/anvil";
import { CLI_FROM_SOURCE, logLines, type ServingCli, spawnServing } from "./testing";

const ADMIN_TOKEN = "dev-restart-admin-token";
const running: ServingCli[] = [];
const anvils: Anvil[] = [];

afterAll(async () => {
  for (const dev of running) if (dev.proc.exitCode === null) await dev.stop();
  for (const anvil of anvils) await anvil.stop();
});

async function dev(dataDir: string, env: Record<string, string> = {}): Promise<Served> {
  const run = await spawnServing(CLI_FROM_SOURCE, ["dev"], {
    DATA_DIR: dataDir,
    PORT: "0",
    NATS_PORT: "0",
    ADMIN_TOKEN,
    ...env,
  });
  running.push(run);
  if (run.ready === null) throw new Error(`dev did not come up:\n${run.stderr()}`);
  const nodeUrl = /(http:\/\/\S+)/.exec(run.ready)?.[1] as string;
  const anvilUrl = logLines(run.stderr()).find((line) => line.msg === "anvil started")?.rpcUrl;
  return { run, nodeUrl, ethRpcUrl: env.ETH_RPC_URL ?? String(anvilUrl) };
}

interface Served {
  run: ServingCli;
  nodeUrl: string;
  ethRpcUrl: string;
}

/** The log messages of a run that has stopped. */
async function stopped(served: Served): Promise<string[]> {
  expect(await served.run.stop()).toBe(0);
  return logLines(served.run.stderr()).map((line) => String(line.msg));
}

async function channels(nodeUrl: string): Promise<{ channelAddress: string }[]> {
  const response = await fetch(`${nodeUrl}/admin/channels`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  return (await response.json()) as { channelAddress: string }[];
}

const book = (dataDir: string) => readFileSync(join(dataDir, "address-book.json"), "utf8");
const tempDir = () => mkdtempSync(join(tmpdir(), "connext-dev-"));
const REUSED = "same chain as the last run: reusing the address book and the database";
const NEW_CHAIN = "new chain: the dev database starts afresh and the contracts are deployed again";

describe("dev with its own anvil", () => {
  test("a restart keeps the chain, the address book and the channels; a new chain starts afresh", async () => {
    const dataDir = tempDir();
    const first = await dev(dataDir);
    const store = new MemoryStore();
    const connect = (served: Served) =>
      ConnextClient.connect({
        signer: devAccount(1).privateKey,
        nodeUrl: served.nodeUrl,
        ethRpcUrl: served.ethRpcUrl,
        store,
      });
    const alice = await connect(first);
    await alice.deposit({ assetId: ZeroAddress, amount: parseEther("1") });
    const channelAddress = alice.channelAddress;
    await alice.close();
    const firstBook = book(dataDir);
    expect(await stopped(first)).toContain("contracts deployed");

    const second = await dev(dataDir);
    expect((await channels(second.nodeUrl)).map((c) => c.channelAddress)).toEqual([channelAddress]);
    const again = await connect(second);
    expect(again.channelAddress).toBe(channelAddress);
    expect(again.getBalance(ZeroAddress).user).toBe(parseEther("1"));
    await again.close();
    const messages = await stopped(second);
    expect(messages).toContain(REUSED);
    expect(messages).not.toContain("contracts deployed");
    expect(second.run.stderr()).not.toContain("background work failed");
    expect(book(dataDir)).toBe(firstBook);

    // The saved chain gone, anvil starts a new one: another genesis block.
    rmSync(join(dataDir, "anvil-state.json"));
    const third = await dev(dataDir);
    expect(await channels(third.nodeUrl)).toEqual([]);
    const log = logLines(third.run.stderr());
    await stopped(third);
    const line = log.find((entry) => entry.msg === NEW_CHAIN);
    expect(String(line?.reason)).toMatch(
      /^the chain's genesis block 0x[0-9a-f]{64} \(chain id 31337\) is not 0x[0-9a-f]{64} \(chain id 31337\), the one recorded with the address book$/,
    );
    expect(line?.cleared).toBe(join(dataDir, "pglite"));
    expect(log.map((entry) => entry.msg)).toContain("contracts deployed");
  }, 120_000);
});

describe("dev on ETH_RPC_URL", () => {
  test("a restart on the same chain deploys nothing; another chain gets its own contracts and a fresh database", async () => {
    const chainA = await startAnvil();
    anvils.push(chainA);
    const dataDir = tempDir();
    const first = await dev(dataDir, { ETH_RPC_URL: chainA.rpcUrl });
    const alice = await ConnextClient.connect({
      signer: devAccount(2).privateKey,
      nodeUrl: first.nodeUrl,
      ethRpcUrl: chainA.rpcUrl,
    });
    const channelAddress = alice.channelAddress;
    await alice.close();
    const firstBook = book(dataDir);
    expect(await stopped(first)).toContain("contracts deployed");

    const second = await dev(dataDir, { ETH_RPC_URL: chainA.rpcUrl });
    expect((await channels(second.nodeUrl)).map((c) => c.channelAddress)).toEqual([channelAddress]);
    const messages = await stopped(second);
    expect(messages).toContain(REUSED);
    expect(messages).not.toContain("contracts deployed");
    expect(book(dataDir)).toBe(firstBook);

    const chainB = await startAnvil();
    anvils.push(chainB);
    const third = await dev(dataDir, { ETH_RPC_URL: chainB.rpcUrl });
    expect(await channels(third.nodeUrl)).toEqual([]);
    const log = logLines(third.run.stderr());
    await stopped(third);
    expect(log.filter((entry) => entry.msg === NEW_CHAIN)).toHaveLength(1);
    expect(log.map((entry) => entry.msg)).toContain("contracts deployed");
  }, 120_000);
});
