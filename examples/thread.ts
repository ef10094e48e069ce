/**
 * A payment thread through a running node: `npm start` in one terminal, then
 * `bun examples/thread.ts`. Two of anvil's dev accounts connect; the first deposits 0.1 ETH,
 * opens a thread of 0.01 ETH to the second, pays it 1,000 vouchers of 0.000001 ETH straight
 * over NATS (the node is not on the path), and the payee closes it: both channels show the
 * result.
 *
 * It imports the client by its package name, as an application does (see examples/pay.ts).
 * NODE_URL (default http://127.0.0.1:3000) and ETH_RPC_URL (default http://127.0.0.1:8545)
 * point it elsewhere.
 */
import { ConnextClient } from "connext";
import { formatEther, HDNodeWallet, parseEther, ZeroAddress } from "ethers";

const nodeUrl = process.env.NODE_URL ?? "http://127.0.0.1:3000";
const ethRpcUrl = process.env.ETH_RPC_URL ?? "http://127.0.0.1:8545";
const mnemonic = "test test test test test test test test test test test junk";
const devAccount = (index: number) =>
  HDNodeWallet.fromPhrase(mnemonic, undefined, `m/44'/60'/0'/0/${index}`);

const payer = await ConnextClient.connect({ signer: devAccount(3), nodeUrl, ethRpcUrl });
const payee = await ConnextClient.connect({ signer: devAccount(4), nodeUrl, ethRpcUrl });
const opened = new Promise<void>((resolve) => payee.on("thread.opened", () => resolve()));

await payer.deposit({ assetId: ZeroAddress, amount: parseEther("0.1") });
const thread = await payer.openThread({
  counterparty: payee.identifier,
  assetId: ZeroAddress,
  amount: parseEther("0.01"),
});
await opened;

const started = performance.now();
for (let i = 0; i < 1_000; i++) await thread.pay(parseEther("0.000001"));
const seconds = (performance.now() - started) / 1000;
console.log(`1,000 vouchers in ${seconds.toFixed(2)} s: ${formatEther(thread.paid)} ETH paid`);

// The payee closes; the node then resolves the payer's lock with the same voucher.
const settled = new Promise<void>((resolve) => payer.on("thread.closed", () => resolve()));
const [received] = payee.getThreads();
if (!received) throw new Error("the payee holds no thread");
const { paid } = await received.close();
await settled;
console.log(`closed by the payee: ${formatEther(paid)} ETH`);
console.log("payer's channel:", formatEther(payer.getBalance(ZeroAddress).user), "ETH");
console.log("payee's channel:", formatEther(payee.getBalance(ZeroAddress).user), "ETH");
await payer.close();
await payee.close();
