import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { Wallet } from "ethers";
import type { Logger } from "pino";
import {
  type AddressBook,
  DEV_MNEMONIC,
  deployContracts,
  devAccount,
} from "../../../contracts-bindings";
import { startAnvil } from "../../chain/anvil";
import { readAddressBookFile, writeAddressBookFile } from "../addressBookFile";
import { type ChainConnection, checkAddressBook, connectChain } from "../chain";
import type { Command } from "../command";
import { type CliConfig, toNodeSettings } from "../config";
import {
  DEV_ANVIL_PORT,
  devCollateral,
  fundFromDevAccount,
  mintDevTokens,
  portIsFree,
} from "../devChain";
import { ConfigError } from "../errors";
import { addressBookPath, pgliteDir } from "../paths";
import { serveNode } from "../serve";
import { Shutdown, unlessSignalled } from "../shutdown";
import { devWithdrawals } from "../withdrawalDefaults";

export const devCommand: Command = {
  name: "dev",
  summary: "run everything locally: anvil, the contracts, a test token and the node",
  details: [
    "Without ETH_RPC_URL, starts anvil on 127.0.0.1 (port 8545 if free) from node_modules/.bin",
    "or PATH (it is not part of this binary: `npm install @foundry-rs/anvil` or install Foundry).",
    "A fresh chain each run means a fresh database too: DATA_DIR/pglite is cleared first.",
    "Deploys the contracts and a test token with the node's key (default: anvil's account 0),",
    "mints 1,000,000 test tokens to each of anvil's ten accounts, writes",
    "DATA_DIR/address-book.json and starts the node. With ADDRESS_BOOK (and ETH_RPC_URL), uses",
    "those contracts instead of deploying. Stops on SIGINT or SIGTERM.",
    "",
    `anvil's accounts come from the mnemonic "${DEV_MNEMONIC}".`,
  ],
  options: {},
  async run({ config, logger, print }) {
    const shutdown = new Shutdown(logger);
    try {
      const settings = await unlessSignalled(shutdown, prepare(config, logger, shutdown));
      return await serveNode("dev", settings, { logger, print, shutdown });
    } finally {
      await shutdown.stopAll();
      shutdown.dispose();
    }
  },
};

/** The chain, key, contracts and database dev runs the node with. */
async function prepare(config: CliConfig, logger: Logger, shutdown: Shutdown) {
  if (config.addressBookPath && !config.ethRpcUrl) {
    throw new ConfigError(
      "WRONG_CHAIN",
      "ADDRESS_BOOK",
      "ADDRESS_BOOK: dev starts a fresh chain without those contracts; set ETH_RPC_URL too, or leave ADDRESS_BOOK out",
    );
  }
  let ethRpcUrl = config.ethRpcUrl;
  if (!ethRpcUrl) {
    const anvil = await startAnvil({
      port: portIsFree(DEV_ANVIL_PORT) ? DEV_ANVIL_PORT : undefined,
      // anvil mines only when a transaction comes: with CONFIRMATIONS above 1, a deposit would
      // wait forever for the blocks after it. A block a second keeps them coming.
      ...(config.confirmations > 1 ? { blockTime: 1 } : {}),
    });
    shutdown.add("anvil", () => anvil.stop());
    logger.info({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId }, "anvil started");
    ethRpcUrl = anvil.rpcUrl;
    if (!config.databaseUrl) await resetDevDatabase(config.dataDir, logger);
  }
  const freshChain = !config.ethRpcUrl;

  const chain = await connectChain(ethRpcUrl);
  try {
    const wallet = new Wallet(config.privateKey ?? devAccount(0).privateKey, chain.provider);
    if (freshChain && config.privateKey) await fundFromDevAccount(wallet);
    const addressBook = config.addressBookPath
      ? await useAddressBook(chain, config.addressBookPath)
      : await deployDevContracts(wallet, config.dataDir, logger);
    return toNodeSettings(config, {
      ethRpcUrl,
      privateKey: wallet.privateKey,
      addressBook,
      collateral: config.collateral ?? devCollateral(addressBook),
      withdrawals: config.withdrawals ?? devWithdrawals(addressBook),
    });
  } finally {
    await chain.close();
  }
}

async function useAddressBook(chain: ChainConnection, path: string): Promise<AddressBook> {
  const book = await readAddressBookFile(path);
  await checkAddressBook(chain, book);
  return book;
}

async function deployDevContracts(
  wallet: Wallet,
  dataDir: string,
  logger: Logger,
): Promise<AddressBook> {
  const book = await deployContracts(wallet, { testToken: true });
  const path = await writeAddressBookFile(addressBookPath(dataDir), book);
  logger.info({ addressBook: path, ...book }, "contracts deployed");
  if (book.testToken) {
    const holders = await mintDevTokens(wallet, book.testToken, [wallet.address]);
    logger.info(
      { token: book.testToken, holders: holders.length },
      "test tokens minted to the dev accounts",
    );
  }
  return book;
}

/** Channels stored against an earlier anvil run name deposits the new chain never saw. */
async function resetDevDatabase(dataDir: string, logger: Logger): Promise<void> {
  const dir = pgliteDir(dataDir);
  if (!existsSync(dir)) return;
  await rm(dir, { recursive: true, force: true });
  logger.info({ dir }, "fresh chain: cleared the dev database");
}
