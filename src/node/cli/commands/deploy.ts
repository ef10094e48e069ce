import { resolve } from "node:path";
import { formatEther, Wallet } from "ethers";
import { deployContracts } from "../../../contracts-bindings";
import { writeAddressBookFile } from "../addressBookFile";
import { connectChain } from "../chain";
import type { Command } from "../command";
import { requireSetting } from "../config";
import { CommandError } from "../errors";
import { addressBookPath } from "../paths";

export const deployCommand: Command = {
  name: "deploy",
  summary: "deploy the contracts to ETH_RPC_URL and write an address book",
  details: [
    "Deploys the channel factory, mastercopy, transfer registry and transfer definitions with",
    "the node's key (which pays the gas and owns the registry), writes the address book that",
    "`start` reads with ADDRESS_BOOK, and prints its path.",
  ],
  options: {
    out: {
      type: "string",
      placeholder: "<file>",
      defaultText: "DATA_DIR/address-book.json",
      description: "Where to write the address book.",
    },
    "test-token": {
      type: "boolean",
      description: "Also deploy a freely mintable ERC-20 (development chains only).",
    },
  },
  async run({ config, flags, logger, print }) {
    const rpcUrl = requireSetting(config, "ethRpcUrl", "deploy");
    const privateKey = requireSetting(config, "privateKey", "deploy");
    const out =
      typeof flags.out === "string" ? resolve(flags.out) : addressBookPath(config.dataDir);

    const chain = await connectChain(rpcUrl);
    try {
      const wallet = new Wallet(privateKey, chain.provider);
      const balance = await chain.provider.getBalance(wallet.address);
      if (balance === 0n) {
        throw new CommandError(
          "UNFUNDED_ACCOUNT",
          `NODE_PRIVATE_KEY: ${wallet.address} has no ETH on chain id ${chain.chainId} to pay for the deployment`,
        );
      }
      logger.info(
        { deployer: wallet.address, balance: formatEther(balance), chainId: chain.chainId },
        "deploying",
      );
      const book = await deployContracts(wallet, { testToken: flags["test-token"] === true });
      await writeAddressBookFile(out, book);
      logger.info({ addressBook: out, ...book }, "deployed");
      print(out);
      return 0;
    } finally {
      await chain.close();
    }
  },
};
