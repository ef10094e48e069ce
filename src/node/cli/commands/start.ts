import { MaxUint256, Wallet, ZeroAddress } from "ethers";
import { readAddressBookFile } from "../addressBookFile";
import { checkAddressBook, connectChain } from "../chain";
import type { Command } from "../command";
import { requireSetting, toNodeSettings } from "../config";
import { serveNode } from "../serve";
import { Shutdown, unlessSignalled } from "../shutdown";
import { NATIVE_WITHDRAWALS } from "../withdrawalDefaults";

/** Without COLLATERAL: the native coin, topped up by exactly what each payment needs. */
const NATIVE_ONLY = { [ZeroAddress]: { target: 0n, reclaimThreshold: MaxUint256 } };

export const startCommand: Command = {
  name: "start",
  summary: "run the node against a real chain (ETH_RPC_URL, a key and ADDRESS_BOOK)",
  details: [
    "Checks that ETH_RPC_URL answers on the address book's chain and that its contracts are",
    "there, migrates the database, then serves until SIGINT or SIGTERM. Without COLLATERAL the",
    "node carries the chain's native coin only, depositing into a payee's channel just what a",
    "payment needs; only what lies idle (COLLATERAL_IDLE_SECONDS) is reclaimed. Without",
    "WITHDRAWALS a user's withdrawal of the native coin pays at least 0.001 and the node a fee",
    "of 0.0001 for its gas: set one that fits the chain's gas price.",
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
          const collateral = config.collateral ?? NATIVE_ONLY;
          const withdrawals = config.withdrawals ?? NATIVE_WITHDRAWALS;
          if (!config.withdrawals) {
            logger.warn(
              "WITHDRAWALS is not set: the native coin's withdrawals pay at least 0.001 and a fee of 0.0001; set a fee that covers this chain's gas",
            );
          }
          // A carried asset without terms: its dust withdrawals are bounded by the rate alone.
          const unbounded = Object.keys(collateral).filter((asset) => !withdrawals[asset]);
          if (unbounded.length > 0) {
            logger.warn(
              { assets: unbounded },
              "WITHDRAWALS sets no minimum or fee for these assets: only WITHDRAWALS_PER_HOUR bounds the gas their withdrawals cost",
            );
          }
          logger.info(
            { identifier: new Wallet(privateKey).address, chainId: addressBook.chainId },
            "starting",
          );
          return toNodeSettings(config, {
            ethRpcUrl,
            privateKey,
            addressBook,
            collateral,
            withdrawals,
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
