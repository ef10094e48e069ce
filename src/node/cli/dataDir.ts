import { mkdir } from "node:fs/promises";
import { ConfigError } from "./errors";
import { describeCause } from "./failureCause";

/** Creates DATA_DIR (and the folders above it); a failure is one line naming DATA_DIR. */
export async function makeDataDir(dataDir: string): Promise<void> {
  try {
    await mkdir(dataDir, { recursive: true });
  } catch (error) {
    const cause = describeCause(error);
    throw new ConfigError(
      "UNUSABLE_SETTING",
      "DATA_DIR",
      `DATA_DIR: cannot create ${dataDir} (${cause.text})`,
    );
  }
}
