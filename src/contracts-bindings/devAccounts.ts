import { HDNodeWallet, type Provider } from "ethers";

/** The mnemonic anvil and other development chains fund their ten standard accounts from. */
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";

/** Development account `index` (0..9 are funded by anvil), connected to `provider`. */
export function devAccount(index: number, provider?: Provider): HDNodeWallet {
  const wallet = HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, `m/44'/60'/0'/0/${index}`);
  return provider ? wallet.connect(provider) : wallet;
}
