import { existsSync } from "node:fs";
import { rename } from "node:fs/promises";
import type { Logger } from "pino";
import { type Anvil, AnvilError, startAnvil } from "../chain/anvil";
import { anvilMissingError } from "./anvilMissing";
import { makeDataDir } from "./dataDir";
import { DEV_ANVIL_PORT, portIsFree } from "./devChain";
import { anvilStatePath } from "./paths";

/** How often anvil writes its chain to DATA_DIR besides on exit: a killed dev loses ≤ this. */
const STATE_INTERVAL_SECONDS = 5;

/**
 * Starts `dev`'s own anvil on 127.0.0.1 (port 8545 if free), carrying on the chain it kept in
 * DATA_DIR the last time, so a restarted dev finds its contracts and channels again. A state
 * file anvil cannot load (cut short by a kill) is moved aside and a new chain starts.
 */
export async function startDevAnvil(
  dataDir: string,
  confirmations: number,
  logger: Logger,
): Promise<Anvil> {
  await makeDataDir(dataDir);
  const statePath = anvilStatePath(dataDir);
  const start = () =>
    startAnvil({
      port: portIsFree(DEV_ANVIL_PORT) ? DEV_ANVIL_PORT : undefined,
      // anvil mines only when a transaction comes: with CONFIRMATIONS above 1, a deposit would
      // wait forever for the blocks after it. A block a second keeps them coming.
      ...(confirmations > 1 ? { blockTime: 1 } : {}),
      statePath,
      stateIntervalSeconds: STATE_INTERVAL_SECONDS,
    });
  try {
    return await start();
  } catch (error) {
    if (error instanceof AnvilError && error.code === "ANVIL_NOT_FOUND") throw anvilMissingError();
    if (!(error instanceof AnvilError) || !existsSync(statePath)) throw error;
    const aside = `${statePath}.unreadable`;
    await rename(statePath, aside);
    logger.warn(
      { state: aside, reason: error.message },
      "anvil could not load its saved chain: moved it aside, starting a new chain",
    );
    return await start();
  }
}
