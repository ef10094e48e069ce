/**
 * Pays through a running node: `npm start` in one terminal, then `bun examples/pay.ts`.
 * Two of anvil's dev accounts connect, the first deposits 1 ETH and pays the second 0.1 ETH.
 *
 * It imports the client by its package name, as an application does: in this repository
 * tsconfig.json's "paths" point "connext" at src/client, elsewhere npm installs it (README).
 * NODE_URL (default http://127.0.0.1:3000) and ETH_RPC_URL (default http://127.0.0.1:8545)
 * point it elsewhere.
 */
import { ConnextClient } from "connext";
import { formatEther, HDNodeWallet, parseEther, ZeroAddress } from "ethers";

const nodeUrl = process.env.NODE_URL ?? "http://127.0.0.1:3000";
const ethRpcUrl = process.env.ETH_RPC_URL ?? "http://127.0.0.1:8545";

// anvil funds the first ten accounts of this mnemonic (m/44'/60'/0'/0/0 to /9) with 10,000 ETH,
// and `connext-node dev` mints each 1,000,000 of its test token. Account 0 is dev's node key.
const mnemonic = "test test test test test test test test test test test junk";
const devAccount = (index: number) =>
  HDNodeWallet.fromPhrase(mnemonic, undefined, `m/44'/60'/0'/0/${index}`);

const alice = await ConnextClient.connect({ signer: devAccount(1), nodeUrl, ethRpcUrl });
const bob = await ConnextClient.connect({ signer: devAccount(2), nodeUrl, ethRpcUrl });
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
