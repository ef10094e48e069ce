import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import type { Logger } from "pino";
import type { AddressBook } from "../../contracts-bindings";
import { readAddressBookFile } from "./addressBookFile";
import { type ChainConnection, checkAddressBook } from "./chain";
import type { DevChainRecord } from "./devChainRecord";
import { readDevChainRecord } from "./devChainRecord";
import { isCliError } from "./errors";
import { addressBookPath, devChainRecordPath, pgliteDir } from "./paths";

/**
 * Whether DATA_DIR belongs to the chain `dev` runs on:
 * - `same-chain`: the address book was deployed to this very chain (same genesis block) and its
 *   contracts are there, so it is used again and the database keeps its channels;
 * - `new-chain`: DATA_DIR holds data of another chain (or of one it cannot tell), whose channels
 *   name contracts and deposits this chain never saw; `reason` says which;
 * - `empty`: nothing of an earlier run.
 */
export type DevDataVerdict =
  | { kind: "same-chain"; book: AddressBook }
  | { kind: "new-chain"; reason: string }
  | { kind: "empty" };

export async function judgeDevData(
  chain: ChainConnection,
  current: DevChainRecord,
  dataDir: string,
): Promise<DevDataVerdict> {
  const record = await readDevChainRecord(dataDir);
  const bookPath = addressBookPath(dataDir);
  const hasData =
    record !== undefined ||
    existsSync(bookPath) ||
    existsSync(pgliteDir(dataDir)) ||
    existsSync(devChainRecordPath(dataDir));
  if (!hasData) return { kind: "empty" };
  if (!record) {
    return { kind: "new-chain", reason: "no record of the chain DATA_DIR's data was for" };
  }
  if (record.chainId !== current.chainId || record.genesisHash !== current.genesisHash) {
    return {
      kind: "new-chain",
      reason: `the chain's genesis block ${current.genesisHash} (chain id ${current.chainId}) is not ${record.genesisHash} (chain id ${record.chainId}), the one recorded with the address book`,
    };
  }
  try {
    const book = await readAddressBookFile(bookPath);
    await checkAddressBook(chain, book);
    return { kind: "same-chain", book };
  } catch (error) {
    if (!isCliError(error)) throw error;
    // Same genesis, but the contracts are not all there: an anvil reloaded from an older state.
    return { kind: "new-chain", reason: error.message };
  }
}

/**
 * Starts DATA_DIR's dev database afresh for a new chain, with one log line saying why. Only
 * PGlite in DATA_DIR is dev's own to delete; a DATABASE_URL is left alone, with a warning.
 */
export async function freshDevDatabase(
  target: { dataDir: string; databaseUrl?: string },
  reason: string,
  logger: Logger,
): Promise<void> {
  if (target.databaseUrl) {
    logger.warn(
      { reason },
      "new chain: DATABASE_URL still holds the earlier chain's channels (dev clears only its own PGlite); use a fresh database",
    );
    return;
  }
  const dir = pgliteDir(target.dataDir);
  const existed = existsSync(dir);
  await rm(dir, { recursive: true, force: true });
  logger.info(
    { reason, ...(existed ? { cleared: dir } : {}) },
    "new chain: the dev database starts afresh and the contracts are deployed again",
  );
}
