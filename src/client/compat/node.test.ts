import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFile, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEther } from "ethers";
import { devAccount } from "../../contracts-bindings";
import { nodeChannel } from "../../e2e/expectations";
import { type Stack, startStack } from "../../e2e/stack";
import { installBuiltClient } from "./package";

/**
 * The built package under real Node (package.json "engines": node >= 20): a script imports
 * "connext" and "connext/server" by name from a node_modules laid out as npm would, and pays
 * through a real node on anvil, over NATS on TCP.
 */
const NODE = Bun.which("node");
const nodeMajor = NODE ? Number(run([NODE, "--version"]).replace(/^v/, "").split(".")[0]) : 0;
if (!NODE || nodeMajor < 20) {
  console.warn(
    `\n  SKIPPED: the client-on-Node tests need Node.js >= 20 as \`node\` on PATH (found ${
      NODE ? `v${nodeMajor}` : "none"
    }); install Debian's \`nodejs\` or Node 20+.\n`,
  );
}

describe.skipIf(!NODE || nodeMajor < 20)("the built client under Node", () => {
  let dir: string;
  let stack: Stack;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "connext-node-compat-"));
    [stack] = await Promise.all([startStack(), installBuiltClient(dir)]);
    await copyFile(join(import.meta.dir, "fixtures/pay.mjs"), join(dir, "pay.mjs"));
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("two clients connect, one deposits and pays the other", async () => {
    const deposit = parseEther("0.5");
    const amount = parseEther("0.1");
    const storeDir = join(dir, "store");
    const child = Bun.spawn([NODE as string, "pay.mjs"], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? "",
        NODE_URL: stack.node.httpUrl,
        ETH_RPC_URL: stack.anvil.rpcUrl,
        PAYER_KEY: devAccount(1).privateKey,
        PAYEE_KEY: devAccount(2).privateKey,
        STORE_DIR: storeDir,
        DEPOSIT: deposit.toString(),
        AMOUNT: amount.toString(),
      },
      stdout: "pipe",
      stderr: "pipe",
    });
    // It must end by itself once both clients are closed: nothing may keep Node's loop alive.
    const killer = setTimeout(() => child.kill(), 40_000);
    const [stdout, stderr, code] = await Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
      child.exited,
    ]);
    const exitedAt = Date.now();
    clearTimeout(killer);
    const outcome = `exit ${code}${child.signalCode ? ` (${child.signalCode})` : ""}`;
    if (code !== 0) throw new Error(`node pay.mjs: ${outcome}\n${stdout}\n${stderr}`);
    const result = JSON.parse(stdout.trim().split("\n").at(-1) as string);
    const lingered = exitedAt - result.closedAt;
    console.log(
      `node pay.mjs under ${result.node}: ${JSON.stringify(result.timings)} ms, exit ${lingered} ms after close()`,
    );
    // Nothing the clients leave behind may keep Node's loop alive (a loaded machine may take
    // a while to exit all the same).
    expect(lingered).toBeLessThan(5_000);

    expect(result.node).toStartWith(`v${nodeMajor}.`);
    expect(result.status).toBe("completed");
    expect(result.payer.address).toBe(devAccount(1).address);
    expect(result.payee.address).toBe(devAccount(2).address);
    expect(BigInt(result.payer.balance.user)).toBe(deposit - amount);
    expect(BigInt(result.payer.balance.node)).toBe(amount);
    expect(BigInt(result.payee.balance.user)).toBe(amount);
    // The deposit is on chain, and the node holds the same latest states as the clients.
    expect(await stack.provider.getBalance(result.payer.channelAddress)).toBe(deposit);
    expect((await nodeChannel(stack, 1)).nonce).toBe(result.payer.nonce);
    expect((await nodeChannel(stack, 2)).nonce).toBe(result.payee.nonce);
    // "connext/server" loads in Node: FileStore kept the payer's channel, SqliteStore says why not.
    expect((await readdir(storeDir)).length).toBeGreaterThan(0);
    expect(result.sqlite).toContain("SqliteStore needs Bun");
  }, 60_000);

  test("the declarations type-check a consumer resolving with nodenext", async () => {
    await writeFile(
      join(dir, "consumer.ts"),
      `import { ConnextClient, type ConnectOptions, MemoryStore } from "connext";
import { FileStore } from "connext/server";
const options: ConnectOptions = { signer: "0x01", nodeUrl: "", ethRpcUrl: "", store: new FileStore("x") };
export async function pay(): Promise<"completed" | "pending" | "cancelled" | "failed"> {
  const client = await ConnextClient.connect({ ...options, store: new MemoryStore() });
  const balance: { user: bigint; node: bigint } = client.getBalance("0x");
  const { status } = await client.transfer({ recipient: "0x", assetId: "0x", amount: balance.user });
  return status;
}
// @ts-expect-error amounts are bigints
export const wrong = (client: ConnextClient) => client.deposit({ assetId: "0x", amount: 1 });
`,
    );
    await writeFile(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          module: "nodenext",
          moduleResolution: "nodenext",
          target: "ES2022",
          lib: ["ES2022", "DOM"],
          types: [],
          strict: true,
          noEmit: true,
          skipLibCheck: true,
        },
        files: ["consumer.ts"],
      }),
    );
    await writeFile(join(dir, "package.json"), JSON.stringify({ type: "module" }));
    const tsc = join(import.meta.dir, "../../../node_modules/.bin/tsc");
    const output = run([tsc, "-p", dir], { allowFailure: true });
    expect(output).toBe("");
  });
});

function run(command: string[], { allowFailure = false } = {}): string {
  const result = Bun.spawnSync(command, { stdout: "pipe", stderr: "pipe" });
  const output = `${result.stdout.toString()}${result.stderr.toString()}`.trim();
  if (!allowFailure && result.exitCode !== 0) throw new Error(`${command.join(" ")}: ${output}`);
  return output;
}
