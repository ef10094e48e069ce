import { type Provider, Wallet } from "ethers";
import { ConnextClient } from "../client";
import { devAccount } from "../contracts-bindings";
import { COMPLETION_TIMEOUT_MS } from "./driver";

/** A user of the benchmark: its key, and where it came from (a dev index, or fresh). */
export interface BenchAccount {
  privateKey: string;
  address: string;
  label: string;
}

/** anvil's funded dev accounts 1..9 (0 is the node's key). */
export function devAccounts(): BenchAccount[] {
  return Array.from({ length: 9 }, (_, i) => {
    const wallet = devAccount(i + 1);
    return { privateKey: wallet.privateKey, address: wallet.address, label: `dev ${i + 1}` };
  });
}

/**
 * `count` fresh accounts, each sent `value` wei by dev account `funderIndex`, one mined
 * transaction after another (one sender: no nonce races).
 */
export async function freshAccounts(
  provider: Provider,
  count: number,
  value: bigint,
  funderIndex: number,
): Promise<BenchAccount[]> {
  const funder = devAccount(funderIndex, provider);
  const accounts: BenchAccount[] = [];
  for (let i = 0; i < count; i++) {
    const wallet = Wallet.createRandom();
    await (await funder.sendTransaction({ to: wallet.address, value })).wait();
    accounts.push({
      privateKey: wallet.privateKey,
      address: wallet.address,
      label: `fresh ${i + 1}`,
    });
  }
  return accounts;
}

/** A client for any key on a node (`stack.client` only takes dev indexes). */
export function connectAccount(
  urls: { nodeUrl: string; ethRpcUrl: string },
  account: BenchAccount,
): Promise<ConnextClient> {
  return ConnextClient.connect({
    signer: account.privateKey,
    nodeUrl: urls.nodeUrl,
    ethRpcUrl: urls.ethRpcUrl,
    completionTimeoutMs: COMPLETION_TIMEOUT_MS,
  });
}
