import { join } from "node:path";

/** Where PGlite keeps its files when DATABASE_URL is not set. */
export function pgliteDir(dataDir: string): string {
  return join(dataDir, "pglite");
}

/** Where `dev` (and `deploy` by default) writes the address book. */
export function addressBookPath(dataDir: string): string {
  return join(dataDir, "address-book.json");
}
