import { isHex } from "../bytes";
import { ProtocolError } from "../errors";
import type { Address, HexString } from "../types";
import type { EncodedTransferDefinition } from "./types";

/** The definitions a party mirrors, by lowercase contract address. */
export type DefinitionRegistry = ReadonlyMap<string, EncodedTransferDefinition>;

export interface DefinitionEntry {
  address: Address;
  rules: EncodedTransferDefinition;
}

/**
 * A registry of the definitions deployed at the given addresses (from the address book).
 * Throws INVALID_ADDRESS for a malformed address and MALFORMED_MESSAGE for one listed twice.
 *
 * @example
 * const registry = definitionRegistry([
 *   { address: book.hashlockTransfer, rules: hashlock },
 *   { address: book.withdraw, rules: withdraw },
 * ]);
 */
export function definitionRegistry(entries: readonly DefinitionEntry[]): DefinitionRegistry {
  const registry = new Map<string, EncodedTransferDefinition>();
  for (const { address, rules } of entries) {
    if (!isHex(address, 20)) {
      throw new ProtocolError("INVALID_ADDRESS", `"${address}" is not a definition address`);
    }
    const key = address.toLowerCase();
    if (registry.has(key)) {
      throw new ProtocolError("MALFORMED_MESSAGE", `definition ${address} is listed twice`);
    }
    registry.set(key, rules);
  }
  return registry;
}

/**
 * The rules of the definition at `address`, in any letter case. Throws UNKNOWN_DEFINITION
 * for one that is not registered: nothing is created with rules nobody can check.
 *
 * @example
 * lookupDefinition(registry, details.transferDefinition).createEncoded(balance, state, now);
 */
export function lookupDefinition(
  registry: DefinitionRegistry,
  address: Address,
): EncodedTransferDefinition {
  const rules = typeof address === "string" ? registry.get(address.toLowerCase()) : undefined;
  if (!rules) {
    throw new ProtocolError(
      "UNKNOWN_DEFINITION",
      `transfer definition ${String(address)} is not registered`,
      { address },
    );
  }
  return rules;
}

/** What `TransferRegistry` holds for a definition (`RegisteredTransfer`). */
export interface RegisteredTransfer {
  name: string;
  definition: Address;
  stateEncoding: string;
  resolverEncoding: string;
  encodedCancel: HexString;
}

/**
 * Checks that the on-chain registration of a definition is the one these rules mirror (same
 * name, encodings and cancel); throws UNKNOWN_DEFINITION naming the first difference.
 *
 * @example
 * assertRegistrationMatches(hashlock, await transferRegistry.getTransferDefinition("HashlockTransfer"));
 */
export function assertRegistrationMatches(
  rules: EncodedTransferDefinition,
  registered: RegisteredTransfer,
): void {
  const fields = [
    ["name", rules.name, registered.name],
    ["stateEncoding", rules.stateEncoding, registered.stateEncoding],
    ["resolverEncoding", rules.resolverEncoding, registered.resolverEncoding],
    ["encodedCancel", rules.encodedCancel, registered.encodedCancel.toLowerCase()],
  ] as const;
  for (const [field, mirrored, onChain] of fields) {
    if (mirrored !== onChain) {
      throw new ProtocolError(
        "UNKNOWN_DEFINITION",
        `definition ${registered.definition} registers ${field} "${onChain}", the mirror has "${mirrored}"`,
        { definition: registered.definition, field },
      );
    }
  }
}
