import { type BaseWallet, parseEther, parseUnits, type Signer, ZeroAddress } from "ethers";
import { type AddressBook, devAccount } from "../../contracts-bindings";
import { mintDevTokens as mintTokens } from "../chain/devFunding";
import type { CollateralPolicy } from "../settings";

/** anvil's default port, used when it is free so wallets configured for it just work. */
export const DEV_ANVIL_PORT = 8545;

/** Test tokens minted to each of anvil's ten standard accounts. */
export const DEV_TOKEN_GRANT = parseUnits("1000000", 18);

/** dev's collateral when COLLATERAL is not set: ETH 1 / 5 ETH, test token 1000 / 5000. */
export function devCollateral(book: AddressBook): Record<string, CollateralPolicy> {
  const collateral: Record<string, CollateralPolicy> = {
    [ZeroAddress]: { target: parseEther("1"), reclaimThreshold: parseEther("5") },
  };
  if (book.testToken) {
    collateral[book.testToken.toLowerCase()] = {
      target: parseUnits("1000", 18),
      reclaimThreshold: parseUnits("5000", 18),
    };
  }
  return collateral;
}

/** Whether nothing listens on 127.0.0.1:`port` right now. */
export function portIsFree(port: number): boolean {
  try {
    const listener = Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } });
    listener.stop(true);
    return true;
  } catch {
    return false;
  }
}

/**
 * Mints the test token to anvil's ten standard accounts and to `extra` (the node, when its
 * key is not one of them), one mined transaction after another.
 */
export async function mintDevTokens(
  signer: Signer,
  token: string,
  extra: string[] = [],
): Promise<string[]> {
  const holders = Array.from({ length: 10 }, (_, index) => devAccount(index).address);
  for (const address of extra) if (!holders.includes(address)) holders.push(address);
  await mintTokens({
    testToken: token,
    minter: signer,
    recipients: holders,
    amount: DEV_TOKEN_GRANT,
  });
  return holders;
}

/** Gives a configured node key on a fresh anvil chain some ETH from dev account 0. */
export async function fundFromDevAccount(
  wallet: BaseWallet,
  amount = parseEther("100"),
): Promise<void> {
  const provider = wallet.provider;
  if (!provider) throw new Error("fundFromDevAccount: the wallet has no provider");
  if ((await provider.getBalance(wallet.address)) >= amount) return;
  const funder = devAccount(0, provider);
  await (await funder.sendTransaction({ to: wallet.address, value: amount })).wait();
}

/**
 * The dev account the wallet's test funds come from: anvil's account 9, or 8 when 9 is the
 * node's own key (the node keeps its own nonces, so it must not share its account).
 */
export function devFundingKey(nodeAddress: string): string {
  const account = devAccount(9);
  return account.address === nodeAddress ? devAccount(8).privateKey : account.privateKey;
}
