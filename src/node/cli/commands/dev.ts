import { randomBytes } from "node:crypto";
import { Wallet } from "ethers";
import type { Logger } from "pino";
import {
  type AddressBook,
  DEV_MNEMONIC,
  deployContracts,
  devAccount,
} from "../../../contracts-bindings";
import { readAddressBookFile, writeAddressBookFile } from "../addressBookFile";
import { type ChainConnection, checkAddressBook, connectChain } from "../chain";
import type { Command } from "../command";
import { type CliConfig, toNodeSettings } from "../config";
import { startDevAnvil } from "../devAnvil";
import { devCollateral, devFundingKey, fundFromDevAccount, mintDevTokens } from "../devChain";
import { currentDevChain, writeDevChainRecord } from "../devChainRecord";
import { freshDevDatabase, judgeDevData } from "../devData";
import { ConfigError } from "../errors";
import { addressBookPath } from "../paths";
import { serveNode } from "../serve";
import { Shutdown, unlessSignalled } from "../shutdown";
import { devWithdrawals } from "../withdrawalDefaults";

export const devCommand: Command = {
  name: "dev",
  summary: "run everything locally: anvil, the contracts, a test token and the node",
  details: [
    "Without ETH_RPC_URL, starts anvil on 127.0.0.1 (port 8545 if free) from node_modules/.bin",
    "or PATH (it is not part of this binary: `npm install @foundry-rs/anvil` or install Foundry),",
    "keeping its chain in DATA_DIR/anvil-state.json between runs.",
    "The first time, deploys the contracts and a test token with the node's key (default: anvil's",
    "account 0), mints 1,000,000 test tokens to each of anvil's ten accounts, writes",
    "DATA_DIR/address-book.json with the chain's genesis block in DATA_DIR/dev-chain.json, and",
    "starts the node. Run again on the same chain, it reuses them and the database keeps its",
    "channels; on a new chain (another genesis block) it deploys again and DATA_DIR/pglite starts",
    "afresh, saying why. With ADDRESS_BOOK (and ETH_RPC_URL), uses those contracts instead.",
    "Without ADMIN_TOKEN, makes one up for this run and prints it with the dashboard's URL.",
    'The card wallet at /wallet gets a "get test funds" button (POST /dev/fund: 1 ETH from anvil\'s',
    "account 9 and 1,000 test tokens), which `start` does not have.",
    "Stops on SIGINT or SIGTERM.",
    "",
    `anvil's accounts come from the mnemonic "${DEV_MNEMONIC}".`,
  ],
  options: {},
  async run({ config, logger, print }) {
    const shutdown = new Shutdown(logger);
    try {
      // The dashboard signs in with ADMIN_TOKEN: dev makes one up when none is set, and prints it.
      const adminToken = config.adminToken ?? randomBytes(24).toString("base64url");
      const settings = await unlessSignalled(
        shutdown,
        prepare({ ...config, adminToken }, logger, shutdown),
      );
      return await serveNode("dev", settings, {
        logger,
        print,
        shutdown,
        showAdminToken: config.adminToken === undefined,
      });
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
      "ADDRESS_BOOK: dev starts its own chain without those contracts; set ETH_RPC_URL too, or leave ADDRESS_BOOK out",
    );
  }
  let ethRpcUrl = config.ethRpcUrl;
  if (!ethRpcUrl) {
    const anvil = await startDevAnvil(config.dataDir, config.confirmations, logger);
    shutdown.add("anvil", () => anvil.stop());
    logger.info({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId }, "anvil started");
    ethRpcUrl = anvil.rpcUrl;
  }
  const ownChain = !config.ethRpcUrl;

  const chain = await connectChain(ethRpcUrl);
  try {
    const wallet = new Wallet(config.privateKey ?? devAccount(0).privateKey, chain.provider);
    if (ownChain && config.privateKey) await fundFromDevAccount(wallet);
    const addressBook = config.addressBookPath
      ? await useAddressBook(chain, config.addressBookPath)
      : await devAddressBook(chain, wallet, config, logger);
    const settings = toNodeSettings(config, {
      ethRpcUrl,
      privateKey: wallet.privateKey,
      addressBook,
      collateral: config.collateral ?? devCollateral(addressBook),
      withdrawals: config.withdrawals ?? devWithdrawals(addressBook),
    });
    // The wallet's "get test funds" (POST /dev/fund): dev alone has it, never `start`.
    return { ...settings, devFunding: { privateKey: devFundingKey(wallet.address) } };
  } finally {
    await chain.close();
  }
}

async function useAddressBook(chain: ChainConnection, path: string): Promise<AddressBook> {
  const book = await readAddressBookFile(path);
  await checkAddressBook(chain, book);
  return book;
}

/**
 * DATA_DIR's address book if it was deployed to this chain (the database then keeps its
 * channels); otherwise contracts deployed now, on a database started afresh.
 */
async function devAddressBook(
  chain: ChainConnection,
  wallet: Wallet,
  config: CliConfig,
  logger: Logger,
): Promise<AddressBook> {
  const current = await currentDevChain(chain.provider, chain.chainId);
  const verdict = await judgeDevData(chain, current, config.dataDir);
  if (verdict.kind === "same-chain") {
    logger.info(
      { addressBook: addressBookPath(config.dataDir), genesis: current.genesisHash },
      "same chain as the last run: reusing the address book and the database",
    );
    return verdict.book;
  }
  if (verdict.kind === "new-chain") await freshDevDatabase(config, verdict.reason, logger);
  const book = await deployDevContracts(wallet, config.dataDir, logger);
  // Last, once the contracts and tokens are all there: a run cut short before deploys again.
  await writeDevChainRecord(config.dataDir, current);
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
