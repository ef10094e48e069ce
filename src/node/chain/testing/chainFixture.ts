import { JsonRpcProvider } from "ethers";
import pino, { type Logger } from "pino";
import { type AddressBook, deployContracts, devAccount } from "../../../contracts-bindings";
import { type Database, openDatabase } from "../../store/database";
import { type Anvil, type StartAnvilOptions, startAnvil } from "../anvil";

/** One test file's chain: anvil, a provider, the contracts and an in-memory database. */
export interface ChainFixture {
  anvil: Anvil;
  provider: JsonRpcProvider;
  book: AddressBook;
  database: Database;
  close(): Promise<void>;
}

/** A provider that never serves a stale read: tests read right after each transaction. */
export function testProvider(rpcUrl: string, chainId: number): JsonRpcProvider {
  return new JsonRpcProvider(rpcUrl, chainId, {
    staticNetwork: true,
    cacheTimeout: -1,
    pollingInterval: 50,
  });
}

export async function startChainFixture(options: StartAnvilOptions = {}): Promise<ChainFixture> {
  const anvil = await startAnvil(options);
  const provider = testProvider(anvil.rpcUrl, anvil.chainId);
  const book = await deployContracts(devAccount(0, provider), { testToken: true });
  const database = await openDatabase();
  return {
    anvil,
    provider,
    book,
    database,
    async close() {
      provider.destroy();
      await database.close();
      await anvil.stop();
    },
  };
}

/** Log lines kept in memory, so tests can assert what was logged. */
export function memoryLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino(
    { level: process.env.TEST_LOG_LEVEL ?? "debug" },
    { write: (line: string) => lines.push(JSON.parse(line)) },
  );
  return { logger, lines };
}
