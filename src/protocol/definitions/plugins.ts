import { isHex } from "../bytes";
import { ProtocolError } from "../errors";
import type { Address } from "../types";
import { hashlockPlugin } from "./hashlock";
import type { TransferPlugin } from "./plugin";
import { type DefinitionRegistry, definitionRegistry } from "./registry";
import { threadPlugin } from "./thread";
import { withdrawPlugin } from "./withdraw";

/**
 * The one map of the definitions every party carries, by the name of their address in the
 * address book (`GET /config`'s `contractAddresses`). A new built-in definition is a folder
 * beside `hashlock/` and a line here; one a deployment adds on its own is passed to the node
 * and the client as an extra {@link PluginEntry}.
 */
export const BUILT_IN_PLUGINS = {
  hashlockTransfer: hashlockPlugin,
  withdraw: withdrawPlugin,
  threadTransfer: threadPlugin,
} as const satisfies Record<string, TransferPlugin>;

/**
 * The addresses the built-in definitions are deployed at. Threads came later: a party given
 * no `threadTransfer` address (an older address book) carries no threads.
 */
export type BuiltInAddresses = Record<"hashlockTransfer" | "withdraw", Address> & {
  threadTransfer?: Address;
};

/** A definition deployed at `address`, with its plug-in. */
export interface PluginEntry {
  address: Address;
  plugin: TransferPlugin;
}

/** The plug-ins a party carries, by lowercase definition address. */
export type DefinitionPlugins = ReadonlyMap<string, TransferPlugin>;

/**
 * The built-in plug-ins at their addresses, plus `extra` ones. Throws INVALID_ADDRESS for a
 * malformed address and MALFORMED_MESSAGE for one listed twice.
 *
 * @example
 * const plugins = definitionPlugins(config.contractAddresses, options.definitions);
 */
export function definitionPlugins(
  addresses: BuiltInAddresses,
  extra: readonly PluginEntry[] = [],
): DefinitionPlugins {
  const entries: PluginEntry[] = [
    ...Object.entries(BUILT_IN_PLUGINS).flatMap(([name, plugin]): PluginEntry[] => {
      const address = addresses[name as keyof BuiltInAddresses];
      // An absent thread address: no threads (any other absent address fails as malformed).
      if (name === "threadTransfer" && address === undefined) return [];
      return [{ address: address as Address, plugin }];
    }),
    ...extra,
  ];
  const plugins = new Map<string, TransferPlugin>();
  for (const { address, plugin } of entries) {
    if (!isHex(address, 20)) {
      throw new ProtocolError("INVALID_ADDRESS", `"${address}" is not a definition address`);
    }
    const key = address.toLowerCase();
    if (plugins.has(key)) {
      throw new ProtocolError("MALFORMED_MESSAGE", `definition ${address} is listed twice`);
    }
    plugins.set(key, plugin);
  }
  return plugins;
}

/** The plug-in of the definition at `address`, in any letter case; undefined if not carried. */
export function pluginOf(plugins: DefinitionPlugins, address: string): TransferPlugin | undefined {
  return typeof address === "string" ? plugins.get(address.toLowerCase()) : undefined;
}

/** The rules of the carried definitions, as the update logic looks them up. */
export function rulesOf(plugins: DefinitionPlugins): DefinitionRegistry {
  return definitionRegistry(
    [...plugins].map(([address, plugin]) => ({ address, rules: plugin.rules })),
  );
}
