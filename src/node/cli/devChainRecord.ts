import { readFile, rename, writeFile } from "node:fs/promises";
import type { Provider } from "ethers";
import { z } from "zod";
import { ConfigError } from "./errors";
import { devChainRecordPath } from "./paths";

/**
 * What `dev` remembers about the chain it deployed DATA_DIR's address book to. The chain id
 * alone cannot tell one anvil run from the next (both are 31337); the genesis block's hash
 * can: a fresh anvil's genesis carries its start time, a reloaded one keeps its own.
 */
export interface DevChainRecord {
  chainId: number;
  genesisHash: string;
}

const recordSchema = z.object({
  chainId: z.number().int().positive(),
  genesisHash: z.string().regex(/^0x[0-9a-f]{64}$/i),
});

/** The record in `dataDir`; undefined when there is none or it is not one (both: unknown chain). */
export async function readDevChainRecord(dataDir: string): Promise<DevChainRecord | undefined> {
  let text: string;
  try {
    text = await readFile(devChainRecordPath(dataDir), "utf8");
  } catch {
    return undefined;
  }
  try {
    return recordSchema.parse(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** Writes the record whole (a temporary file renamed over it), so a kill leaves the old or the new. */
export async function writeDevChainRecord(dataDir: string, record: DevChainRecord): Promise<void> {
  const path = devChainRecordPath(dataDir);
  await writeFile(`${path}.tmp`, `${JSON.stringify(record, null, 2)}\n`);
  await rename(`${path}.tmp`, path);
}

/** The chain's identity as `dev` records it: its id and its genesis block's hash. */
export async function currentDevChain(
  provider: Provider,
  chainId: number,
): Promise<DevChainRecord> {
  const genesis = await provider.getBlock(0);
  if (!genesis?.hash) {
    throw new ConfigError(
      "WRONG_CHAIN",
      "ETH_RPC_URL",
      "ETH_RPC_URL: the chain has no block 0, which dev tells one chain from another by",
    );
  }
  return { chainId, genesisHash: genesis.hash };
}
