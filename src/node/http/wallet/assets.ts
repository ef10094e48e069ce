import { walletAssetTexts } from "./assets.macro" with { type: "macro" };
import type { WalletAssetTexts } from "./assets.macro";

/**
 * The wallet's script and styles, inlined at build time by the macro (a plain object of
 * strings here: the macro's promise is resolved by the bundler). Imported lazily by the routes,
 * so only a process that serves the wallet builds it when run from source.
 */
export const walletAssets = walletAssetTexts() as unknown as WalletAssetTexts;
