import { productionBackendMissing } from "../stack";

/**
 * Why the scale suite cannot run here (PostgreSQL or nats-server not installed), said loudly
 * once per file; undefined when it can.
 */
export function scaleSuiteMissing(file: string): string | undefined {
  const missing = productionBackendMissing();
  if (missing) console.warn(`\n!!! ${missing}\n!!! ${file} is SKIPPED.\n`);
  return missing;
}
