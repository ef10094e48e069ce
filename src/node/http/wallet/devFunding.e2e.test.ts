import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JsonRpcProvider, Wallet } from "ethers";
import { devAccount, TestToken__factory } from "../../../contracts-bindings";
import { type Anvil, startAnvil } from "../../chain/anvil";
import { CLI_FROM_SOURCE, readFirstLine } from "../../cli/testing";
import { DEV_FUNDING_ETH, DEV_FUNDING_TOKENS } from "./devFunding";

/**
 * `connext-node dev` and `start` as processes on one anvil: dev serves the wallet with its
 * "get test funds" button and POST /dev/fund, which pays from a dev account; start serves the
 * same wallet without either (the route does not exist: 404).
 */

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "connext-wallet-cli-"));
  dirs.push(dir);
  return dir;
};

async function serve(command: "dev" | "start", env: Record<string, string>) {
  const proc = Bun.spawn([...CLI_FROM_SOURCE, command], {
    env: { PATH: process.env.PATH ?? "", PORT: "0", NATS_PORT: "0", LOG_LEVEL: "warn", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const ready = await readFirstLine(proc.stdout);
  if (ready === null) throw new Error(await new Response(proc.stderr).text());
  const url = ready.match(/(http:\/\/127\.0\.0\.1:\d+)/)?.[1] as string;
  return {
    url,
    async stop() {
      proc.kill("SIGINT");
      expect(await proc.exited).toBe(0);
    },
  };
}

const fund = (url: string, address: string) =>
  fetch(`${url}/dev/fund`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ address }),
  });

describe("dev funding under dev and start", () => {
  let anvil: Anvil;
  let provider: JsonRpcProvider;

  beforeAll(async () => {
    anvil = await startAnvil();
    provider = new JsonRpcProvider(anvil.rpcUrl, anvil.chainId, { staticNetwork: true });
  });

  afterAll(async () => {
    provider?.destroy();
    await anvil?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  test("dev has POST /dev/fund and the button; start has neither", async () => {
    const dataDir = tempDir();
    const dev = await serve("dev", { ETH_RPC_URL: anvil.rpcUrl, DATA_DIR: dataDir });
    let testToken: string;
    try {
      const page = await fetch(`${dev.url}/wallet`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('data-dev-funding="on"');
      testToken = (
        (await (await fetch(`${dev.url}/config`)).json()) as {
          contractAddresses: { testToken: string };
        }
      ).contractAddresses.testToken;

      const user = Wallet.createRandom().address;
      const response = await fund(dev.url, user);
      expect(response.status).toBe(200);
      expect(await provider.getBalance(user)).toBe(DEV_FUNDING_ETH);
      const token = TestToken__factory.connect(testToken, provider);
      expect(await token.balanceOf(user)).toBe(DEV_FUNDING_TOKENS);
      // From anvil's account 9, never the node's own (account 0): its nonces stay the node's.
      const body = (await response.json()) as { eth: { transactionHash: string } };
      const sent = await provider.getTransaction(body.eth.transactionHash);
      expect(sent?.from).toBe(devAccount(9).address);
    } finally {
      await dev.stop();
    }

    const start = await serve("start", {
      ETH_RPC_URL: anvil.rpcUrl,
      NODE_PRIVATE_KEY: devAccount(0).privateKey,
      ADDRESS_BOOK: join(dataDir, "address-book.json"),
      DATA_DIR: tempDir(),
    });
    try {
      const page = await fetch(`${start.url}/wallet`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('data-dev-funding="off"');
      const user = Wallet.createRandom().address;
      const response = await fund(start.url, user);
      expect(response.status).toBe(404);
      expect(((await response.json()) as { code: string }).code).toBe("NOT_FOUND");
      expect(await provider.getBalance(user)).toBe(0n);
    } finally {
      await start.stop();
    }
  }, 120_000);
});
