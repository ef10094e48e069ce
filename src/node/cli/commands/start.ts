import { MaxUint256, Wallet, ZeroAddress } from "ethers";
import { readAddressBookFile } from "../addressBookFile";
import { checkAddressBook, connectChain } from "../chain";
import type { Command } from "../command";
import { requireSetting, toNodeSettings } from "../config";
import { serveNode } from "../serve";
import { Shutdown, unlessSignalled } from "../shutdown";

/** Without COLLATERAL: the native coin, topped up by exactly what each payment needs. */
const NATIVE_ONLY = { [ZeroAddress]: { target: 0n, reclaimThreshold: MaxUint256 } };

export const startCommand: Command = {
  name: "start",
  summary: "run the node against a real chain (ETH_RPC_URL, a key and ADDRESS_BOOK)",
  details: [
    "Checks that ETH_RPC_URL answers on the address book's chain and that its contracts are",
    "there, migrates the database, then serves until SIGINT or SIGTERM. Without COLLATERAL the",
    "node carries the chain's native coin only, depositing into a payee's channel just what a",
    "payment needs; only what lies idle (COLLATERAL_IDLE_SECONDS) is reclaimed.",
  ],
  options: {},
  async run({ config, logger, print }) {
    const ethRpcUrl = requireSetting(config, "ethRpcUrl", "start");
    const privateKey = requireSetting(config, "privateKey", "start");
    const bookPath = requireSetting(config, "addressBookPath", "start");
    const shutdown = new Shutdown(logger);
    try {
      const settings = await unlessSignalled(
        shutdown,
        (async () => {
          const addressBook = await readAddressBookFile(bookPath);
          const chain = await connectChain(ethRpcUrl);
          try {
            await checkAddressBook(chain, addressBook);
          } finally {
            await chain.close();
          }
          if (!config.collateral) {
            logger.warn("COLLATERAL is not set: native coin only, collateral just in time");
          }
          logger.info(
            { identifier: new Wallet(privateKey).address, chainId: addressBook.chainId },
            "starting",
          );
          return toNodeSettings(config, {
            ethRpcUrl,
            privateKey,
            addressBook,
            collateral: config.collateral ?? NATIVE_ONLY,
          });
        })(),
      );
      return await serveNode("start", settings, { logger, print, shutdown });
    } finally {
      await shutdown.stopAll();
      shutdown.dispose();
    }
  },
};
