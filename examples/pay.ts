/**
 * Pays through a running node: `npm start` in one terminal, then `bun examples/pay.ts`.
 * Two of anvil's dev accounts connect, the first deposits 1 ETH and pays the second 0.1 ETH.
 *
 * NODE_URL (default http://127.0.0.1:3000) and ETH_RPC_URL (default http://127.0.0.1:8545)
 * point it elsewhere.
 */
import { formatEther, parseEther, ZeroAddress } from "ethers";
import { ConnextClient } from "../src/client";
import { devAccount } from "../src/contracts-bindings";

const nodeUrl = process.env.NODE_URL ?? "http://127.0.0.1:3000";
const ethRpcUrl = process.env.ETH_RPC_URL ?? "http://127.0.0.1:8545";

const alice = await ConnextClient.connect({ signer: devAccount(1).privateKey, nodeUrl, ethRpcUrl });
const bob = await ConnextClient.connect({ signer: devAccount(2).privateKey, nodeUrl, ethRpcUrl });
bob.on("transfer.received", ({ amount }) => console.log(`bob received ${formatEther(amount)} ETH`));

await alice.deposit({ assetId: ZeroAddress, amount: parseEther("1") });
const payment = await alice.transfer({
  recipient: bob.identifier,
  assetId: ZeroAddress,
  amount: parseEther("0.1"),
});
console.log(`payment ${payment.paymentId}: ${payment.status}`);
console.log("alice's channel:", formatEther(alice.getBalance(ZeroAddress).user), "ETH");
console.log("bob's channel:  ", formatEther(bob.getBalance(ZeroAddress).user), "ETH");
await alice.close();
await bob.close();
