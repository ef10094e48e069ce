import { join } from "node:path";

/** Where PGlite keeps its files when DATABASE_URL is not set. */
export function pgliteDir(dataDir: string): string {
  return join(dataDir, "pglite");
}

/** Where `dev` (and `deploy` by default) writes the address book. */
export function addressBookPath(dataDir: string): string {
  return join(dataDir, "address-book.json");
}

/** Which chain `dev` deployed DATA_DIR's address book to (its genesis block), see devData.ts. */
export function devChainRecordPath(dataDir: string): string {
  return join(dataDir, "dev-chain.json");
}

/** `dev`'s own anvil keeps its chain here between runs (anvil's `--state`). */
export function anvilStatePath(dataDir: string): string {
  return join(dataDir, "anvil-state.json");
}
