import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEther } from "ethers";
import { CLIENT_NODE_ENGINES } from "../../../scripts/client-package";
import { devAccount } from "../../contracts-bindings";
import { nodeChannel } from "../../e2e/expectations";
import { type Stack, startStack } from "../../e2e/stack";
import { type InstalledClient, installedTree, installPackedClient } from "./package";

/**
 * The built package under real Node, as an application gets it: `npm pack` of dist/client
 * installed with `npm install` into an empty folder, whose script imports "connext" and
 * "connext/server" by name and pays through a real node on anvil, over NATS on TCP.
 */
const NODE = Bun.which("node");
const NPM = Bun.which("npm");
const nodeVersion = NODE ? run([NODE, "--version"]).replace(/^v/, "") : undefined;
const supported =
  nodeVersion !== undefined && Bun.semver.satisfies(nodeVersion, CLIENT_NODE_ENGINES);
if (!supported || !NPM) {
  console.warn(
    `\n  SKIPPED: the client-on-Node tests need Node.js ${CLIENT_NODE_ENGINES} as \`node\` and npm on PATH (found Node ${
      nodeVersion ?? "none"
    }, ${NPM ? "npm" : "no npm"}); install Debian's \`nodejs\` and \`npm\`, or Node 20.19+.\n`,
  );
}

const repository = join(import.meta.dir, "../../..");

describe.skipIf(!supported || !NPM)("the built client under Node", () => {
  let dir: string;
  let app: string;
  let installed: InstalledClient;
  let stack: Stack;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "connext-node-compat-"));
    app = join(dir, "app");
    [stack, installed] = await Promise.all([startStack(), installPackedClient(dir)]);
    await copyFile(join(import.meta.dir, "fixtures/pay.mjs"), join(app, "pay.mjs"));
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("the package depends on what it imports, and nothing of the node comes with it", async () => {
    const manifest = JSON.parse(
      await readFile(join(installed.build.outdir, "package.json"), "utf8"),
    );
    const declared = Object.keys(manifest.dependencies).sort();
    expect(declared).toEqual(await importedPackages(installed.build.outdir));
    expect(manifest.engines.node).toBe(CLIENT_NODE_ENGINES);

    // The node's dependencies, and the NATS clients the package bundles, must not be installed.
    const own = JSON.parse(await readFile(join(repository, "package.json"), "utf8"));
    const notTheClients = Object.keys(own.dependencies).filter((name) => !declared.includes(name));
    expect(notTheClients).toEqual(
      expect.arrayContaining(["@electric-sql/pglite", "postgres", "hono"]),
    );
    const tree = await installedTree(join(app, "node_modules"));
    console.log(
      `npm install ${installed.tarball.split("/").at(-1)}: node_modules ${(tree.bytes / 1e6).toFixed(1)} MB, ${
        tree.packages.length
      } packages (${tree.packages.join(", ")})`,
    );
    expect(tree.packages).toContain("connext");
    for (const name of declared) expect(tree.packages).toContain(name);
    expect(tree.packages.filter((name) => notTheClients.includes(name))).toEqual([]);
    for (const name of ["pino", "drizzle-orm", "prom-client", "@nats-io/nuid"]) {
      expect(tree.packages).not.toContain(name);
    }
    // ethers (19 MB of it) and zod (8 MB) are most of it; the node's packages made it 100 MB.
    expect(tree.bytes).toBeLessThan(50e6);
    // Every package installed accepts this Node: npm printed no engine warning.
    expect(installed.npmOutput).not.toContain("EBADENGINE");
  });

  test("two clients connect, one deposits and pays the other", async () => {
    const deposit = parseEther("0.5");
    const amount = parseEther("0.1");
    const storeDir = join(app, "store");
    const child = Bun.spawn([NODE as string, "pay.mjs"], {
      cwd: app,
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

    expect(result.node).toBe(`v${nodeVersion}`);
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
    // Its ethers is the one npm installed for the package, as an application's would be.
    await writeFile(
      join(app, "consumer.ts"),
      `import { HDNodeWallet, VoidSigner, Wallet } from "ethers";
import { ConnextClient, type ConnectOptions, MemoryStore } from "connext";
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
// Any ethers wallet holding its private key signs: a Wallet, or one derived from a mnemonic.
const mnemonic = "test test test test test test test test test test test junk";
export const fromMnemonic = () =>
  ConnextClient.connect({ ...options, signer: HDNodeWallet.fromPhrase(mnemonic) });
export const fromWallet = () => ConnextClient.connect({ ...options, signer: Wallet.createRandom() });
export const fromKey = () => ConnextClient.connect({ ...options, signer: new Wallet("0x01") });
// @ts-expect-error a signer without its private key cannot sign the channel's states
export const keyless = () => ConnextClient.connect({ ...options, signer: new VoidSigner("0x") });
`,
    );
    await writeFile(
      join(app, "tsconfig.json"),
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
    const tsc = join(repository, "node_modules/.bin/tsc");
    const output = run([tsc, "-p", app], { allowFailure: true });
    expect(output).toBe("");
  });
});

/** The packages the Node bundles import (static and dynamic imports, node: and bun: aside). */
async function importedPackages(outdir: string): Promise<string[]> {
  const files = (await readdir(outdir, { recursive: true })).filter((file) => file.endsWith(".js"));
  const names = new Set<string>();
  for (const file of files) {
    if (file === "browser.js") continue;
    const code = await readFile(join(outdir, file), "utf8");
    const specifiers = [
      ...code.matchAll(/^(?:import|export)\s[^;]*?\bfrom\s*"([^"]+)"/gm),
      ...code.matchAll(/^import\s*"([^"]+)"/gm),
      ...code.matchAll(/\bimport\(\s*"([^"]+)"\s*\)/g),
    ].map((match) => match[1] as string);
    for (const specifier of specifiers) {
      if (specifier.startsWith(".") || /^(?:node|bun):/.test(specifier)) continue;
      const parts = specifier.split("/");
      names.add((specifier.startsWith("@") ? parts.slice(0, 2) : parts.slice(0, 1)).join("/"));
    }
  }
  return [...names].sort();
}

function run(command: string[], { allowFailure = false } = {}): string {
  const result = Bun.spawnSync(command, { stdout: "pipe", stderr: "pipe" });
  const output = `${result.stdout.toString()}${result.stderr.toString()}`.trim();
  if (!allowFailure && result.exitCode !== 0) throw new Error(`${command.join(" ")}: ${output}`);
  return output;
}
